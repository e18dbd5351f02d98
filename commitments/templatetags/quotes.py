"""A verbatim quote's translation into the page's language: ``{% quote_translation quoted as translation %}``.

The quote itself is never translated (``templates/commitments/_quote.html`` shows it as it is, with
its language); this says what to show beside it on a page in another language.
"""

from __future__ import annotations

from django import template

from .. import languages
from ..languages import TranslationSource

register = template.Library()


def _get(quoted, name: str):
    return (quoted.get(name) if isinstance(quoted, dict) else getattr(quoted, name, None)) or ""


@register.simple_tag
def quote_translation(quoted) -> dict | None:
    """None where the page is in the quote's own language (or there is no quote); else the translation into
    the page's language: ``{"lang", "text", "source", "url"}``, ``text`` empty when none is made yet."""
    lang = languages.active()
    if not _get(quoted, "quote").strip() or lang == (_get(quoted, "quote_language") or languages.DEFAULT):
        return None
    text = _get(quoted, f"quote_translation_{lang}").strip()
    source = _get(quoted, f"quote_translation_source_{lang}") or TranslationSource.TRACKER
    url = _get(quoted, f"quote_translation_url_{lang}") if source == TranslationSource.OFFICIAL else ""
    return {"lang": lang, "text": text, "source": source if text else "", "url": url if text else ""}
