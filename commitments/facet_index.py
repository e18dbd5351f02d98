"""An in-memory index of every public commitment's facet values, so a filtered list counts its facets without SQL.

Each facet counts the rows the *other* filters leave. In SQL that is one pass over a large set
per facet: at 100,000 commitments a common search word leaves 40,000 rows, and PostgreSQL took
about 190 ms for the five passes (see ``docs/performance.md``). Here every filter is a boolean
array over the public commitments and every facet is one ``numpy.bincount``: about 2 ms.

What it holds is what the filters test (status, source, due date, last news, the theme, country
and actor links): 7 MB at 100,000 commitments, per process. It is kept while the public data
version is unchanged (every public change bumps it, in the same transaction), so a count is never
older than the page it is on. A page that finds it out of date counts in SQL, and the process
rebuilds it once that page has been sent (``request_finished``). Text search still asks the
database which commitments match; only ``as_of`` (a status per row and day) is not answered here.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import date

import numpy as np
from django.core.signals import request_finished
from django.db import DatabaseError

from . import status as rules
from .cache import current_version
from .filtersets import CommitmentFilterSet
from .models import Commitment
from .taxonomy import TAXONOMY_FACETS, link_table

# The parameters the index can apply; any other narrowing one (``as_of``) means counting in SQL.
SUPPORTED = frozenset({"q", "status", *TAXONOMY_FACETS, "overdue", "stale", "due_after", "due_before"})
STATUS_CODES = rules.CODES
logger = logging.getLogger(__name__)
_NO_DAY = rules.NO_DAY


@dataclass(frozen=True)
class FacetIndex:
    """Arrays over the public commitments, ordered by id; ``links`` maps a facet to (row, entry id) pairs."""

    version: str
    ids: np.ndarray  # commitment ids, ascending
    status: np.ndarray  # STATUS_CODES of the current status
    source: np.ndarray  # source id, -1 for none
    due: np.ndarray  # due date as an ordinal, _NO_DAY for none
    last_news: np.ndarray  # ordinal of the current status date, else of the date made, else _NO_DAY
    links: dict[str, tuple[np.ndarray, np.ndarray]]

    @property
    def size(self) -> int:
        return len(self.ids)

    @property
    def nbytes(self) -> int:
        """The memory its arrays take (what each process holds)."""
        columns = (self.ids, self.status, self.source, self.due, self.last_news)
        return sum(a.nbytes for a in columns) + sum(r.nbytes + v.nbytes for r, v in self.links.values())

    def rows_of(self, ids) -> np.ndarray:
        """A mask of the rows whose id is in ``ids`` (ids of non-public commitments are ignored)."""
        wanted = np.fromiter(ids, dtype=np.int64)
        mask = np.zeros(self.size, dtype=bool)
        if wanted.size and self.size:
            at = np.searchsorted(self.ids, wanted).clip(max=self.size - 1)
            mask[at[self.ids[at] == wanted]] = True
        return mask

    def linked_to(self, facet: str, entries: list[int]) -> np.ndarray:
        if facet == "source":
            return np.isin(self.source, entries)
        rows, values = self.links[facet]
        mask = np.zeros(self.size, dtype=bool)
        mask[rows[np.isin(values, entries)]] = True
        return mask

    def overdue(self, on: date) -> np.ndarray:
        """The overdue rule's numpy form (``status.overdue_mask``)."""
        return rules.overdue_mask(status=self.status, due=self.due, on=on)

    def stale(self, on: date) -> np.ndarray:
        """The stale rule's numpy form (``status.stale_mask``)."""
        return rules.stale_mask(status=self.status, last_news=self.last_news, on=on)

    def count(self, facet: str, mask: np.ndarray) -> dict[int, int]:
        """Entry id -> how many rows of ``mask`` it links to (entries with none left out)."""
        if facet == "source":
            values = self.source[mask & (self.source >= 0)]
        else:
            rows, values = self.links[facet]
            values = values[mask[rows]]
        counts = np.bincount(values) if values.size else np.zeros(0, dtype=np.int64)
        present = np.flatnonzero(counts)
        return dict(zip(present.tolist(), counts[present].tolist(), strict=True))


    def status_counts(self, mask: np.ndarray | None = None) -> dict[str, int]:
        """Status slug -> how many rows (of ``mask``, default all), every status present."""
        status = self.status if mask is None else self.status[mask]
        by_code = np.bincount(status, minlength=len(STATUS_CODES))
        return {slug: int(by_code[code]) for slug, code in STATUS_CODES.items()}

    def breakdown(self, facet: str, entries) -> list[dict]:
        """Per entry of ``entries`` (``taxonomy.Entry``) with rows: slug, name, total and status counts.

        One ``bincount`` over (entry, status) pairs: the overview's "by theme" and "by country" tables.
        """
        if facet == "source":
            rows, values = np.flatnonzero(self.source >= 0), self.source[self.source >= 0]
        else:
            rows, values = self.links[facet]
        n_status = len(STATUS_CODES)
        pairs = values.astype(np.int64) * n_status + self.status[rows]
        counts = np.bincount(pairs) if pairs.size else np.zeros(0, dtype=np.int64)
        out = []
        for entry in entries:
            by_code = counts[entry.id * n_status:(entry.id + 1) * n_status]
            if by_code.any():
                by_status = {slug: int(by_code[code]) for slug, code in STATUS_CODES.items()
                             if code < len(by_code) and by_code[code]}
                out.append({"slug": entry.slug, "name": entry.label, "total": sum(by_status.values()),
                            "counts": by_status})
        return out


