"""Create local demo accounts (a superuser, an editor, a publisher) with random passwords.

Run by ``make run``. Passwords are printed once and never stored in clear; an existing account
is left alone, so running it twice changes nothing. Refused when DEBUG is off.
"""

import secrets

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError

from commitments import roles

ACCOUNTS = [
    ("admin", None, True),
    ("editor", roles.EDITORS, False),
    ("publisher", roles.PUBLISHERS, False),
]


class Command(BaseCommand):
    help = "Create demo staff accounts for local use (superuser, editor, publisher) and print their passwords once."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Refusing to create demo accounts with DEBUG off; use createsuperuser instead.")
        for username, role, superuser in ACCOUNTS:
            if User.objects.filter(username=username).exists():
                self.stdout.write(f"Account '{username}' already exists; its password is unchanged.")
                continue
            password = secrets.token_urlsafe(12)
            user = User.objects.create_user(
                username=username, password=password, is_staff=True, is_superuser=superuser
            )
            if role:
                user.groups.add(Group.objects.get(name=role))
            label = "superuser" if superuser else role
            self.stdout.write(self.style.SUCCESS(f"Created {label} '{username}' with password: {password}"))
        self.stdout.write("Passwords are shown only once. Reset one with: python manage.py changepassword <name>")
