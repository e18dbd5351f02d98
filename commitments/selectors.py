"""Page reads: what each public page reads, from the QuerySets' questions (``querysets.py``).

``Commitment.objects.public()`` is the one name for "what the public may see"; every public
surface starts from it. Status "as of a day" is answered by ``with_status_on`` only.
"""

from __future__ import annotations

import functools
from collections import namedtuple
from dataclasses import dataclass
from datetime import date

from django.db import connection, models
from django.db.models import F, Prefetch, Q, Value

from . import counting, country_status
from .aggregates import union_all
from .dates import Precision
from .languages import OTHERS
from .models import CountryStatus, Evidence, PublicChange, Revision, StatusUpdate
from .querysets import CommitmentQuerySet
from .status import EFFECTIVE_ORDER, scale
from .taxonomy import LINKED, Entry, link_table, translated_entry

# --- what each public page reads ----------------------------------------------------------


def for_list(queryset: CommitmentQuerySet) -> CommitmentQuerySet:
    """Rows as records (the API): source joined, themes and countries prefetched as model instances."""
    return queryset.select_related("source").prefetch_related("themes", "countries")


def for_page(queryset: CommitmentQuerySet) -> CommitmentQuerySet:
    """Rows a page shows with ``{% commitment_rows %}`` (the list, the overview, a taxonomy page): source joined;
    their themes' and countries' names come after, from ``shown_rows``."""
    return queryset.select_related("source")


ROW_NAMES = ("themes", "countries")  # the relations a row names (``{% commitment_rows %}``)


# A theme's or country's name as a row shows it: its slug, its name, and its names in the other languages.
Name = namedtuple("Name", ["slug", "name", *(f"name_{code}" for code in OTHERS)])  # noqa: PYI024 - fields from OTHERS


