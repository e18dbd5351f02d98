"""Cache invalidation only: any change to the tracker's rows bumps the public data version.

No workflow lives here (that is ``services.py``); this only tells the page cache that what
readers see may have changed.
"""

from django.apps import apps
from django.db.models.signals import m2m_changed, post_delete, post_save

from . import cache

TRACKED = ["Source", "Actor", "Country", "Theme", "Commitment", "StatusUpdate", "Evidence", "ProgressReport"]


def _bump(sender, **kwargs) -> None:
    if kwargs.get("raw"):  # loaddata: the loader bumps once at the end
        return
    cache.bump()


def connect() -> None:
    for name in TRACKED:
        model = apps.get_model("commitments", name)
        post_save.connect(_bump, sender=model, dispatch_uid=f"bump-save-{name}")
        post_delete.connect(_bump, sender=model, dispatch_uid=f"bump-delete-{name}")
    commitment = apps.get_model("commitments", "Commitment")
    for field in ("actors", "countries", "themes", "related"):
        through = getattr(commitment, field).through
        m2m_changed.connect(_bump, sender=through, dispatch_uid=f"bump-m2m-{field}")
