"""``{{ path|in_language }}``: a site path stored in a report's snapshot, for the page's language.

A snapshot stores the default language's paths (``/commitments/<slug>/``); a Russian report links to
the Russian pages (``/ru/commitments/<slug>/``), whatever the script prefix.
"""

from functools import lru_cache

from django import template
from django.urls import get_script_prefix, reverse
from django.utils import translation

from .. import languages

register = template.Library()


@lru_cache(maxsize=32)
def _prefixes(lang: str, script_prefix: str) -> tuple[str, str]:
    """The list's path in the default language and in ``lang`` (every stored path starts with the first)."""
    with translation.override(languages.DEFAULT):
        default = reverse("commitments:list")
    with translation.override(lang):
        return default, reverse("commitments:list")


@register.filter
def in_language(path: str) -> str:
    lang = languages.active()
    if lang == languages.DEFAULT or not path:
        return path
    default, here = _prefixes(lang, get_script_prefix())
    return here + path[len(default):] if path.startswith(default) else path
