"""``{% commitment_rows rows %}``: a list of commitments, as the list, the overview and the taxonomy pages show it.

Written in Python, not as a template partial: it is the hottest markup of the site (25 rows on a list page, 24 on
the overview), and as a partial each row took about 0.35 ms of Django's template engine at 100k, a third of the
overview's rendering (``docs/performance.md``, issue 18). It writes the HTML the partial wrote, whitespace aside
(``tests/test_commitment_rows.py`` renders both). Every text is escaped here or by ``search_highlight``, which
marks the search's words in escaped text; translations are trusted as Django's ``blocktranslate`` trusts them.

Context read: ``search`` (optional: the list's parsed search, a ``search_query.Query``: its matched words are
marked, and a passage of the quote shown), ``in_country`` (optional: the name of the one country whose statuses
the rows show; a regional commitment's is marked "regional"). Rows: commitments annotated by ``.at()``, with
``selectors.for_page`` and ``selectors.shown_rows`` (their source, status precision, themes and countries).
"""

from collections.abc import Callable
from dataclasses import dataclass
from html import escape

from django import template
from django.db import connection
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext

from .. import search_highlight
from ..languages import active, localized
from .language_links import translation_source
from .tracker import as_precise, slug_addresses, status_label

register = template.Library()

SOURCE_TITLE_CHARS = 90  # a source's title is cut to this many characters in a row


@dataclass(frozen=True)
class _Page:
    """What every row of one page shares: looked up once (each was a thread-local read or a reverse per row)."""

    search: object  # search_query.Query or None
    in_country: str
    lang: str  # the page's language
    vendor: str  # the database, whose stemmer the search's marks follow
    address: Callable[[str], str]  # a commitment's address from its slug, reversed once a page (not once a row)

    def mark(self, text: str) -> str:
        return search_highlight.highlight(text, self.search, vendor=self.vendor)

    def lang_attr(self, obj, name: str) -> str:
        """`` lang="en"`` where ``obj.<name>`` falls back to English on a page in another language (``lang_attr``)."""
        actual = localized(obj, name, self.lang)[1] if obj not in (None, "") else self.lang
        return f' lang="{escape(actual)}"' if actual != self.lang else ""


@register.simple_tag(takes_context=True)
def commitment_rows(context, rows) -> SafeString:
    page = page_for(context.get("search") or None, context.get("in_country") or "")
    items = [row(c, page) for c in rows] or [f"<li>{escape(gettext('No commitments match.'))}</li>"]
    return mark_safe('<ol class="commitments">\n' + "\n".join(items) + "\n</ol>")  # noqa: S308 - escaped by row()


def page_for(search, in_country: str = "") -> _Page:
    return _Page(search, in_country, active(), connection.vendor, slug_addresses("commitments:detail"))


def row(c, page: _Page) -> str:
    """One commitment's ``<li>``."""
    title = page.mark(str(localized(c, "title", page.lang)[0]))
    title_source = translation_source(c, "title")
    translated_by = (" " + render_to_string("commitments/_translated_by.html", {"source": title_source})
                     if title_source else "")
    status = str(c.eff_status)
    meta = [f'<span class="status-badge seg-{escape(status)}">{escape(str(status_label(status)))}</span>']
    if page.in_country:
        # As the template tags wrote them: ``translate`` escapes its text, ``blocktranslate`` only the values.
        scope = (escape(gettext("regional")) if c.assessment_scope == "regional"
                 else gettext("in %(country)s") % {"country": escape(page.in_country)})
        meta.append(f' <span class="scope-note">{scope}</span>')
    meta.append("\n        ")
    if c.eff_status_date:
        day = escape(as_precise(c.eff_status_date, c.eff_status_precision))
        meta.append(f"<span>{gettext('as of %(date)s') % {'date': day}}</span>")
    meta.append("\n        ")
    if c.due_date:
        day = escape(as_precise(c.due_date, c.due_precision))
        due = (gettext("due by %(date)s") if c.due_precision != "day" else gettext("due %(date)s")) % {"date": day}
        meta.append(f"<span>{'· ' if c.eff_status_date else ''}{due}</span>")
    meta.append("\n        ")
    if c.eff_overdue:
        meta.append(f'<strong class="flag">{escape(gettext("Overdue"))}</strong>')
    snippet = (f'\n      <p class="snippet" lang="{escape(str(c.quote_language))}">“'
               f'{search_highlight.snippet(str(c.quote), page.search, vendor=page.vendor)}”</p>' if page.search else "")
    source = c.source
    source_title = str(localized(source, "title", page.lang)[0]) if source else ""
    if len(source_title) > SOURCE_TITLE_CHARS:  # shorter is never cut (Truncator counts no more characters)
        source_title = Truncator(source_title).chars(SOURCE_TITLE_CHARS)
    url = page.address(c.slug)
    return (
        f'    <li class="commitment">\n'
        f'      <h3><a href="{escape(url)}"{page.lang_attr(c, "title")}>{title}</a>{translated_by}</h3>\n'
        f'      <p class="meta">\n        {"".join(meta)}\n      </p>{snippet}\n'
        f'      <p class="meta"><span{page.lang_attr(source, "title")}>{page.mark(source_title)}</span>\n'
        f'        {names(c, "themes", page)}\n'
        f'        {names(c, "countries", page)}</p>\n'
        f"    </li>"
    )


def names(obj, relation: str, page: _Page) -> str:
    """`` · A, B`` for a row's ``relation`` (its themes or countries): each name in the page's language in its own
    ``<span>`` (with ``lang`` where it falls back), the search's words marked. Prefetched rows (a caller of
    ``selectors.for_list``) are read as they are: ``obj.themes.all()`` builds a manager and a queryset each."""
    shown = getattr(obj, "shown_names", None)  # as ``selectors.shown_rows`` reads them: tuples, in name order
    prefetched = getattr(obj, "_prefetched_objects_cache", {})
    entries = (shown[relation] if shown is not None else prefetched[relation] if relation in prefetched
               else getattr(obj, relation).all())
    parts = [f"<span{page.lang_attr(entry, 'name')}>{page.mark(str(localized(entry, 'name', page.lang)[0]))}</span>"
             for entry in entries]
    return f" · {', '.join(parts)}" if parts else ""