def build(*, version: str) -> FacetIndex:
    """Read the index from the database: one query for the commitments, one per link table."""
    rows = list(
        Commitment.objects.public()
        .order_by("pk")
        .values_list("pk", "current_status", "source_id", "due_date", "current_status_date", "date_made")
    )
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    links = {}
    for name, taxonomy in TAXONOMY_FACETS.items():
        if not taxonomy.is_linked:
            continue
        through, entry = link_table(taxonomy.relation)
        # Every link row, keeping those of public commitments here: cheaper than joining in SQL.
        pairs = np.array(list(through.objects.values_list("commitment_id", entry)), dtype=np.int64).reshape(-1, 2)
        at = np.searchsorted(ids, pairs[:, 0]).clip(max=max(len(ids) - 1, 0))
        public = ids[at] == pairs[:, 0] if len(ids) else np.zeros(len(pairs), dtype=bool)
        links[name] = (at[public].astype(np.int32), pairs[public, 1].astype(np.int32))
    return FacetIndex(
        version=version,
        ids=ids,
        status=np.fromiter((STATUS_CODES[r[1]] for r in rows), dtype=np.int8, count=len(rows)),
        source=np.fromiter((r[2] if r[2] is not None else -1 for r in rows), dtype=np.int32, count=len(rows)),
        due=rules.ordinals(r[3] for r in rows),
        last_news=rules.ordinals(r[4] or r[5] for r in rows),
        links=links,
    )


_lock = threading.Lock()
_current: FacetIndex | None = None
_wanted = False  # a page found no current index: build one once its response is written
_RECEIVER = "facet-index-refresh"


def current() -> FacetIndex | None:
    """The index at the current data version, or None (count in SQL) after asking for one to be built.

    Building takes about a second at 100,000 commitments, so no reader waits for it: the page that
    finds the index out of date counts in SQL, and the process builds it after sending that page.
    """
    global _wanted
    version = current_version()
    index = _current
    if index is not None and index.version == version and version:
        return index
    _wanted = bool(version)
    return None


def refresh() -> FacetIndex | None:
    """Build the index at the current data version and keep it; None if the data changed meanwhile.

    The version is read before and after the build: only if no public change committed in
    between (each one sets a new random token) is the index labelled with it.
    """
    global _current, _wanted
    with _lock:
        _wanted = False
        version = current_version()
        if _current is not None and _current.version == version:
            return _current
        if not version:
            return None
        index = build(version=version)
        if current_version() != version:
            return None
        _current = index
        return index


def connect() -> None:
    """Build after responses (``apps.ready``); ``disconnect()`` stops it (the bench and tests, to see pages alone)."""
    request_finished.connect(refresh_if_wanted, dispatch_uid=_RECEIVER)


def disconnect() -> None:
    request_finished.disconnect(dispatch_uid=_RECEIVER)


def refresh_if_wanted(**kwargs) -> None:
    """``request_finished`` receiver: build the index a page asked for, after its response was written."""
    if not _wanted:
        return
    try:
        refresh()
    except DatabaseError:  # a failed build only means the next page counts in SQL again
        logger.exception("Building the facet index failed")


def clear() -> None:
    """Forget this process's index (tests that write rows without bumping the version)."""
    global _current, _wanted
    _current, _wanted = None, False


def applies(filterset: CommitmentFilterSet) -> bool:
    return set(filterset.narrowing()) <= SUPPORTED


class Masks:
    """One boolean array per active filter of ``filterset``, combined on demand, leaving some out."""

    def __init__(self, index: FacetIndex, filterset: CommitmentFilterSet):
        self.index = index
        self.on = filterset.on
        cleaned = filterset.form.cleaned_data
        self.masks: dict[str, np.ndarray] = {}
        for name in filterset.narrowing():
            self.masks[name] = self._mask(filterset, name, cleaned[name])

    def _mask(self, filterset: CommitmentFilterSet, name: str, value) -> np.ndarray:
        index = self.index
        if name == "q":
            return index.rows_of(Commitment.objects.search_ids(value))
        if name == "status":
            return np.isin(index.status, [STATUS_CODES[slug] for slug in value])
        if name in TAXONOMY_FACETS:
            entries = filterset.catalogue[name]
            return index.linked_to(name, [entries[slug].id for slug in value])
        if name == "overdue":
            return index.overdue(self.on)
        if name == "stale":
            return index.stale(self.on)
        if name == "due_after":
            return (index.due != _NO_DAY) & (index.due >= value.toordinal())
        if name == "due_before":
            return (index.due != _NO_DAY) & (index.due <= value.toordinal())
        raise ValueError(f"the facet index cannot apply {name!r}")

    def without(self, *names: str) -> np.ndarray:
        mask = np.ones(self.index.size, dtype=bool)
        for name, other in self.masks.items():
            if name not in names:
                mask &= other
        return mask


def status_and_flag_counts(masks: Masks) -> tuple[dict, dict]:
    """As ``counting.sql.status_and_flag_counts``: the status facet's counts and each flag option's count."""
    index = masks.index
    statuses = index.status_counts(masks.without("status"))
    # A flag's option counts the rows with it switched on: every other filter, the status choice and the other flag.
    flags = {
        "overdue": int((masks.without("overdue") & index.overdue(masks.on)).sum()),
        "stale": int((masks.without("stale") & index.stale(masks.on)).sum()),
    }
    return statuses, flags


def taxonomy_counts(masks: Masks, names) -> dict[str, dict[int, int]]:
    return {name: masks.index.count(name, masks.without(name)) for name in names}
