"""Template context for every page."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import pgettext_lazy

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


# The site menu: (label, URL name of its page, the other pages of its section).
MENU = (
    (pgettext_lazy("menu", "Overview"), "commitments:home", ()),
    (pgettext_lazy("menu", "Commitments"), "commitments:list", ("commitments:detail",)),
    (pgettext_lazy("menu", "Countries"), "commitments:countries", ("commitments:country",)),
    (pgettext_lazy("menu", "Themes"), "commitments:themes", ("commitments:theme",)),
    (pgettext_lazy("menu", "Reports"), "reports:list", ("reports:detail",)),
    (pgettext_lazy("menu", "Updates"), "commitments:updates", ()),
    (pgettext_lazy("menu", "About"), "commitments:about", ("commitments:methodology",)),
)


@dataclass(frozen=True)
class MenuItem:
    label: str
    url: str
    current: str  # ``aria-current``: "page" on its own page, "true" elsewhere in its section, "" otherwise


def navigation(request) -> dict:
    """``menu``: the header's links, the one of the page in view marked (``aria-current``)."""
    match = getattr(request, "resolver_match", None)
    here = match.view_name if match else ""
    return {"menu": [
        MenuItem(label, reverse(name), "page" if here == name else "true" if here in section else "")
        for label, name, section in MENU
    ]}
