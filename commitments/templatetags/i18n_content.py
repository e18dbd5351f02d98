"""Content in the page's language: ``{% tr commitment "title" %}`` and ``commitment|tr:"title"``.

``tr`` (the tag) prints the text in the active language, escaped; where it falls back to English on
a page in another language it wraps the text in ``<span lang="en">`` so screen readers and search
engines read it as English. ``|tr`` (the filter) gives the plain text, for attributes and ``<title>``.
"""

from django import template
from django.utils.html import format_html

from .. import languages

register = template.Library()


class _Row:
    """A mapping (a row from ``values()`` or a snapshot) read like an object."""

    def __init__(self, data):
        self.data = data

    def __getattr__(self, name):
        return self.data.get(name, "")


def _localized(obj, name: str) -> tuple[str, str]:
    if obj is None or obj == "":
        return "", languages.DEFAULT
    return languages.localized(_Row(obj) if isinstance(obj, dict) else obj, name)


@register.simple_tag
def tr(obj, name: str) -> str:
    value, lang = _localized(obj, name)
    if lang != languages.active() and value:
        return format_html('<span lang="{}">{}</span>', lang, value)
    return format_html("{}", value)


@register.filter(name="tr")
def tr_text(obj, name: str) -> str:
    return _localized(obj, name)[0]


@register.simple_tag
def tr_lang(obj, name: str) -> str:
    """The language the text of ``obj.<name>`` is shown in, for a ``lang`` attribute on its own element."""
    return _localized(obj, name)[1]

