"""Template context for every page."""

from django.utils.functional import SimpleLazyObject

from . import soft_cache
from .models import Commitment

SYNTHETIC_KEY = "synthetic-data-present"


def _synthetic_present() -> bool:
    # A database holds either real or synthetic data for its whole life (the generator and the
    # importer each refuse the other), so a few minutes of caching can never hide a change that matters.
    return soft_cache.get_or_set(SYNTHETIC_KEY, lambda: Commitment.objects.filter(is_synthetic=True).exists(), 300)


def synthetic_data(request) -> dict:
    """``synthetic_data``: true when the database holds generated demo data, so every page says so."""
    return {"synthetic_data": SimpleLazyObject(_synthetic_present)}
