"""``{% facet_options facet.options %}``: a facet's options on the list page, each a link that toggles it.

Written in Python, not as a template loop: the list page shows about 60 options (the status scale, the overdue and
stale flags, the largest themes, countries, actors and sources), and as a loop of template tags they took about
3 ms of each list page's rendering at 100k (``docs/performance.md``, issue 18). It writes the HTML the loop wrote,
whitespace aside (``tests/test_commitment_rows.py``); every label and address is escaped.
"""

from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from .tracker import integer

register = template.Library()


@register.simple_tag
def facet_options(options) -> SafeString:
    """``options``: ``facets.Option``s (label, count, selected, toggle_url)."""
    selected_note = escape(gettext("(selected; follow to remove)"))
    items = []
    for o in options:
        zero = "zero" if not o.count and not o.selected else ""
        current = ' aria-current="true" class="selected"' if o.selected else ""
        note = f" {selected_note}" if o.selected else ""
        items.append(
            f'  <li class="{zero}">\n'
            f'    <a href="{escape(o.toggle_url)}"{current} rel="nofollow">\n'
            f'      <span class="check" aria-hidden="true">{"☑" if o.selected else "☐"}</span>\n'
            f'      {escape(str(o.label))}<span class="visually-hidden">{note}</span>\n'
            f'      <span class="count">{integer(o.count)}</span></a>\n'
            f"  </li>"
        )
    return mark_safe("<ul>\n" + "\n".join(items) + "\n</ul>")  # noqa: S308 - every value escaped above
