"""Reads: every question the site asks of the data, asked in one place.

``Commitment.objects.public()`` is the one name for "what the public may see"; every public
surface starts from it. Status "as of a day" is answered by ``with_status_on`` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import connections, models
from django.db.models import ExpressionWrapper, F, OuterRef, Q, Subquery, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone

from .status import CLOSED, Status, scale, stale_cutoff

# ``by_status_and_flag_counts`` columns, by (overdue only?, stale only?).
FLAG_COLUMNS = {(False, False): "n_all", (True, False): "n_overdue", (False, True): "n_stale", (True, True): "n_both"}


class StatusUpdateQuerySet(models.QuerySet):
    def published(self) -> StatusUpdateQuerySet:
        return self.filter(published_at__isnull=False)

    def drafts(self) -> StatusUpdateQuerySet:
        return self.filter(published_at__isnull=True)

    def effective_order(self) -> StatusUpdateQuerySet:
        """Latest first by as-of date; ties go to the update published last."""
        return self.order_by("-as_of", "-published_at", "-id")

    def public(self) -> StatusUpdateQuerySet:
        """Published updates of public commitments."""
        from .models import Commitment

        return self.published().filter(commitment__state=Commitment.State.PUBLISHED)


class CommitmentQuerySet(models.QuerySet):
    def public(self) -> CommitmentQuerySet:
        """What the public may see: published commitments (not drafts, not archived)."""
        return self.filter(state=self.model.State.PUBLISHED)

    def with_status_on(self, day: date, *, name: str = "status_on", with_date: bool = True) -> CommitmentQuerySet:
        """Annotate ``status_on`` and ``status_date_on``: the status as it stood on ``day``.

        From published updates with an as-of date up to and including ``day``; with none,
        "not assessed". Reports and the ``as_of`` filter both use this. ``name`` renames the
        annotations (``name`` and ``<name>_date``) when one query needs several days.
        """
        from .models import StatusUpdate

        latest = StatusUpdate.objects.published().filter(commitment=OuterRef("pk"), as_of__lte=day).effective_order()
        date_name = "status_date_on" if name == "status_on" else f"{name}_date"
        annotations = {name: Coalesce(Subquery(latest.values("status")[:1]), Value(Status.NOT_ASSESSED.value))}
        if with_date:  # callers that need only the status save a subquery per row
            annotations[date_name] = Subquery(latest.values("as_of")[:1])
        return self.annotate(**annotations)

    def made_by(self, day: date) -> CommitmentQuerySet:
        """Commitments made on or before ``day``; undated ones (date unknown) always count as made."""
        return self.filter(Q(date_made__lte=day) | Q(date_made__isnull=True))

    def at(self, day: date | None = None) -> CommitmentQuerySet:
        """Annotate the status every public surface shows: ``eff_status``, ``eff_status_date``, ``eff_overdue``.

        With no day: the stored current status. With a day: the status as it stood then (from
        ``with_status_on``), leaving out commitments not yet made on that day. ``overdue()``,
        ``stale()`` and ``by_status_counts()`` then answer for that day too.
        """
        if day is None:
            qs = self.annotate(eff_status=F("current_status"), eff_status_date=F("current_status_date"))
        else:
            qs = self.made_by(day).with_status_on(day)
            qs = qs.annotate(eff_status=F("status_on"), eff_status_date=F("status_date_on"))
        on = day or timezone.localdate()
        overdue = Q(due_date__lt=on) & ~Q(eff_status__in=sorted(CLOSED))
        return qs.annotate(eff_overdue=ExpressionWrapper(overdue, output_field=models.BooleanField()))

    def _status_fields(self) -> tuple[str, str]:
        if "eff_status" in self.query.annotations:
            return "eff_status", "eff_status_date"
        return "current_status", "current_status_date"

    def overdue_q(self, *, on: date | None = None) -> Q:
        """The overdue rule as a condition: a due date before ``on`` (default today), not achieved or abandoned."""
        status, _ = self._status_fields()
        return ~Q(**{f"{status}__in": sorted(CLOSED)}) & self._past_due_q(on=on)

    def stale_q(self, *, on: date | None = None) -> Q:
        """The stale rule as a condition: open, no published update for nine months (none: from date made)."""
        status, _ = self._status_fields()
        return ~Q(**{f"{status}__in": sorted(CLOSED)}) & self._quiet_q(on=on)

    def _past_due_q(self, *, on: date | None) -> Q:
        """The date half of the overdue rule (the other half: the status is open)."""
        return Q(due_date__lt=on or timezone.localdate())

    def _quiet_q(self, *, on: date | None) -> Q:
        """The date half of the stale rule (the other half: the status is open)."""
        _, status_date = self._status_fields()
        cutoff = stale_cutoff(on or timezone.localdate())
        # "Last assessed, or else made, on or before the cutoff", written without an OR so that
        # SQLite walks the (state, date, made) index in the overview's order instead of sorting.
        last_news = Coalesce(F(status_date), F("date_made"))
        return Q(LessThanOrEqual(last_news, cutoff))

    def overdue(self, *, on: date | None = None) -> CommitmentQuerySet:
        return self.filter(self.overdue_q(on=on))

    def stale(self, *, on: date | None = None) -> CommitmentQuerySet:
        return self.filter(self.stale_q(on=on))

    def search(self, text: str) -> CommitmentQuerySet:
        """Commitments whose title, quote or a published update's summary match ``text``.

        Both search one document per commitment (its title, quote and published summaries).
        PostgreSQL: full-text search (English stemming, web-search syntax: "quoted phrase", -not,
        or), served by a GIN index (``pg_search``, migration 0014). SQLite: every word must begin a word of those
        texts (prefix match, case- and accent-insensitive), served by an FTS5 index (migration 0011).
        """
        matches = self._search_sql(text)
        if matches is None:  # no word to look for (only punctuation): nothing matches
            return self.none()
        return self.filter(pk__in=RawSQL(*matches))  # noqa: S611 - constants; the words are a parameter

    def search_ids(self, text: str) -> list[int]:
        """The ids ``search(text)`` matches, of any commitment (public or not), read from the index alone.

        Without the join to this queryset's table: the facet index keeps the public ones itself.
        """
        matches = self._search_sql(text)
        if matches is None:
            return []
        with connections[self.db].cursor() as cursor:
            cursor.execute(*matches)
            return [row[0] for row in cursor.fetchall()]

    def _search_sql(self, text: str) -> tuple[str, list] | None:
        """SQL selecting the ids of the commitments whose document matches ``text``, with its parameters."""
        if connections[self.db].vendor == "postgresql":
            from . import pg_search

            table, config = pg_search.TABLE, pg_search.CONFIG  # constants; the words arrive as a parameter
            return f"SELECT commitment_id FROM {table} WHERE document @@ websearch_to_tsquery('{config}', %s)", [text]  # noqa: S608
        from . import sqlite_search

        expression = sqlite_search.match_expression(text)
        if expression is None:
            return None
        table = sqlite_search.TABLE  # a constant; the user's words arrive as a parameter
        return f"SELECT rowid FROM {table} WHERE {table} MATCH %s", [expression]  # noqa: S608

    def by_status_counts(self) -> dict[str, int]:
        """Counts per status slug, every slug present (zero where none), in one query."""
        status, _ = self._status_fields()
        counts = dict.fromkeys(Status.values, 0)
        for row in self.order_by().values(status).annotate(n=models.Count("pk")):
            counts[row[status]] = row["n"]
        return counts

    def by_status_and_flag_counts(self, *, on: date | None = None) -> dict[str, dict[str, int]]:
        """Per status slug (every slug present): how many rows in all, overdue, stale, and both. One query.

        The status facet and the overdue and stale options are all sums of these four counts.
        """
        status, _ = self._status_fields()
        # Grouped by status, the "open" half of both rules is the group's own: only the date halves
        # are counted in SQL. (With ``as_of`` the status is a subquery per row, so it is asked once.)
        past_due, quiet = self._past_due_q(on=on), self._quiet_q(on=on)
        counts = {slug: dict.fromkeys(FLAG_COLUMNS.values(), 0) for slug in Status.values}
        rows = self.order_by().values(status).annotate(
            n_all=models.Count("pk"),
            n_overdue=models.Count("pk", filter=past_due),
            n_stale=models.Count("pk", filter=quiet),
            n_both=models.Count("pk", filter=past_due & quiet),
        )
        for row in rows:
            closed = row[status] in CLOSED
            counts[row[status]] = {column: 0 if closed and column != "n_all" else row[column]
                                   for column in FLAG_COLUMNS.values()}
        return counts

    def delete(self):
        """Refused, saying to archive instead, when any of these commitments has a published update."""
        from .models import refuse_delete_if_published

        refuse_delete_if_published(self)
        return super().delete()


def derived_status(*, commitment) -> tuple[str, date | None]:
    """The current status and its as-of date, from the commitment's published updates."""
    latest = commitment.status_updates.published().effective_order().values("status", "as_of").first()
    if latest is None:
        return Status.NOT_ASSESSED.value, None
    return latest["status"], latest["as_of"]


