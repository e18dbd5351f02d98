"""The QuerySets of the models: who may see what, and the read questions asked of commitments.

Visibility is said here once per model the public sees: ``Commitment.objects.public()``,
``StatusUpdate.objects.published()`` / ``.public()``, ``Evidence.objects.public()`` and
``ProgressReport.objects.published()``; every page, count, export, feed, report and dump starts
from them (``tests/test_visibility.py`` refuses a hand-written filter elsewhere). The rules
themselves (overdue, stale, status on a date) come from ``status``. This module imports only
the rule and taxonomy modules, never ``models``: ``models`` imports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from django.db import connections, models
from django.db.models import ExpressionWrapper, F, FilteredRelation, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from . import country_status, search_query
from . import status as rules
from .status import Status

# The value of ``state`` that the public may see (``Commitment.State`` and ``ProgressReport.State`` use it).
PUBLISHED = "published"
DRAFT = "draft"
ARCHIVED = "archived"
PUBLISHED_DELETE_MESSAGE = "This commitment has published status updates and cannot be deleted; archive it instead."
# ``by_status_and_flag_counts`` columns, by (overdue only?, stale only?).
FLAG_COLUMNS = {(False, False): "n_all", (True, False): "n_overdue", (False, True): "n_stale", (True, True): "n_both"}


def public_q(via: str = "") -> Q:
    """A commitment is public (published, not a draft, not archived); ``via`` a path to it, e.g. ``commitment__``."""
    return Q(**{f"{via}state": PUBLISHED})


def published_q(via: str = "") -> Q:
    """A status update is published and not withdrawn, so it counts; ``via`` a path to it, e.g. ``status_update__``."""
    return Q(**{f"{via}published_at__isnull": False, f"{via}withdrawn_at__isnull": True})


def on_record_q(via: str = "") -> Q:
    """A status update is on the public record: published, withdrawn or not (a withdrawal stays visible)."""
    return Q(**{f"{via}published_at__isnull": False})


def public_links(through: type[models.Model], *owners: str) -> models.QuerySet:
    """The rows of a link table of Commitment whose ``owners`` (default: ``commitment``) are all public."""
    return through.objects.filter(*(public_q(f"{owner}__") for owner in owners or ("commitment",)))


class StatusUpdateQuerySet(models.QuerySet):
    def published(self) -> StatusUpdateQuerySet:
        return self.filter(published_q())

    def drafts(self) -> StatusUpdateQuerySet:
        """Never published (a withdrawn update is not a draft: it stays on the record)."""
        return self.exclude(on_record_q())

    def withdrawn(self) -> StatusUpdateQuerySet:
        return self.filter(on_record_q(), withdrawn_at__isnull=False)

    def on_record(self) -> StatusUpdateQuerySet:
        """Published updates, withdrawn ones included: what a commitment's public page and the feed list."""
        return self.filter(on_record_q())

    def overall(self) -> StatusUpdateQuerySet:
        """The updates that assess the whole commitment (they name no country): its own status comes from
        these alone. A country update describes one country only (``country_status``)."""
        return self.filter(country__isnull=True)

    def effective_order(self) -> StatusUpdateQuerySet:
        """Latest first by as-of date; ties go to the update published last (``status.EFFECTIVE_ORDER``)."""
        return self.order_by(*rules.EFFECTIVE_ORDER)

    def public(self) -> StatusUpdateQuerySet:
        """Published updates of public commitments."""
        return self.published().filter(public_q("commitment__"))

    def public_record(self) -> StatusUpdateQuerySet:
        """``public()`` plus the withdrawn updates of public commitments: what their pages list (and the dump)."""
        return self.on_record().filter(public_q("commitment__"))


class EvidenceQuerySet(models.QuerySet):
    def public(self) -> EvidenceQuerySet:
        """Evidence the public sees: attached to a published update of a public commitment.

        (Evidence attached only to the commitment is an editor's material, never shown.)
        """
        return self.filter(public_q("commitment__"), published_q("status_update__"),
                           public_q("status_update__commitment__"))

    def on_record(self) -> EvidenceQuerySet:
        """``public()`` plus the evidence of withdrawn updates, which the commitment page still shows
        (collapsed, under the withdrawal notice)."""
        return self.filter(public_q("commitment__"), on_record_q("status_update__"),
                           public_q("status_update__commitment__"))


