"""Building a progress report's snapshot: plain JSON, computed once, stored when published.

Every status "at a date" follows the rule of ``CommitmentQuerySet.with_status_on``, the one the
public ``as_of`` filter uses; the report applies it for all its days in one ordered scan
(``_statuses_on``). The HTML, PDF and CSV are rendered from the snapshot only.

Conventions (also stated in the report's methodology):
- status at the start = as it stood at the end of the day before the period began;
- status at the end = as it stood at the end of the period's last day;
- overdue at the start: due before the first day; at the end: due on or before the last day.

Per country (``country_status``; keys added after schema 2, absent from reports frozen before, which
render without them): ``country_counts_start``/``country_counts_end`` count each country's own statuses
(a regional commitment's overall one, a per-country commitment's own country updates', "not assessed"
with none), and ``country_transitions`` lists each per-country commitment whose status in a country
moved in the period (a regional commitment's moves are the overall ``transitions``). Each row then has
``country_start``/``country_end``: its status in each of its countries.

In other languages (keys added after schema 2, like the per-country ones; a report frozen before has
none, and renders its English texts there, marked ``lang="en"``): beside each text a reader sees, the
same text in each other language of ``settings.LANGUAGES`` under ``<key>_<code>`` ("" where it has no
translation): ``title_ru`` of rows and lists, ``commitment_title_ru`` and ``summary_ru`` of updates,
``name_ru`` of breakdowns and country counts, ``country_name_ru``/``commitment_title_ru`` of country
transitions; ``languages`` lists the codes. Every figure is computed once, so every language shows the same.
"""

from __future__ import annotations

import gc
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from operator import itemgetter

from django.db import connections
from django.db.models import CharField, F, Func
from django.urls import reverse
from django.utils import timezone, translation

from .. import country_status, languages
from .. import status as status_scale
from ..models import Commitment, StatusUpdate
from ..taxonomy import LINKED, link_table
from .periods import Period