# --- what each public page reads ----------------------------------------------------------


def for_list(queryset: CommitmentQuerySet) -> CommitmentQuerySet:
    """Rows of the list, taxonomy pages and exports: source joined, themes and countries prefetched."""
    return queryset.select_related("source").prefetch_related("themes", "countries")


def with_taxonomy_lists(queryset: CommitmentQuerySet) -> CommitmentQuerySet:
    """Annotate ``theme_slugs``, ``country_slugs``, ``actor_names`` (joined; see ``aggregates.split``).

    For exports and report snapshots: every row's taxonomies in the same streamed query.
    """
    from .aggregates import joined
    from .models import Commitment

    return queryset.annotate(
        theme_slugs=joined(Commitment.themes.through, "commitment", "theme__slug"),
        country_slugs=joined(Commitment.countries.through, "commitment", "country__slug"),
        actor_names=joined(Commitment.actors.through, "commitment", "actor__name"),
    )


def for_detail(queryset: CommitmentQuerySet) -> CommitmentQuerySet:
    return queryset.select_related("source", "attributed_to")


def taxonomies_of(*, commitment) -> dict[str, list]:
    """The commitment's actors, countries and themes (``Entry``: slug and label), each by name: one query."""
    from .aggregates import union_all
    from .filtersets import Entry, link_table

    parts = []
    for name, relation in (("actor", "actors"), ("country", "countries"), ("theme", "themes")):
        links = link_table(relation)[0].objects.filter(commitment=commitment).order_by()
        facet = Value(name, output_field=models.CharField())
        columns = {"facet": facet, "entry": F(f"{name}_id"), "slug": F(f"{name}__slug"), "label": F(f"{name}__name")}
        parts.append(links.annotate(**columns).values_list(*columns))
    found: dict[str, list] = {"actor": [], "country": [], "theme": []}
    # Ordered by the database, like the taxonomy models' own ordering (its collation, not Python's).
    for facet, pk, slug, label in union_all(parts).order_by("label", "entry"):
        found[facet].append(Entry(pk, slug, label))
    return found


