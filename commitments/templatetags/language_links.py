"""The language switcher and the ``hreflang`` alternates: this page, with its query string, in every language.

English lives at the unprefixed addresses and every other language under ``/<code>/``
(``i18n_patterns(prefix_default_language=False)``), so a page's address in another language is its
address with the language prefix swapped. That also holds for a 404 (no view to reverse), which is why
this does not use ``django.urls.translate_url``.
"""

from dataclasses import dataclass

from django import template
from django.conf import settings
from django.urls import get_script_prefix
from django.utils.html import format_html

from ..languages import DEFAULT, active, localized

register = template.Library()


@dataclass(frozen=True)
class LanguageLink:
    code: str
    name: str  # in its own language ("Русский"), as its reader looks for it
    url: str  # path and query string
    current: bool


def _unprefixed(path: str) -> str:
    for code, _name in settings.LANGUAGES:
        prefix = f"/{code}/"
        if code != DEFAULT and (path.startswith(prefix) or path == prefix[:-1]):
            return "/" + path[len(prefix):]
    return path


def address_in(path: str, code: str) -> str:
    """``path`` (without its query) in language ``code``. With one leading slash: a 404's path such as
    ``//example.org/x`` (or ``/ru//example.org/x``) would otherwise be written as an address on another host, and
    ``//[]`` as one no URL parser accepts (a 500 from ``build_absolute_uri``, found by the fuzzer)."""
    bare = "/" + _unprefixed(path).lstrip("/")
    return bare if code == DEFAULT else f"/{code}{bare}"


@register.simple_tag(takes_context=True)
def language_links(context) -> list[LanguageLink]:
    request = context.get("request")
    path = request.path_info if request is not None else "/"
    query = request.META.get("QUERY_STRING", "") if request is not None else ""
    prefix = get_script_prefix().rstrip("/")  # where the site is mounted, if not at the root
    here = active()
    return [
        LanguageLink(code, name, prefix + address_in(path, code) + (f"?{query}" if query else ""), code == here)
        for code, name in settings.LANGUAGES  # each named in its own language (settings.LANGUAGES)
    ]


@register.simple_tag(takes_context=True)
def absolute(context, url: str) -> str:
    """``url`` (a path) as an absolute address, for ``<link rel="alternate">``."""
    request = context.get("request")
    return request.build_absolute_uri(url) if request is not None else url


@register.simple_tag
def lang_attr(obj, name: str) -> str:
    """`` lang="en"`` where ``obj.<name>`` falls back to English on a page in another language, else nothing:
    for an element that shows the text through another tag (``{% marked obj|tr:"title" %}``)."""
    actual = localized(obj, name)[1] if obj not in (None, "") else active()
    return format_html(' lang="{}"', actual) if actual != active() else ""


@register.simple_tag
def english_text() -> str:
    """`` lang="en"`` on a page in another language, for text kept only in English (staff notes, reasons)."""
    return format_html(' lang="{}"', DEFAULT) if active() != DEFAULT else ""


@register.simple_tag
def in_language(text: str, lang: str) -> str:
    """``text`` (escaped), in ``<span lang>`` when ``lang`` is not the page's: words quoted as written."""
    if lang and lang != active():
        return format_html('<span lang="{}">{}</span>', lang, text)
    return format_html("{}", text)


@register.simple_tag
def translation_source(obj, name: str) -> str:
    """Who made ``obj``'s texts in the page's language (``translation_source_<lang>``: "machine", "tracker",
    "official"), when ``obj.<name>`` is shown in it; "" on a page in the default language, where the text
    falls back to it, or where the record does not say. Templates word the label, so a machine-made
    translation is always marked as one."""
    lang = active()
    if lang == DEFAULT or obj in (None, "") or localized(obj, name)[1] != lang:
        return ""
    return getattr(obj, f"translation_source_{lang}", "") or ""
