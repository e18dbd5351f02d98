from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommitmentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "commitments"
    verbose_name = _("Commitments Tracker")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from . import facet_index, signals, sqlite_search

        # Admin autodiscovery imports only ``commitments.admin``: the report admin registers itself on import.
        from .reports import admin as report_admin  # noqa: F401

        signals.connect()
        facet_index.connect()
        # SQLite's search triggers call a Python function (Russian stems): every connection gets it.
        connection_created.connect(sqlite_search.register, dispatch_uid="commitment-search-sqlite-function")
