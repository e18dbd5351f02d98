"""Template filters for the status scale, so templates never hold labels of their own."""

import functools
from collections.abc import Callable
from datetime import date, datetime

from django import template
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import formats, translation
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from .. import dates, search_highlight
from .. import status as status_scale
from .i18n_content import tr

register = template.Library()


@register.filter
def status_label(slug: str) -> str:
    if slug == "new":  # a report's "status at the start" of a commitment made during the period
        return gettext("Made during the period")
    try:
        return status_scale.info(slug).label
    except ValueError:
        return slug


@register.filter
def split_words(value: str) -> list[str]:
    return value.split()


@register.filter
def getlist(querydict, key: str) -> list[str]:
    return querydict.getlist(key)


@register.filter
def field_label(form, name: str) -> str:
    field = form.fields.get(name)
    return str(field.label) if field is not None and field.label else name


@register.filter
def subtract(value: int, other: int) -> int:
    return int(value) - int(other)


@register.filter
def get_item(mapping: dict, key: str):
    return mapping.get(key, 0) if mapping else 0


@register.filter(expects_localtime=True)
def day(value) -> str:
    """A day-precise date or a time as the site writes dates ("1 July 2025", ``dates.render``).

    Without the localisation lookups that the ``date`` filter makes on each call (a commitment page
    shows dozens of dates). Like ``date``, it is given aware datetimes already in the site's zone
    (``expects_localtime``); a date known only to the month or year takes ``as_precise`` instead.
    """
    if not value:
        return ""
    return dates.render(value.date() if isinstance(value, datetime) else value)


@register.filter
def as_precise(value, precision: str = "") -> str:
    """A date as precise as its source (``dates.render``): "2 December 2026", "July 2022" or "2022".

    ``value`` is a date or an ISO date string (reports' snapshots store strings); ``precision`` a
    ``dates.Precision`` value, a day when empty (a snapshot frozen before precisions were kept).
    """
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    return dates.render(value, precision or dates.Precision.DAY)


@register.filter(expects_localtime=True)
def machine_time(value) -> str:
    """An aware datetime for ``<time datetime>``, to the second: HTML takes at most three digits of a
    fraction, and ``date:"c"`` writes six."""
    return value.replace(microsecond=0).isoformat() if value else ""


@register.filter
def iso_precise(value, precision: str = "") -> str:
    """ISO 8601 at its precision ("2022-07"), for ``<time datetime>``."""
    return dates.iso(value, precision or dates.Precision.DAY) if value else ""


@register.simple_tag
def stale_after() -> str:
    """How long without a published update makes a commitment stale, in words ("nine months")."""
    return str(status_scale.stale_after_text)


@register.filter
def number(value) -> str:
    """A count as the active language writes it: "12345" in English (as the pages always have), "12 345" (a
    no-break space between thousands) in Russian; "" for none."""
    if value is None or value == "":
        return ""
    lang = translation.get_language() or "en"
    if lang == "en" or lang.startswith("en-"):
        return str(value)
    return formats.number_format(value, use_l10n=True, force_grouping=True)


@register.simple_tag(takes_context=True)
def marked(context, text) -> str:
    """``text`` with the words the page's search matched in ``<mark>`` (``search_highlight``); as it is when the
    page has no ``search`` (a ``search_query.Query``) in its context."""
    return search_highlight.highlight(str(text), context.get("search") or None, vendor=connection.vendor)


@register.simple_tag(takes_context=True)
def search_snippet(context, text) -> str:
    """A passage of ``text`` around the page's search's first match, highlighted (``search_highlight.snippet``)."""
    return search_highlight.snippet(str(text), context.get("search") or None, vendor=connection.vendor)


def integer(value: int) -> str:
    """A count as ``{{ count }}`` writes it (``formats.localize``), without its locale look-ups where the site groups
    no thousands (``USE_THOUSAND_SEPARATOR`` off, Django's default): the overview writes about 450 counts."""
    return formats.localize(value) if settings.USE_THOUSAND_SEPARATOR else str(value)


@functools.lru_cache(maxsize=64)
def _count_item(slug: str, label: str) -> str:
    """The escaped start of a status's ``<li>`` in ``status_counts``: the same seven for every bar of a page."""
    return format_html('<li><span class="swatch seg-{}" aria-hidden="true"></span>{}: ', slug, label)


@register.simple_tag
def status_counts(bar) -> str:
    """Every status with commitments, written out with its swatch (``selectors.status_bar``'s segments): what
    ``_status_counts.html`` wrote, in one tag, as the overview writes it 55 times (about 0.2 ms each as an
    include with its loop; format_html for each item and the locale look-ups of each count still cost 0.1 ms)."""
    items = "".join(f"{_count_item(s.slug, str(s.label))}{integer(s.count)}</li>" for s in bar if s.count)
    return mark_safe(f'<ul class="inline">{items}</ul>')  # noqa: S308 - slugs and labels escaped by _count_item


_SLUG = "--slug--"  # stands for the slug in an address reversed once a page


def slug_addresses(url_name: str) -> Callable[[str], str]:
    """``slug -> address`` for a URL whose one argument is a slug, reversed once: a page that links dozens of rows
    reversed each (about 0.05 ms a reverse). Slugs need no quoting in a path (``SlugField``: letters, digits,
    ``-`` and ``_``)."""
    pattern = reverse(url_name, args=[_SLUG])
    return lambda slug: pattern.replace(_SLUG, slug)


@register.simple_tag
def breakdown_rows(rows, kind: str) -> str:
    """The overview's breakdown tables' rows (``selectors.overview``'s ``by_theme``/``by_country``: slug, name,
    total, bar): each entry linked to its page, with its status counts. One tag for the table's body: as a
    template loop its 55 rows took 6–10 ms of the overview's rendering at 100k (``docs/performance.md``)."""
    address = slug_addresses(f"commitments:{kind}")
    body = "\n".join(
        f'    <tr>\n      <th scope="row"><a href="{escape(address(row["slug"]))}">{tr(row, "name")}</a></th>\n'
        f'      <td>{integer(row["total"])}</td>\n      <td>{status_counts(row["bar"])}</td>\n    </tr>'
        for row in rows
    )
    return mark_safe(body or f'    <tr><td colspan="3">{escape(gettext("None yet."))}</td></tr>')  # noqa: S308 - tr, status_counts escape