# 2: dates carry their precision; a commitment counts from the day it is known to exist (``known_since``).
SCHEMA = 2
NEW = "new"  # "from" state of commitments made during the period
MAX_TIMELINE_POINTS = 12
NOT_ASSESSED = status_scale.Status.NOT_ASSESSED.value
EVIDENCE_KEYS = ("title", "publisher", "date", "url", "stance", "date_precision")


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _timeline_days(first: date, end: date) -> list[date]:
    """Quarter ends from the first commitment to the period's end (years when that is too many)."""
    days: list[date] = []
    year, quarter = first.year, (first.month - 1) // 3 + 1
    while True:
        month = quarter * 3
        day = date(year + (month // 12), month % 12 + 1, 1) - timedelta(days=1)
        if day >= end:
            break
        days.append(day)
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    if len(days) + 1 > MAX_TIMELINE_POINTS:
        days = [d for d in days if d.month == 12]
        days = days[-(MAX_TIMELINE_POINTS - 1) :]
    return [*days, end]


def _counts(statuses) -> dict[str, int]:
    counts = dict.fromkeys(status_scale.Status.values, 0)
    counts.update(Counter(statuses))
    return counts


OTHERS = languages.OTHERS


def _named(slug: str, names: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """``name`` and ``name_<code>`` of an entry (``names``: slug -> its name in each of ``CODES``' order)."""
    found = names.get(slug) or (slug, *("" for _ in OTHERS))
    return {"name": found[0], **{f"name_{code}": text for code, text in zip(OTHERS, found[1:], strict=True)}}


def _breakdown(rows: list[dict], key: str, names: dict[str, tuple[str, ...]]) -> list[dict]:
    per: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        for slug in row[key]:
            per[slug].append(row["status_end"])
    out = [
        {"slug": slug, **_named(slug, names), "total": len(st), "counts": _counts(st)}
        for slug, st in per.items()
    ]
    return sorted(out, key=lambda e: (-e["total"], e["name"]))


class _IsoDate(Func):
    """A date as the text ``date.isoformat`` gives, in SQL: rows then need no per-value conversion."""

    template = "TO_CHAR(%(expressions)s, 'YYYY-MM-DD')"
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra_context):
        # SQLite stores dates as that text already; the cast keeps its driver from parsing them.
        return self.as_sql(compiler, connection, template="CAST(%(expressions)s AS TEXT)", **extra_context)


def _plain_rows(queryset, *, chunk_size: int = 20000):
    """The rows of a ``values_list`` queryset as the driver returns them.

    For columns that need no conversion (integers, text): skips Django's per-row converter
    pass, which costs more than the query when a million rows are read. A plain cursor, not a
    server-side one: PostgreSQL runs a held cursor's query about three times slower.
    """
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(chunk_size):
            yield from chunk


def _links(*, through, target: str, labels: dict[int, str]) -> dict[int, list[str]]:
    """Commitment pk -> its sorted labels, from one plain scan of a link table.

    No join and no filter: only the report's commitments are looked up afterwards (an entry missing
    from ``labels`` is not public, so only hidden commitments, which the report never reads, link to it).
    """
    found: dict[int, list[str]] = defaultdict(list)
    for pk, item in _plain_rows(through.objects.order_by().values_list("commitment_id", target)):
        if item in labels:
            found[pk].append(labels[item])
    for items in found.values():
        items.sort()
    return found


def _statuses_on(*, days: list[date]) -> dict[int, list[str]]:
    """Each commitment's status on each of ``days`` (ascending), by the rule of ``with_status_on``.

    One walk over the published updates in the effective order, per commitment (the order of
    ``update_effective_idx``), instead of one index seek per commitment per day. Commitments
    with no published update up to the last day are left out: not assessed on every day. Every
    commitment is walked (callers look up the ones they report): a filter would cost a join.
    """
    # The first of ``days`` each update counts on, computed in SQL: no date is converted in Python.
    updates = (
        StatusUpdate.objects.published().overall()
        .filter(as_of__lte=days[-1])
        .annotate(first_day=status_scale.first_day_case(days))
        .order_by("commitment_id", *status_scale.EFFECTIVE_ORDER)
        .values_list("commitment_id", "first_day", "status")
    )
    return status_scale.statuses_on_days(_plain_rows(updates), len(days))


def _country_statuses_on(*, days: list[date]) -> dict[tuple[int, int], list[str]]:
    """(commitment pk, country pk) -> its status there on each of ``days``, from its country updates alone
    (``country_status``: the walk of ``_statuses_on`` over the updates that name a country). Pairs with
    none are left out (not assessed there on every day)."""
    updates = (
        StatusUpdate.objects.published()
        .filter(country__isnull=False, as_of__lte=days[-1])
        .annotate(first_day=status_scale.first_day_case(days))
        .order_by("commitment_id", "country_id", *status_scale.EFFECTIVE_ORDER)
        .values_list("commitment_id", "country_id", "first_day", "status")
    )
    pairs = (((pk, country), first, status) for pk, country, first, status in _plain_rows(updates))
    return status_scale.statuses_on_days(pairs, len(days))


def _country_counts(rows: list[dict], key: str, names: dict[str, tuple[str, ...]]) -> list[dict]:
    """Each country's own statuses (``key``: ``country_start`` or ``country_end``), as ``_breakdown`` lays out."""
    per: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        for slug, status in row[key].items():
            per[slug].append(status)
    out = [{"slug": slug, **_named(slug, names), "total": len(st), "counts": _counts(st)}
           for slug, st in per.items()]
    return sorted(out, key=lambda e: e["name"])


def _country_transitions(rows: list[dict], names: dict[str, tuple[str, ...]]) -> list[dict]:
    """Each per-country commitment whose status in one of its countries moved in the period (made during
    it: from ``NEW``, listed once it has a status there)."""
    out = []
    for row in rows:
        if row["assessment_scope"] != country_status.PER_COUNTRY:
            continue
        for slug, end in row["country_end"].items():
            start = row["country_start"].get(slug, NEW) if row["status_start"] != NEW else NEW
            if start != end and not (start == NEW and end == NOT_ASSESSED):
                name = _named(slug, names)
                out.append({"country": slug, "country_name": name["name"], "commitment": row["slug"],
                            "commitment_title": row["title"], "url": row["url"], "from": start, "to": end,
                            **{f"country_name_{code}": name[f"name_{code}"] for code in OTHERS},
                            **{f"commitment_title_{code}": row[f"title_{code}"] for code in OTHERS}})
    return sorted(out, key=lambda t: (t["country_name"], t["commitment_title"], t["commitment"]))


def _row_summary(row: dict) -> dict:
    keys = ("slug", "title", *TITLES, "status_start", "status_end", "due_date", "due_precision", "url")
    return {k: row[k] for k in keys}


TITLES = tuple(f"title_{code}" for code in OTHERS)  # a commitment's title in each other language


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector, restoring its previous state after.

    A snapshot keeps about a million small dicts and lists alive while it is built; each
    allocation-triggered collection rescans them all (2-3 s of a 100k report) and finds nothing.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def build_snapshot(*, period: Period) -> dict:
    """Compute the whole report for ``period`` from published data (drafts never count).

    Links are stored as site paths; renderings make them absolute for the host they serve.
    """
    with _collector_paused():
        return _snapshot(period=period)


def _snapshot(*, period: Period) -> dict:
    start_day = period.start - timedelta(days=1)
    base = Commitment.objects.public().made_by(period.end)
    fields = ("pk", "slug", "title", "source__title", "date_made", "due_date", "date_made_precision", "due_precision",
              "known_since", "assessment_scope", *TITLES)
    commitments = list(base.order_by("title", "pk").values_list(*fields))
    # ``made_by`` leaves out commitments with no known date: every one here has ``known_since``.
    first = min((row[8] for row in commitments), default=None)
    chart_days = _timeline_days(first, period.end) if first else []
    # Every day the report needs a status on, answered together (chart points, period start and end).
    days = sorted({start_day, period.end, *chart_days})
    on_day = {day: i for i, day in enumerate(days)}
    never_assessed = [NOT_ASSESSED] * len(days)
    statuses = _statuses_on(days=days)
    in_countries = _country_statuses_on(days=[start_day, period.end])  # per country: the period's two days
    with translation.override(languages.DEFAULT):  # stored as the default language's paths, whoever builds it
        detail_prefix = reverse("commitments:list")
    # The public entries only (a public commitment's entries are public: the others label no row here).
    # Themes and countries are keyed by slug, actors by name (the snapshot's format).
    keys = {"theme": "slug", "country": "slug", "actor": "name"}
    named = ("name", *(f"name_{code}" for code in OTHERS))
    entries = {t.relation: list(t.public().values_list("pk", keys[name], *named)) for name, t in LINKED.items()}
    names = {relation: {key: tuple(texts) for _, key, *texts in rows} for relation, rows in entries.items()}
    # Each commitment's taxonomies from one query per table (a report is a batch job: one pass
    # over each link table is far cheaper than a correlated subquery per row).
    links = {}
    for relation, rows in entries.items():
        through, target = link_table(relation)
        links[relation] = _links(through=through, target=target, labels={pk: key for pk, key, *_ in rows})

    rows = []
    at_start, at_end, after_end = on_day[start_day], on_day[period.end], period.end + timedelta(days=1)
    themes_of, countries_of, actors_of = links["themes"], links["countries"], links["actors"]
    country_ids = {slug: pk for pk, slug, *_ in entries["countries"]}
    not_here = [NOT_ASSESSED, NOT_ASSESSED]
    is_overdue = status_scale.is_overdue
    for pk, slug, title, source, made, due, made_precision, due_precision, since, scope, *titles in commitments:
        on = statuses.get(pk, never_assessed)
        start, end = on[at_start], on[at_end]
        existed = status_scale.is_made_by(known_since=since, day=start_day)
        countries = countries_of.get(pk) or []
        if scope == country_status.PER_COUNTRY:
            here = {c: in_countries.get((pk, country_ids[c]), not_here) for c in countries}
            country_start, country_end = {c: v[0] for c, v in here.items()}, {c: v[1] for c, v in here.items()}
        else:  # regional: the overall status in every one of its countries
            country_start, country_end = dict.fromkeys(countries, start), dict.fromkeys(countries, end)
        rows.append(
            {
                "slug": slug,
                "title": title,
                "source": source,
                "date_made": made.isoformat() if made else None,
                "due_date": due.isoformat() if due else None,
                "date_made_precision": made_precision,  # how precise each date is (``dates.Precision``)
                "due_precision": due_precision,
                "status_start": start if existed else NEW,
                "status_end": end,
                "overdue_start": existed and is_overdue(status=start, due_date=due, on=period.start),
                "overdue_end": is_overdue(status=end, due_date=due, on=after_end),
                "url": f"{detail_prefix}{slug}/",
                "themes": themes_of.get(pk) or [],
                "countries": countries,
                "actors": actors_of.get(pk) or [],
                "assessment_scope": scope,
                "country_start": country_start if existed else {},
                "country_end": country_end,
                **dict(zip(TITLES, titles, strict=True)),
            }
        )

    existing = [r for r in rows if r["status_start"] != NEW]
    transitions = Counter((r["status_start"], r["status_end"]) for r in rows)
    closed_or_stalled = {status_scale.Status.STALLED, status_scale.Status.ABANDONED}

    # Plain values: a busy quarter has tens of thousands of updates. Each update with its evidence
    # (a left join, newest evidence first) in one query, so the updates are looked up once.
    updates = (
        StatusUpdate.objects.public()
        .filter(as_of__range=(period.start, period.end), commitment__in=base.values("pk"))
        .order_by("as_of", "published_at", "id", F("evidence__date").desc(), "evidence__id")
        .annotate(as_of_text=_IsoDate("as_of"), evidence_date=_IsoDate("evidence__date"))
        .values_list(
            "pk",
            "commitment__slug",
            "commitment__title",
            "status",
            "as_of_text",
            "as_of_precision",
            "confidence",
            "summary",
            "evidence__id",
            "evidence__title",
            "evidence__publisher",
            "evidence_date",
            "evidence__url",
            "evidence__stance",
            "evidence__date_precision",
            *(f"commitment__title_{code}" for code in OTHERS),
            *(f"summary_{code}" for code in OTHERS),
        )
    )
    update_rows = []
    current, evidence = None, []
    n_other = len(OTHERS)
    for pk, slug, title, status, as_of, as_of_precision, confidence, summary, evidence_pk, *found in _plain_rows(
        updates
    ):
        found, other_titles, other_summaries = (found[: len(EVIDENCE_KEYS)], found[len(EVIDENCE_KEYS):][:n_other],
                                                found[len(EVIDENCE_KEYS) + n_other:])
        if pk != current:
            current, evidence = pk, []
            update_rows.append(
                {
                    "commitment": slug,
                    "commitment_title": title,
                    "url": f"{detail_prefix}{slug}/",
                    "status": status,
                    "as_of": as_of,
                    "as_of_precision": as_of_precision,
                    "confidence": confidence,
                    "summary": summary,
                    "evidence": evidence,
                    **{f"commitment_title_{code}": text for code, text in zip(OTHERS, other_titles, strict=True)},
                    **{f"summary_{code}": text for code, text in zip(OTHERS, other_summaries, strict=True)},
                }
            )
        if evidence_pk is not None:
            evidence.append(dict(zip(EVIDENCE_KEYS, found, strict=True)))

    # Commitments in the order they are known to exist (``known_since``: the rule of
    # ``status.is_made_by``, as a prefix), so each chart point counts a prefix of them.
    by_made = sorted(
        ((row[8], statuses.get(row[0], never_assessed)) for row in commitments),
        key=itemgetter(0),
    )
    made_days = [since for since, _ in by_made]
    timeline = []
    for day in chart_days:
        made_by_day = by_made[: bisect_right(made_days, day)]  # known_since <= day
        counts = _counts(map(itemgetter(on_day[day]), map(itemgetter(1), made_by_day)))
        timeline.append({"date": day.isoformat(), "counts": counts})

    return {
        "schema": SCHEMA,
        "languages": list(languages.CODES),  # the texts it holds besides the default language's (``<key>_<code>``)
        # Demo data (generate_demo_data) is said on every rendering, so a PDF or CSV passed on without
        # the site around it cannot pass for a real report. A database holds one kind or the other.
        "synthetic": base.filter(is_synthetic=True).exists(),
        "period": {"slug": period.slug, "label": period.label, "start": _iso(period.start), "end": _iso(period.end)},
        "generated_at": timezone.now().isoformat(timespec="seconds"),
        "totals": {"start": len(existing), "end": len(rows), "made_in_period": len(rows) - len(existing)},
        "counts_start": _counts(r["status_start"] for r in existing),
        "counts_end": _counts(r["status_end"] for r in rows),
        "transitions": [
            {"from": f, "to": t, "count": n}
            for (f, t), n in sorted(transitions.items(), key=lambda kv: (_order(kv[0][0]), _order(kv[0][1])))
        ],
        "newly_achieved": [
            _row_summary(r)
            for r in rows
            if r["status_end"] == status_scale.Status.ACHIEVED and r["status_start"] != status_scale.Status.ACHIEVED
        ],
        "newly_stalled_or_abandoned": [
            _row_summary(r)
            for r in rows
            if r["status_end"] in closed_or_stalled and r["status_start"] != r["status_end"]
        ],
        "newly_overdue": [_row_summary(r) for r in rows if r["overdue_end"] and not r["overdue_start"]],
        "still_not_assessed": [_row_summary(r) for r in rows if r["status_end"] == status_scale.Status.NOT_ASSESSED],
        "updates": update_rows,
        "by_theme": _breakdown(rows, "themes", names["themes"]),
        "by_country": _breakdown(rows, "countries", names["countries"]),
        "by_actor": _breakdown(rows, "actors", names["actors"]),
        "country_counts_start": _country_counts(existing, "country_start", names["countries"]),
        "country_counts_end": _country_counts(rows, "country_end", names["countries"]),
        "country_transitions": _country_transitions(rows, names["countries"]),
        "timeline": timeline,
        "rows": rows,
        "methodology": {
            "scale": [{"slug": i.slug, "label": i.label, "definition": i.definition} for i in status_scale.scale()],
        },
    }


def _order(slug: str) -> int:
    values = [NEW, *status_scale.Status.values]
    return values.index(slug) if slug in values else len(values)