def shown_rows(rows) -> list:
    """A page's rows, ready for ``{% commitment_rows %}``: ``with_status_precision``, and each row's ``shown_names``
    (relation -> its ``Name``s, in name order as ``row.themes.all()`` gives them), one query for both relations.

    Not a prefetch: prefetching built a model instance for each of about 100 names a page and took 60% of the time
    to read a page's 25 rows (about 5 ms at 100k, ``docs/performance.md``); these are tuples.
    """
    rows = with_status_precision(rows)
    found: dict[tuple[str, int], list[Name]] = {(relation, c.pk): [] for c in rows for relation in ROW_NAMES}
    if rows:
        ids = [c.pk for c in rows]
        size = -(-len(ids) // NAMES_BATCH) * NAMES_BATCH  # the ids padded (with the first again) to a batch
        sql, params, slots = _names_query(size, connection.vendor)
        bound = list(params)
        for at, slot in slots:
            bound[at] = ids[slot] if slot < len(ids) else ids[0]
        with connection.cursor() as cursor:
            cursor.execute(sql, bound)
            for relation, pk, *values, _entry in cursor.fetchall():
                found[(relation, pk)].append(Name(*values))
    for c in rows:
        c.shown_names = {relation: found[(relation, c.pk)] for relation in ROW_NAMES}
    return rows


NAMES_BATCH = 25  # a page's rows (``views.PER_PAGE``): the names query is written once for each multiple of it


@functools.lru_cache(maxsize=16)
def _names_query(size: int, vendor: str) -> tuple[str, tuple, list[tuple[int, int]]]:
    """``shown_rows``'s query for ``size`` ids, as the ORM writes it (the union of the two link tables joined to
    their names, ordered by relation, name, id), and where each id goes among its parameters.

    Written once per size (and database) and kept: building the two annotated querysets and their union took the
    ORM 2–3 ms a page, the query itself 0.3 ms. The ids are bound as parameters, never written into the SQL.
    """
    placeholders = [-1 - i for i in range(size)]  # stand-ins: no id is negative
    parts = []
    for relation in ROW_NAMES:
        through, column = link_table(relation)
        entry = column.removesuffix("_id")  # the link table's key to the theme or country
        names = {"n": F(f"{entry}__name"), **{f"n_{code}": F(f"{entry}__name_{code}") for code in OTHERS}}
        parts.append(through.objects.filter(commitment_id__in=placeholders)
                     .annotate(r=Value(relation), c=F("commitment_id"), s=F(f"{entry}__slug"), **names, e=F(column))
                     .values_list("r", "c", "s", *names, "e"))
    sql, params = union_all(parts).order_by("r", "n", "e").query.sql_with_params()
    slots = [(at, -1 - value) for at, value in enumerate(params) if isinstance(value, int) and value < 0]
    if len(slots) != size * len(ROW_NAMES):
        raise RuntimeError("the names query's parameters are not the ids it was written for")
    return sql, tuple(params), slots


class RowsInOrder:
    """A list's rows when the facet index knows them in order (``counting.ListCounts.ordered_ids``): the
    paginator's slice reads that page's rows alone, by id (``WHERE id IN (…25 ids)``), and gives them in the ids'
    order (the default order or by relevance, as the index gave). The database neither searches nor ranks nor
    filters nor sorts every match to show 25: the same rows come in the same order.

    ``queryset``: the rows' query without the filters (``CommitmentFilterSet.rows_by_id``), as the page reads
    it (``for_page`` for the list).
    """

    def __init__(self, queryset: CommitmentQuerySet, ids):
        self.queryset, self.ids = queryset, ids

    def __len__(self) -> int:
        return len(self.ids)

    def count(self) -> int:
        return len(self.ids)

    def __getitem__(self, part: slice) -> list:
        if not isinstance(part, slice):
            raise TypeError("RowsInOrder is read a page (a slice) at a time")
        ids = self.ids[part].tolist()
        place = {pk: at for at, pk in enumerate(ids)}
        # Put in the ids' order here (in the default order, the query's own already): an ORDER BY of each id's
        # place, a CASE of 25 WHENs, took the ORM about 6 ms more CPU to build at 100,000 (14 → 20 ms a page).
        return sorted(self.queryset.filter(pk__in=ids), key=lambda row: place[row.pk])

    def __iter__(self):
        """Every row, in order (one query): what the paginator's ``object_list`` holds."""
        return iter(self[:])


def list_rows(filterset, ordered_ids) -> CommitmentQuerySet | RowsInOrder:
    """The rows of the list page (``for_page``): by id in the order the facet index gives, when it gives one."""
    if ordered_ids is None:
        return for_page(filterset.qs)
    return RowsInOrder(for_page(filterset.rows_by_id()), ordered_ids)


def with_status_precision(rows) -> list:
    """The rows (commitments annotated by ``at()``) as a list, each with ``eff_status_precision``: how precise
    the as-of date of the update its status comes from is (``dates.Precision``). The current status carries
    its own (``current_status_precision``); as of a past day, one query for them all, none when no row has
    a status date.

    The update is the first one in the effective order with the row's status date as its as-of date.
    """
    rows = list(rows)
    if all(hasattr(c, "eff_status_precision") for c in rows):
        return rows  # the current status: ``at()`` read its stored precision with the row, no query
    keys = {(c.pk, c.eff_status_date) for c in rows if c.eff_status_date is not None}
    found: dict[tuple, str] = {}
    if keys:
        updates = (
            StatusUpdate.objects.published().overall()
            .filter(commitment__in={pk for pk, _ in keys}, as_of__in={day for _, day in keys})
            .order_by("commitment_id", *EFFECTIVE_ORDER)
            .values_list("commitment_id", "as_of", "as_of_precision")
        )
        for pk, as_of, precision in updates:
            found.setdefault((pk, as_of), precision)
    for c in rows:
        c.eff_status_precision = found.get((c.pk, c.eff_status_date), Precision.DAY)
    return rows


def for_detail(queryset: CommitmentQuerySet) -> CommitmentQuerySet:
    return queryset.select_related("source", "attributed_to")


def taxonomies_of(*, commitment) -> dict[str, list]:
    """The commitment's actors, countries and themes (``TranslatedEntry``: slug and label, in every language),
    each by name: one query."""
    parts = []
    for name, taxonomy in LINKED.items():
        links = link_table(taxonomy.relation)[0].objects.filter(commitment=commitment).order_by()
        facet = Value(name, output_field=models.CharField())
        columns = {"facet": facet, "entry": F(f"{name}_id"), "slug": F(f"{name}__slug"), "label": F(f"{name}__name"),
                   **{f"label_{code}": F(f"{name}__name_{code}") for code in OTHERS}}
        parts.append(links.annotate(**columns).values_list(*columns))
    found: dict[str, list] = {name: [] for name in LINKED}
    # Ordered by the database, like the taxonomy models' own ordering (its collation, not Python's).
    for facet, pk, slug, label, *translations in union_all(parts).order_by("label", "entry"):
        found[facet].append(translated_entry(pk, slug, label, translations))
    return found


def public_timeline(*, commitment, country: int | None = None) -> list:
    """The commitment's updates on the public record, newest first, each with its evidence and the country
    it describes (none: an overall update).

    Withdrawn updates are listed too (the page shows them collapsed, with the withdrawal's date and
    reason); they count for no status. ``country`` (an id): only the updates for that country.
    """
    evidence = Prefetch("evidence", queryset=Evidence.objects.on_record())
    updates = commitment.status_updates.on_record()
    if country is not None:
        updates = updates.filter(country=country)
    return list(updates.effective_order().select_related("country").prefetch_related(evidence))


@dataclass(frozen=True)
class CountryRow:
    """A commitment's status in one of its countries (``country_status``), as its page and the admin show it."""

    country: Entry
    status: str
    as_of: date | None
    precision: str
    update_id: int | None  # the published update the status comes from; None: not yet assessed there
    regional: bool  # the commitment's one overall status, the same in every country


def country_table(*, commitment, countries: list[Entry], timeline: list | None = None) -> list[CountryRow]:
    """The status of ``commitment`` in each of ``countries`` (its countries, as ``taxonomies_of`` reads them).

    The rule is ``country_status``'s: a regional commitment shows its overall status in every country
    (labelled regional); a per-country one its latest published update for that country (the derived
    ``CountryStatus``), else "Not yet assessed" there, never the overall status nor another country's.
    One query for a per-country commitment; for a regional one none when ``timeline`` (its updates,
    newest first, as ``public_timeline`` reads them) gives the latest overall update, else one.
    """
    if commitment.assessment_scope != country_status.PER_COUNTRY:
        if timeline is not None:
            latest = next((u.pk for u in timeline if u.is_published and u.country_id is None), None)
        else:
            latest = (commitment.status_updates.published().overall().effective_order()
                      .values_list("pk", flat=True).first())
        return [CountryRow(entry, commitment.current_status, commitment.current_status_date,
                           commitment.current_status_precision, latest, True) for entry in countries]
    stored = {
        country: (status, day, precision, update)
        for country, status, day, precision, update in CountryStatus.objects.filter(commitment=commitment)
        .values_list("country_id", "status", "status_date", "status_precision", "update_id")
    }
    missing = (country_status.NOT_ASSESSED, None, Precision.DAY, None)
    return [CountryRow(entry, *stored.get(entry.id, missing), False) for entry in countries]


@dataclass(frozen=True)
class KnownSince:
    """When an undated commitment is first known to exist, as precise as what says so, and what says so."""

    day: date
    precision: str
    basis: str  # "its source's date" or "its first evidence"


def known_since(*, commitment) -> KnownSince | None:
    """For an undated commitment with a ``known_since``: that day, its precision and its basis (else None).

    Reads the evidence (one query) only when neither the commitment nor its source is dated.
    """
    if commitment.date_made is not None or commitment.known_since is None:
        return None
    source = commitment.source
    if source.date is not None and source.date == commitment.known_since:
        return KnownSince(source.date, source.date_precision, "its source’s date")
    first = commitment.evidence.filter(date=commitment.known_since).values_list("date_precision", flat=True).first()
    return KnownSince(commitment.known_since, first or "day", "its first evidence")


def public_changes(*, commitment) -> list[PublicChange]:
    """The public change history of the commitment, newest first: one query.

    Every ``PublicChange`` of the commitment (publication, corrections, assessments, withdrawals,
    archiving) and the corrections of the sources it is quoted from (their title and address are
    shown on its page). Each entry has its date, kind, reason and, for cited words, old and new text.
    """
    sources = [pk for pk in (commitment.source_id, commitment.attributed_to_id) if pk]
    mine = Q(commitment=commitment) | Q(subject_type=Revision.Subject.SOURCE, subject_id__in=sources)
    return list(
        PublicChange.objects.filter(mine)
        .select_related("status_update__country")
        .order_by("-happened_at", "-id")
    )


def archive_notice(*, commitment) -> PublicChange | None:
    """The entry that archived the commitment (its date and public reason), or None if none was recorded."""
    return (
        PublicChange.objects.filter(commitment=commitment, kind=PublicChange.Kind.ARCHIVED)
        .order_by("-happened_at", "-id")
        .first()
    )


@dataclass(frozen=True)
class Segment:
    slug: str
    label: str
    definition: str
    count: int
    percent: float
    offset: float


def status_bar(counts: dict[str, int]) -> list[Segment]:
    """The status counts as bar segments (every status, zeros included, in scale order)."""
    total = sum(counts.values()) or 1
    segments, offset = [], 0.0
    for info in scale():
        percent = 100 * counts.get(info.slug, 0) / total
        segments.append(Segment(info.slug, info.label, info.definition, counts.get(info.slug, 0), percent, offset))
        offset += percent
    return segments


def _with_bars(rows) -> list[dict]:
    """The rows (not changed: ``counting`` may keep them with the facet index), each with its status bar in the
    page's language, the largest first."""
    return sorted(({**entry, "bar": status_bar(entry["counts"])} for entry in rows),
                  key=lambda e: (-e["total"], e["name"]))


def overview_sections(queryset: CommitmentQuerySet, *, on: date, current: bool) -> dict[str, CommitmentQuerySet]:
    """The overview's three sections in SQL, each in a total order (``id`` last), so that the facet index gives
    the same rows in the same order (``FacetIndex.overview_sections``; ``tests/test_counting_engines.py``)."""
    # Order by the stored column itself when it is the one shown (``at()`` today): SQLite walks its index.
    assessed = "current_status_date" if current else "eff_status_date"
    return {
        "recent": queryset.exclude(eff_status_date=None).order_by(F(assessed).desc(), "title", "id"),
        "overdue": queryset.overdue(on=on).order_by("due_date", "title", "id"),
        # An undated commitment (no date made) where the database sorts no date (SQLite first, PostgreSQL last):
        # so both walk an index in this order (migrations 0013, 0015).
        "stale": queryset.stale(on=on).order_by(F(assessed).asc(nulls_first=True), "date_made", "title", "id"),
    }


def overview(*, queryset: CommitmentQuerySet, on: date, current: bool, limit: int = 8) -> dict:
    """Everything the overview page shows, for the day ``on`` (queryset already ``at()`` that day).

    ``current``: the day is today and the statuses are the stored ones, so the per-theme and
    per-country counts, the overdue and stale counts and the ids of each section's rows may come from the
    facet index when it is current (``counting.overview_counts``): the three sections are then read by id in
    one query (with its two prefetches), instead of three filtered and sorted ones.
    """
    numbers = counting.overview_counts(queryset, day=None if current else on, on=on, facets=("theme", "country"),
                                       limit=limit)
    if numbers.sections is not None:
        wanted = {pk for ids in numbers.sections.values() for pk in ids.tolist()}
        found = {c.pk: c for c in for_page(queryset.filter(pk__in=wanted).order_by())} if wanted else {}
        # A row made private since the index was read is left out (the next page reads a rebuilt index).
        sections = {name: [found[pk] for pk in ids.tolist() if pk in found] for name, ids in numbers.sections.items()}
    else:
        sections = {name: list(for_page(rows)[:limit])
                    for name, rows in overview_sections(queryset, on=on, current=current).items()}
    shown_rows([c for rows in sections.values() for c in rows])  # one query for the three sections' names
    return {
        "total": sum(numbers.statuses.values()),
        "bar": status_bar(numbers.statuses),
        "by_theme": _with_bars(numbers.by["theme"]),
        "by_country": _with_bars(numbers.by["country"]),
        **sections,
        "overdue_count": numbers.overdue,
        "stale_count": numbers.stale,
    }


# --- the compliance matrix: commitments down, countries across ------------------------------


@dataclass(frozen=True)
class Cell:
    """One commitment in one country: its status there, by the rule of ``country_status``."""

    status: str | None  # None: the commitment is not filed under this country
    scope: str = ""  # the commitment's ``assessment_scope`` ("regional" or "per_country"), where filed
    as_of: date | None = None
    precision: str = Precision.DAY
    update_id: int | None = None  # the update the status comes from (its evidence); None when not assessed

    @property
    def regional(self) -> bool:
        return self.scope == country_status.REGIONAL

    @property
    def anchor(self) -> str:
        """Where on the commitment's page the evidence is: the update's anchor ("" when not assessed)."""
        return f"#update-{self.update_id}" if self.update_id else ""


NOT_FILED = Cell(None)


def matrix_countries(filterset) -> list[Entry]:
    """The matrix's columns: the public countries by name, or only the ones the ``country`` filter names."""
    entries = filterset.catalogue["country"]
    chosen = set(filterset.form.cleaned_data.get("country") or [])
    return [e for slug, e in entries.items() if not chosen or slug in chosen]


def matrix_cells(*, commitments: list[int], countries: list[int] | None, day: date | None,
                 key: str = "country_id") -> dict[tuple[int, int | str], Cell]:
    """Each (commitment, country) link's cell, now or on ``day``: one query, however many rows and countries.

    ``countries``: ids (None: every country the commitments are filed under); ``key``: how the result names
    a country (``country_id``, or ``country__slug`` for the exports). A pair that is not in the result is
    not filed under that country (``NOT_FILED``).
    """
    through, _ = link_table("countries")
    status, status_date = country_status.link_annotations(day=day)
    precision, update = country_status.link_evidence(day=day)
    links = through.objects.filter(commitment_id__in=commitments)
    if countries is not None:
        links = links.filter(country_id__in=countries)
    links = (
        links.annotate(cell_status=status, cell_date=status_date, cell_precision=precision, cell_update=update)
        .order_by()
        .values_list("commitment_id", key, "commitment__assessment_scope", "cell_status", "cell_date",
                     "cell_precision", "cell_update")
    )
    return {(c, k): Cell(s, scope, as_of, p or Precision.DAY, u) for c, k, scope, s, as_of, p, u in links}


def link_statuses(*, commitments: list[int], day: date | None) -> dict[tuple[int, str], str]:
    """The status of each of ``commitments`` in each country it is filed under (by slug), now or on ``day``, by
    ``country_status``'s rule: one query, lighter than ``matrix_cells`` (no date, precision or evidence)."""
    through, _ = link_table("countries")
    status, _ = country_status.link_annotations(day=day)
    links = (through.objects.filter(commitment_id__in=commitments).annotate(cell_status=status).order_by()
             .values_list("commitment_id", "country__slug", "cell_status"))
    return {(c, k): s for c, k, s in links}


def matrix_rows(commitments, *, countries: list[Entry], day: date | None) -> list[tuple]:
    """The page's rows: (commitment, its (country, cell) pairs in the order of ``countries``); one query of cells."""
    commitments = list(commitments)
    cells = matrix_cells(commitments=[c.pk for c in commitments], countries=[e.id for e in countries], day=day)
    return [(c, [(e, cells.get((c.pk, e.id), NOT_FILED)) for e in countries]) for c in commitments]


# --- the updates page ---------------------------------------------------------------------


@dataclass(frozen=True)
class UpdateEvent:
    """One line of /updates/: an update's publication, or its withdrawal (as in the Atom feed)."""

    update: StatusUpdate
    withdrawal: bool

    @property
    def anchor(self) -> str:
        """The fragment of the commitment page where this event is shown."""
        return f"withdrawn-{self.update.pk}" if self.withdrawal else f"update-{self.update.pk}"


def event_updates(*, commitments: CommitmentQuerySet, narrows: bool, as_of: date | None,
                  describing: models.Q | None = None) -> models.QuerySet:
    """The updates on record of ``commitments`` (public ones, already filtered) whose publications and withdrawals
    /updates/, the feed and ``/updates/export.*`` list: with ``as_of``, none dated later; with ``describing``,
    only those that describe the chosen countries. Unordered."""
    commitments = commitments.order_by()
    # On the record, of ``commitments`` (public ones only): ``public_record()``, but its join to every
    # commitment would make SQLite sort all the updates rather than walk the newest (as the feed does).
    updates = StatusUpdate.objects.on_record()
    if narrows:  # perhaps few commitments match: start from them
        updates = updates.filter(commitment__in=commitments.values("pk"))
    else:  # every public commitment: walk the updates newest first, checking each one's commitment
        updates = updates.filter(models.Exists(commitments.filter(pk=models.OuterRef("commitment_id"))))
    if as_of is not None:
        updates = updates.filter(as_of__lte=as_of)
    if describing is not None:
        updates = updates.filter(describing)
    return updates


def update_events(*, commitments: CommitmentQuerySet, narrows: bool, as_of: date | None, offset: int,
                  limit: int, describing: models.Q | None = None) -> list[UpdateEvent]:
    """The publications and withdrawals of the updates on record of ``commitments`` (public ones, already
    filtered), newest first, from ``offset``: at most ``limit`` of them. The same updates as the Atom feed for
    the same filters: with ``as_of``, none dated later; with ``describing`` (``country_status.describes_q``),
    only the updates that describe the chosen countries.

    Two keyset walks (publications by ``published_at``, withdrawals by ``withdrawn_at``), each of the newest
    ``offset + limit`` only, merged here; then the page's updates in one query. Nothing counts or sorts every
    update (a million at 100,000 commitments): the page is as fast as the feed, and costs grow with its depth.
    """
    updates = event_updates(commitments=commitments, narrows=narrows, as_of=as_of, describing=describing)
    newest = offset + limit
    keys = [(when, pk, False) for pk, when in
            updates.order_by("-published_at", "-id").values_list("id", "published_at")[:newest]]
    keys += [(when, pk, True) for pk, when in
             updates.withdrawn().order_by("-withdrawn_at", "-id").values_list("id", "withdrawn_at")[:newest]]
    keys = sorted(keys, reverse=True)[offset:newest]
    if not keys:
        return []
    found = StatusUpdate.objects.public_record().select_related("commitment", "country").in_bulk(
        {pk for _, pk, _ in keys})
    return [UpdateEvent(found[pk], withdrawal) for _, pk, withdrawal in keys if pk in found]
