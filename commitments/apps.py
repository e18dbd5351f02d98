from django.apps import AppConfig


class CommitmentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "commitments"
    verbose_name = "Commitments Tracker"

    def ready(self) -> None:
        from django.core.signals import request_finished

        from . import facet_index, signals

        signals.connect()
        request_finished.connect(facet_index.refresh_if_wanted, dispatch_uid="facet-index-refresh")
