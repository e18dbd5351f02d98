"""The catalogue of public taxonomy entries, kept per process while the public data version is unchanged.

It validates the list's slug filters and labels its facets (and the overview's breakdowns), so
neither asks once per facet. It holds only the entries a public commitment uses
(``taxonomy.read_catalogue``, from each model's ``public()``): no facet option offers another, nor
its "show all" list, and a filter by its slug is refused as an unknown slug is.

Asking which entries are public costs a probe per entry (about 2,000 sources at 100,000
commitments: tens of ms, more on PostgreSQL, whose planner hashes every public commitment; see
``docs/performance.md``), so each process keeps the catalogue while the public data version is
unchanged, as it keeps the facet index (every public change bumps the version, in the same
transaction). A page then reads one query, the version; the first page after a change, two. The
version is read first, so a catalogue is never labelled with a version newer than its rows.
"""

from __future__ import annotations

from collections.abc import Mapping

from .cache import current_version
from .taxonomy import TAXONOMY_FACETS, Entry, read_catalogue

_held: tuple[str, dict[str, Mapping[str, Entry]]] | None = None  # (data version, catalogue)


def load(*, facets=TAXONOMY_FACETS) -> dict[str, Mapping[str, Entry]]:
    """The public entries of the taxonomy ``facets``, by facet name and slug (each ordered by label)."""
    return load_versioned(facets=facets)[1]


def load_versioned(*, facets=TAXONOMY_FACETS) -> tuple[str, dict[str, Mapping[str, Entry]]]:
    """``load()`` and the public data version it was read at (the exports' metadata states it)."""
    global _held
    version = current_version()
    held = _held
    if held is None or held[0] != version or not version:
        held = (version, read_catalogue())
        if version:
            _held = held
    return version, {name: held[1][name] for name in facets}


def forget() -> None:
    """Drop this process's catalogue (tests whose rows are rolled back under one data version)."""
    global _held
    _held = None
