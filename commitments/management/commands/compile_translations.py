"""``manage.py compile_translations``: the ``.po`` catalogs into ``.mo`` files, without GNU gettext."""

from django.core.management.base import BaseCommand

from commitments.message_catalogs import compile_catalogs


class Command(BaseCommand):
    help = "Compile the .po translation catalogs into .mo files (pure Python; no gettext needed)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Compile every catalog, even if its .mo is newer.")

    def handle(self, *args, force: bool = False, **options):
        for mo in compile_catalogs(force=force):
            self.stdout.write(f"Compiled {mo}")
