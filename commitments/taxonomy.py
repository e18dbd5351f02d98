"""The four taxonomies commitments are filed under: theme, country, actor and source.

For each: its name (the GET parameter and the facet), its model, the
field on ``Commitment`` that links to it, the field it is labelled by, and the URL name of its
public page. Every module that walks the taxonomies reads them here. Models are looked up by
name (``apps.get_model``), so ``models`` and its QuerySets may import this module.

An entry is public only while a public commitment uses it (``Model.objects.public()`` in
``querysets``): its page, the list's facets and filters, the overview and the dump see no other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import NamedTuple

from django.apps import apps
from django.db.models import CharField, Value
from django.utils.translation import gettext_lazy as _lazy

from .aggregates import union_all
from .languages import OTHERS

APP = "commitments"


@dataclass(frozen=True)
class Taxonomy:
    name: str  # GET parameter, facet name, ``kind`` of its page
    model_name: str
    relation: str  # the many-to-many (or, for source, foreign key) field on Commitment
    label_field: str
    url_name: str  # the public page of one entry
    plural: str  # the heading of its index page and its breadcrumb level, e.g. "Themes"
    index_url_name: str  # the index of every public entry, e.g. ``commitments:themes``

    @property
    def model(self) -> type:
        return apps.get_model(APP, self.model_name)

    def public(self):
        """The entries the public may see: those a public commitment uses (``<Model>.objects.public()``)."""
        return self.model.objects.public()

    @property
    def is_linked(self) -> bool:
        """True for the many-to-many taxonomies (a link table); False for source (a column)."""
        return self.relation != "source"


# In the order the list's facets show them.
TAXONOMY_FACETS: dict[str, Taxonomy] = {
    t.name: t
    for t in (
        Taxonomy("theme", "Theme", "themes", "name", "commitments:theme", _lazy("Themes"), "commitments:themes"),
        Taxonomy("country", "Country", "countries", "name", "commitments:country", _lazy("Countries"),
                 "commitments:countries"),
        Taxonomy("actor", "Actor", "actors", "name", "commitments:actor", _lazy("Actors"), "commitments:actors"),
        Taxonomy("source", "Source", "source", "title", "commitments:source", _lazy("Sources"), "commitments:sources"),
    )
}
# The taxonomies with a link table (all but source).
LINKED = {name: t for name, t in TAXONOMY_FACETS.items() if t.is_linked}


def link_table(relation: str) -> tuple[type, str]:
    """The link table of a many-to-many ``relation`` of Commitment and its entry-id column, e.g. ``theme_id``."""
    field = apps.get_model(APP, "Commitment")._meta.get_field(relation)
    return field.remote_field.through, f"{field.m2m_reverse_field_name()}_id"


class Entry(NamedTuple):
    """One theme, country, actor or source as the filters and facets see it (a tuple: thousands per page)."""

    id: int
    slug: str
    label: str


class TranslatedEntry(Entry):
    """An ``Entry`` that also carries its label in each other language (``label_ru``), for ``{% tr entry "label" %}``
    and ``languages.localized(entry, "label")``.

    Still the three-field tuple (equal to the ``Entry`` with the same values); the translations are attributes.
    """


def translated_entry(pk: int, slug: str, label: str, translations) -> TranslatedEntry:
    """A ``TranslatedEntry`` with ``translations`` in the order of ``languages.OTHERS``."""
    entry = TranslatedEntry(pk, slug, label)
    entry.__dict__.update(zip((f"label_{code}" for code in OTHERS), translations, strict=True))
    return entry


def translated_names(entry) -> dict[str, str]:
    """``name_<code>`` for each other language, from ``entry``'s labels: for rows a template shows with ``{% tr %}``."""
    return {f"name_{code}": getattr(entry, f"label_{code}", "") for code in OTHERS}


def read_catalogue() -> dict[str, Mapping[str, Entry]]:
    """Every public entry (id, slug, label and its labels in the other languages) of every taxonomy, by facet
    name and slug, in one query.

    Each facet's entries are ordered by label, read-only. An entry no public commitment uses is not
    in it. Pages read it through ``catalogue.load``, which keeps it while the data version holds.
    """
    parts = [
        t.public().order_by()
        .annotate(facet=Value(name, output_field=CharField()))
        .values_list("facet", "id", "slug", t.label_field, *(f"{t.label_field}_{code}" for code in OTHERS))
        for name, t in TAXONOMY_FACETS.items()
    ]
    catalogue: dict[str, dict[str, Entry]] = {name: {} for name in TAXONOMY_FACETS}
    rows = sorted(((label.casefold(), slug, facet, pk, label, translations)
                   for facet, pk, slug, label, *translations in union_all(parts)))
    for _, slug, facet, pk, label, translations in rows:
        catalogue[facet][slug] = translated_entry(pk, slug, label, translations)
    # Shared by every request of the process until the next change: nobody may alter it.
    return {name: MappingProxyType(entries) for name, entries in catalogue.items()}