class ProgressReportQuerySet(models.QuerySet):
    def published(self) -> ProgressReportQuerySet:
        """Reports the public may read (drafts are for staff who may view reports)."""
        return self.filter(state=PUBLISHED)

    def drafts(self) -> ProgressReportQuerySet:
        return self.filter(state=DRAFT)


class EntryQuerySet(models.QuerySet):
    """Themes, countries and actors: public only while a public commitment is filed under one (else 404)."""

    def public(self) -> EntryQuerySet:
        through = self.model._meta.get_field("commitments").through
        column = f"{self.model._meta.model_name}_id"
        return self.filter(models.Exists(public_links(through).filter(**{column: models.OuterRef("pk")})))


class SourceQuerySet(models.QuerySet):
    """Sources: public only while a public commitment is taken from or attributed to one (else 404)."""

    def public(self) -> SourceQuerySet:
        commitments = self.model._meta.get_field("commitments").related_model.objects.filter(public_q())
        return self.filter(
            models.Exists(commitments.filter(source=models.OuterRef("pk")))
            | models.Exists(commitments.filter(attributed_to=models.OuterRef("pk")))
        )


@dataclass(frozen=True)
class SearchSQL:
    """A search in the database's index as SQL pieces (constants; the words are the parameters): the table, its
    commitment id, the match condition and the rank expression (ascending: best first)."""

    vendor: str
    table: str
    id: str
    match: str
    match_params: list
    rank: str
    rank_params: list
    # PostgreSQL: the calls that read the ids as text, and every match's (id, rank), through the GIN index
    # (``pg_search.READERS``), their parameters ``match_params``; None: the match is read as written.
    ids_text_call: str | None = None
    ranked_call: str | None = None

    def ids(self) -> tuple[str, list]:
        """SELECT the matching ids."""
        return f"SELECT {self.id} FROM {self.table} WHERE {self.match}", self.match_params  # noqa: S608

    def ids_text(self) -> tuple[str, list]:
        """SELECT the matching ids as one comma-separated text (NULL for none)."""
        if self.ids_text_call is not None:
            return f"SELECT {self.ids_text_call}", self.match_params
        joined = (f"string_agg({self.id}::text, ',')" if self.vendor == "postgresql"
                  else f"group_concat({self.id}, ',')")
        return f"SELECT {joined} FROM {self.table} WHERE {self.match}", self.match_params  # noqa: S608

    def ranked(self, among: np.ndarray | None = None) -> tuple[str, list]:
        """SELECT (id, rank) of every match, one pass over the index; of those whose id is ``among`` alone when
        given: the rank is computed only for them (bm25 is most of the read's time; its statistics are the whole
        index's, so a rank does not depend on which rows are asked)."""
        if among is None and self.ranked_call is not None:
            return f"SELECT id, rank FROM {self.ranked_call}", self.match_params  # noqa: S608 - constants
        sql = f"SELECT {self.id} AS id, {self.rank} AS rank FROM {self.table} WHERE {self.match}"  # noqa: S608
        params = [*self.rank_params, *self.match_params]
        if among is None:
            return sql, params
        if self.vendor == "postgresql":
            return f"{sql} AND {self.id} = ANY(%s)", [*params, among.tolist()]
        # The ``+`` keeps the id list out of FTS5's plan: handed to it, each id became a lookup of its own (34 s
        # for 20,000 ids at 100k, against 58 ms tested per match).
        listed = f"[{','.join(map(str, among.tolist()))}]"
        return f"{sql} AND +{self.id} IN (SELECT value FROM json_each(%s))", [*params, listed]  # noqa: S608