def public_timeline(*, commitment) -> list:
    """The commitment's published updates, newest first, each with its evidence."""
    return list(commitment.status_updates.published().effective_order().prefetch_related("evidence"))


# Fields whose changes the public may see; staff names and internal notes stay private.
PUBLIC_HISTORY_FIELDS = [
    "title",
    "quote",
    "quote_context",
    "source",
    "attributed_to",
    "location",
    "statement_type",
    "scope_note",
    "date_made",
    "due_date",
    "due_text",
    "other_countries",
    "actors",
    "countries",
    "themes",
]
HISTORY_LIMIT = 30


@dataclass(frozen=True)
class PublicChange:
    when: datetime
    fields: list[str]


def public_changes(*, commitment) -> list[PublicChange]:
    """Changes to the commitment's public fields since it was first published, newest first.

    Bounded to the last ``HISTORY_LIMIT`` records; the many-to-many fields are read in one query
    each (not two per record, as ``diff_against`` would), so the page's query count is constant.
    """
    records = list(commitment.history.order_by("-history_date", "-history_id")[:HISTORY_LIMIT])
    records.reverse()
    m2m_fields = [name for name in PUBLIC_HISTORY_FIELDS if commitment._meta.get_field(name).many_to_many]
    plain_fields = [name for name in PUBLIC_HISTORY_FIELDS if name not in m2m_fields]
    first = next((i for i, r in enumerate(records) if r.state == commitment.State.PUBLISHED), len(records))
    diffed = records[first:]  # only records from the first published one on are compared
    m2m = _historical_m2m(commitment, diffed, m2m_fields) if len(diffed) > 1 else {}
    changes: list[PublicChange] = []
    published = False
    for previous, record in zip([None, *records], records, strict=False):
        if previous is not None and published:
            delta = record.diff_against(previous, included_fields=plain_fields)
            changed = [*delta.changed_fields]
            changed += [name for name, rows in m2m.items() if rows[record.pk] != rows[previous.pk]]
            if changed:
                labels = [str(commitment._meta.get_field(name).verbose_name) for name in changed]
                changes.append(PublicChange(when=record.history_date, fields=sorted(labels)))
        published = published or record.state == commitment.State.PUBLISHED
    return list(reversed(changes))


