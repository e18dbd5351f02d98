from django.apps import AppConfig


class CommitmentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "commitments"
    verbose_name = "Commitments Tracker"

    def ready(self) -> None:
        from . import facet_index, signals

        signals.connect()
        facet_index.connect()