class CommitmentQuerySet(models.QuerySet):
    def public(self) -> CommitmentQuerySet:
        """What the public may see: published commitments (not drafts, not archived)."""
        return self.filter(public_q())

    def archived(self) -> CommitmentQuerySet:
        """Withdrawn from public view: their address answers 410 with the reason (``views.commitment_detail``)."""
        return self.filter(state=ARCHIVED)

    def with_status_on(self, day: date, *, name: str = "status_on", with_date: bool = True) -> CommitmentQuerySet:
        """Annotate ``status_on`` and ``status_date_on``: the status as it stood on ``day``.

        From published updates with an as-of date up to and including ``day``; with none,
        "not assessed". Reports and the ``as_of`` filter both use this. ``name`` renames the
        annotations (``name`` and ``<name>_date``) when one query needs several days.
        """
        published = self._updates().published().overall()
        date_name = "status_date_on" if name == "status_on" else f"{name}_date"
        annotations = {name: rules.status_on_expression(published, day)}
        if with_date:  # callers that need only the status save a subquery per row
            annotations[date_name] = rules.status_on_subquery(published, day, field="as_of")
        return self.annotate(**annotations)

    def made_by(self, day: date) -> CommitmentQuerySet:
        """Commitments known to exist on ``day`` (``status.made_by_q``: by ``known_since``, the date made or,
        for an undated one, its source's date or first evidence); one with no known date at all is absent."""
        return self.filter(rules.made_by_q(day))

    def at(self, day: date | None = None, *, country: int | None = None) -> CommitmentQuerySet:
        """Annotate the status every public surface shows: ``eff_status``, ``eff_status_date``, ``eff_overdue``.

        With no day: the stored current status. With a day: the status as it stood then (from
        ``with_status_on``), leaving out commitments not yet made on that day. With a ``country`` (an id):
        the status *in that country* (``country_status``: a regional commitment's overall status, a
        per-country one's own country status, "not assessed" with none). ``overdue()``, ``stale()`` and
        ``by_status_counts()`` then answer for that day and country too.
        """
        if country is not None:
            qs = self._in_country(day, country)
        elif day is None:
            qs = self.annotate(eff_status=F("current_status"), eff_status_date=F("current_status_date"),
                               eff_status_precision=F("current_status_precision"))
        else:
            qs = self.made_by(day).with_status_on(day)
            qs = qs.annotate(eff_status=F("status_on"), eff_status_date=F("status_date_on"))
        overdue = rules.overdue_q(status="eff_status", on=day or timezone.localdate())
        return qs.annotate(eff_overdue=ExpressionWrapper(overdue, output_field=models.BooleanField()))

    def _in_country(self, day: date | None, country: int) -> CommitmentQuerySet:
        if day is None:
            # One LEFT JOIN to the stored status in that country (unique per commitment and country).
            joined = self.alias(in_country=FilteredRelation(
                "country_statuses", condition=Q(country_statuses__country=country)))
            fields = {"eff_status": ("status", "current_status"),
                      "eff_status_date": ("status_date", "current_status_date"),
                      "eff_status_precision": ("status_precision", "current_status_precision")}
            return joined.annotate(**{
                name: country_status.current_joined_expression("in_country", field=field, overall=overall)
                for name, (field, overall) in fields.items()
            })
        published = self._updates().published()
        fields = {"eff_status": "status", "eff_status_date": "as_of", "eff_status_precision": "as_of_precision"}
        return self.made_by(day).annotate(**{
            name: country_status.on_day_expression(published, day, field=field, country=country)
            for name, field in fields.items()
        })

    def _updates(self) -> models.QuerySet:
        """All status updates (the model is reached through the relation: this module never imports models)."""
        return self.model._meta.get_field("status_updates").related_model.objects.all()

    def _status_fields(self) -> tuple[str, str]:
        if "eff_status" in self.query.annotations:
            return "eff_status", "eff_status_date"
        return "current_status", "current_status_date"

    def overdue_q(self, *, on: date | None = None) -> Q:
        """The overdue rule (``status.overdue_q``) as a condition, on ``on`` (default today)."""
        status, _ = self._status_fields()
        return rules.overdue_q(status=status, on=on or timezone.localdate())

    def stale_q(self, *, on: date | None = None) -> Q:
        """The stale rule (``status.stale_q``) as a condition, on ``on`` (default today)."""
        status, status_date = self._status_fields()
        return rules.stale_q(status=status, status_date=status_date, on=on or timezone.localdate())

    def overdue(self, *, on: date | None = None) -> CommitmentQuerySet:
        return self.filter(self.overdue_q(on=on))

    def stale(self, *, on: date | None = None) -> CommitmentQuerySet:
        return self.filter(self.stale_q(on=on))

    def search(self, text: str) -> CommitmentQuerySet:
        """Commitments whose search document matches ``text`` (``search_query``: words, "phrases", -not, or).

        One document per commitment (its title; the names of its countries, actors, themes and sources;
        its quote and published summaries), kept by triggers: a GIN-indexed tsvector on PostgreSQL
        (``pg_search``), an FTS5 index on SQLite (``sqlite_search``). Both stem English and Russian and widen
        terms alike (``search_terms``: the glossary, hyphenated compounds), so both find the same.
        """
        matches = self._search_sql(text)
        if matches is None:  # no word to look for (only punctuation, stop words or exclusions): nothing matches
            return self.none()
        return self.filter(pk__in=RawSQL(*matches))  # noqa: S611 - constants; the words are parameters

    def search_ids(self, text: str) -> np.ndarray:
        """The ids ``search(text)`` matches, of any commitment (public or not), read from the index alone, in no
        particular order.

        Without the join to this queryset's table: the facet index keeps the public ones itself. The ids come
        back as one comma-separated text, parsed by numpy: for a word in half of 100,000 commitments, a row per
        id cost SQLite 34 ms of Python building 53,000 rows, one text 10 ms (PostgreSQL: 17 ms of client CPU, 2).
        """
        parts = self._search_parts(text)
        if parts is None:
            return np.zeros(0, dtype=np.int64)
        with connections[self.db].cursor() as cursor:
            cursor.execute(*parts.ids_text())
            text_ids = cursor.fetchone()[0]
        return np.fromstring(text_ids, dtype=np.int64, sep=",") if text_ids else np.zeros(0, dtype=np.int64)

    def search_ranks(self, text: str, *, among: np.ndarray | None = None) -> tuple[list[int], list[float]]:
        """The ids ``search(text)`` matches (of any commitment; of the ids ``among`` alone when given) and each
        one's ``search_rank``, read from the search index alone in one pass: what the facet index orders a
        relevance-sorted list by (ascending, best first).

        The same rank as ``search_rank`` (``_search_parts``), to the bit: the list's rows come in the same order.
        """
        parts = self._search_parts(text)
        if parts is None:
            return [], []
        with connections[self.db].cursor() as cursor:
            cursor.execute(*parts.ranked(among))
            rows = cursor.fetchall()
        return [row[0] for row in rows], [row[1] for row in rows]

    def search_rank(self, text: str) -> RawSQL | None:
        """How well each row matches ``text``, best first when ordered ascending (None with no word to look for).

        The rank is ``_search_parts``'s (PostgreSQL ``ts_rank_cd``, negated; SQLite ``bm25``), here read per row:
        PostgreSQL by primary key per row; SQLite from every match ranked once (a materialised CTE, looked up by an
        automatic index), since bm25 counts each phrase's matches afresh for every query it runs in (asked once
        per row it would read the whole index per row; at 40,000 matches of 100,000 about 0.5 s against 0.1 s
        for the title order, measured alone). Meant for the top-level ORDER BY of a search's rows (the API's
        cursor; the list orders by ``search_ranks`` in the facet index): it names this model's table, so it is
        never used inside another query (an ``__in`` subquery drops its ordering).
        """
        parts = self._search_parts(text)
        if parts is None:
            return None
        outer = f'"{self.model._meta.db_table}"."id"'
        if parts.vendor == "postgresql":
            sql = f"(SELECT {parts.rank} FROM {parts.table} WHERE {parts.id} = {outer})"  # noqa: S608
            return RawSQL(sql, parts.rank_params, output_field=models.FloatField())  # noqa: S611 - constants
        ranked, params = parts.ranked()
        return RawSQL(  # noqa: S611 - constants; the words are a parameter
            f"(WITH ranked AS MATERIALIZED ({ranked}) SELECT rank FROM ranked WHERE ranked.id = {outer})",  # noqa: S608
            params, output_field=models.FloatField())

    def _search_sql(self, text: str) -> tuple[str, list] | None:
        """SQL selecting the ids of the commitments whose document matches ``text``, with its parameters;
        None when ``text`` has no word to look for."""
        parts = self._search_parts(text)
        return None if parts is None else parts.ids()

    def _search_parts(self, text: str) -> SearchSQL | None:
        """The search of ``text`` in this database's index (``search_query`` renders the words): which rows match
        and how well; None when ``text`` has no word to look for. The one home of the match and of the rank."""
        query = search_query.parse(text)
        if connections[self.db].vendor == "postgresql":
            from . import pg_search

            rendered = search_query.tsquery_sql(query, pg_search.CONFIGS)
            if rendered is None:
                return None
            sql, params = rendered
            return SearchSQL(
                vendor="postgresql", table=f"{pg_search.TABLE} s", id="s.commitment_id",
                match=f"s.document @@ {sql}", match_params=params,
                rank=pg_search.RANK.format(document="s.document", query=sql), rank_params=params,
                ids_text_call=f"{pg_search.IDS_FUNCTION}({sql})", ranked_call=f"{pg_search.RANKS_FUNCTION}({sql})")
        from . import sqlite_search

        expression = search_query.fts5_expression(query)
        if expression is None:
            return None
        # Constants; the user's words arrive as a parameter. bm25 with the document's weights (lower is better).
        table, weights = sqlite_search.TABLE, ", ".join(map(str, sqlite_search.WEIGHTS))
        return SearchSQL(vendor="sqlite", table=table, id="rowid", match=f"{table} MATCH %s",
                         match_params=[expression], rank=f"bm25({table}, {weights})", rank_params=[])

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
        # Grouped by status, the "open" half of both rules is the group's own (asked in Python): only
        # the date halves are counted in SQL. (With ``as_of`` the status is a subquery per row, so it is asked once.)
        status, status_date = self._status_fields()
        on = on or timezone.localdate()
        past_due, quiet = rules.past_due_q(on), rules.quiet_q(status_date=status_date, on=on)
        counts = {slug: dict.fromkeys(FLAG_COLUMNS.values(), 0) for slug in Status.values}
        rows = self.order_by().values(status).annotate(
            n_all=models.Count("pk"),
            n_overdue=models.Count("pk", filter=past_due),
            n_stale=models.Count("pk", filter=quiet),
            n_both=models.Count("pk", filter=past_due & quiet),
        )
        for row in rows:
            is_open = rules.is_open(row[status])
            counts[row[status]] = {column: row[column] if is_open or column == "n_all" else 0
                                   for column in FLAG_COLUMNS.values()}
        return counts

    def delete(self):
        """Refused, saying to archive instead, when any of these commitments has a published update."""
        self.refuse_delete_if_published()
        return super().delete()

    def refuse_delete_if_published(self) -> None:
        """Raise ProtectedError (saying to archive) if any of these commitments has a published update
        (a withdrawn one too: it stays on the public record).

        Checked before Django's deletion collector runs: the collector replaces the message that
        ``models.protect_published`` raises with a generic one about protected foreign keys.
        """
        published = self._updates().on_record().filter(commitment__in=self.values("pk"))
        if published.exists():
            raise models.ProtectedError(PUBLISHED_DELETE_MESSAGE, set(published))


def derived_status(*, commitment) -> tuple[str, date | None, str]:
    """The current status, its as-of date and that date's precision, from the commitment's published updates."""
    latest = (commitment.status_updates.published().overall().effective_order()
              .values("status", "as_of", "as_of_precision").first())
    if latest is None:
        return Status.NOT_ASSESSED.value, None, "day"
    return latest["status"], latest["as_of"], latest["as_of_precision"]