def _historical_m2m(commitment, records, names: list[str]) -> dict[str, dict[int, frozenset]]:
    """Per m2m field in ``names``: history record pk -> the related pks it recorded (one query per field)."""
    from simple_history.utils import get_m2m_reverse_field_name

    out: dict[str, dict[int, frozenset]] = {}
    for name in names:
        field = commitment._meta.get_field(name)
        through = getattr(records[0], name).model
        target = get_m2m_reverse_field_name(field)
        rows: dict[int, set] = {r.pk: set() for r in records}
        for history_id, related in through.objects.filter(history__in=list(rows)).values_list("history", target):
            rows[history_id].add(related)
        out[name] = {pk: frozenset(v) for pk, v in rows.items()}
    return out


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


def breakdown(queryset: CommitmentQuerySet, relation: str) -> list[dict]:
    """Per taxonomy entry (``themes`` or ``countries``): total and status counts, one grouped query."""
    rows: dict[str, dict] = {}
    for row in (
        queryset.order_by()
        .values(f"{relation}__slug", f"{relation}__name", "eff_status")
        .annotate(n=models.Count("pk"))
    ):
        slug = row[f"{relation}__slug"]
        if slug is None:
            continue
        entry = rows.setdefault(slug, {"slug": slug, "name": row[f"{relation}__name"], "total": 0, "counts": {}})
        entry["counts"][row["eff_status"]] = row["n"]
        entry["total"] += row["n"]
    return _with_bars(rows.values())


def summary_breakdowns(counts: dict, facets: tuple[str, ...]) -> dict[str, list[dict]]:
    """``breakdown`` for each of ``facets``, read from the ``PublicCount`` summary (one query for the names)."""
    from .filtersets import load_catalogue

    out = {}
    for facet, entries in load_catalogue(facets=facets).items():
        rows = []
        for entry in entries.values():
            by_status = counts[facet].get(entry.id)
            if by_status:
                rows.append({"slug": entry.slug, "name": entry.label, "total": sum(by_status.values()),
                             "counts": dict(by_status)})
        out[facet] = _with_bars(rows)
    return out


def _with_bars(rows) -> list[dict]:
    for entry in rows:
        entry["bar"] = status_bar(entry["counts"])
    return sorted(rows, key=lambda e: (-e["total"], e["name"]))


def overview(*, queryset: CommitmentQuerySet, on: date, current: bool, limit: int = 8) -> dict:
    """Everything the overview page shows, for the day ``on`` (queryset already ``at()`` that day).

    ``current``: the day is today and the statuses are the stored ones, so the per-theme and
    per-country counts may come from the ``PublicCount`` summary when it is up to date.
    """
    from . import public_counts

    summary = public_counts.current(facets=("theme", "country", public_counts.TOTAL)) if current else None
    if summary is not None:
        by = summary_breakdowns(summary, ("theme", "country"))
        by_theme, by_country = by["theme"], by["country"]
        counts = public_counts.status_counts(summary, public_counts.TOTAL)
    else:
        by_theme, by_country = breakdown(queryset, "themes"), breakdown(queryset, "countries")
        counts = queryset.by_status_counts()
    # Order by the stored column itself when it is the one shown, so the index gives the order.
    assessed = "current_status_date" if current else "eff_status_date"
    recent = queryset.exclude(eff_status_date=None).order_by(F(assessed).desc(), "title")
    overdue = queryset.overdue(on=on).order_by("due_date", "title")
    stale = queryset.stale(on=on).order_by(F(assessed).asc(nulls_first=True), "date_made", "title")
    return {
        "total": sum(counts.values()),
        "bar": status_bar(counts),
        "by_theme": by_theme,
        "by_country": by_country,
        "recent": list(for_list(recent)[:limit]),
        "overdue": list(for_list(overdue)[:limit]),
        "overdue_count": overdue.count(),
        "stale": list(for_list(stale)[:limit]),
        "stale_count": stale.count(),
    }
