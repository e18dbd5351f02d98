"""Building a progress report's snapshot: plain JSON, computed once, stored when published.

Every status "at a date" comes from ``CommitmentQuerySet.with_status_on``, the same rule the
public ``as_of`` filter uses. The HTML, PDF and CSV are rendered from the snapshot only.

Conventions (also stated in the report's methodology):
- status at the start = as it stood at the end of the day before the period began;
- status at the end = as it stood at the end of the period's last day;
- overdue at the start: due before the first day; at the end: due on or before the last day.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from . import status as status_scale
from .models import Actor, Commitment, Country, Evidence, StatusUpdate, Theme
from .periods import Period

SCHEMA = 1
NEW = "new"  # "from" state of commitments made during the period
MAX_TIMELINE_POINTS = 12  # each point is one grouped query over every commitment


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


def _breakdown(rows: list[dict], key: str, names: dict[str, str]) -> list[dict]:
    per: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        for slug in row[key]:
            per[slug].append(row["status_end"])
    out = [
        {"slug": slug, "name": names.get(slug, slug), "total": len(st), "counts": _counts(st)}
        for slug, st in per.items()
    ]
    return sorted(out, key=lambda e: (-e["total"], e["name"]))


def _links(through, owner: str, value: str, commitments) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    rows = through.objects.filter(**{f"{owner}__in": commitments.values("pk")}).values_list(owner, value)
    for pk, item in rows.iterator(chunk_size=20000):
        found[pk].append(item)
    return found


def _row_summary(row: dict) -> dict:
    keys = ("slug", "title", "status_start", "status_end", "due_date", "url")
    return {k: row[k] for k in keys}


def build_snapshot(*, period: Period) -> dict:
    """Compute the whole report for ``period`` from published data (drafts never count).

    Links are stored as site paths; renderings make them absolute for the host they serve.
    """
    start_day = period.start - timedelta(days=1)
    base = Commitment.objects.public().made_by(period.end)
    commitments = (
        base.with_status_on(start_day, name="status_start", with_date=False)
        .with_status_on(period.end, name="status_end", with_date=False)
        .order_by("title", "pk")
    )
    fields = ("pk", "slug", "title", "source__title", "date_made", "due_date", "status_start", "status_end")
    detail_prefix = reverse("commitments:list")
    # Each commitment's taxonomies from one query per table (a report is a batch job: one pass
    # over each link table is far cheaper than a correlated subquery per row).
    links = {
        key: _links(through, owner, value, base)
        for key, (through, owner, value) in {
            "themes": (Commitment.themes.through, "commitment_id", "theme__slug"),
            "countries": (Commitment.countries.through, "commitment_id", "country__slug"),
            "actors": (Commitment.actors.through, "commitment_id", "actor__name"),
        }.items()
    }

    rows = []
    for pk, slug, title, source, made, due, start, end in commitments.values_list(*fields).iterator(chunk_size=5000):
        existed = made is None or made < period.start  # undated: counted as existing
        rows.append(
            {
                "slug": slug,
                "title": title,
                "source": source,
                "date_made": _iso(made),
                "due_date": _iso(due),
                "status_start": start if existed else NEW,
                "status_end": end,
                "overdue_start": existed and status_scale.is_overdue(status=start, due_date=due, on=period.start),
                "overdue_end": status_scale.is_overdue(status=end, due_date=due, on=period.end + timedelta(days=1)),
                "url": f"{detail_prefix}{slug}/",
                **{key: sorted(found.get(pk, ())) for key, found in links.items()},
            }
        )
    names = {
        "themes": dict(Theme.objects.values_list("slug", "name")),
        "countries": dict(Country.objects.values_list("slug", "name")),
        "actors": {name: name for name in Actor.objects.values_list("name", flat=True)},
    }

    existing = [r for r in rows if r["status_start"] != NEW]
    transitions = Counter((r["status_start"], r["status_end"]) for r in rows)
    closed_or_stalled = {status_scale.Status.STALLED, status_scale.Status.ABANDONED}

    updates = StatusUpdate.objects.public().filter(
        as_of__range=(period.start, period.end), commitment__in=base.values("pk")
    )
    # Plain values, evidence grouped from one query: a busy quarter has tens of thousands of updates.
    evidence: dict[int, list[dict]] = defaultdict(list)
    for update_id, title, publisher, day, url, stance in (
        Evidence.objects.filter(status_update__in=updates.values("pk"))
        .order_by("-date", "id")
        .values_list("status_update_id", "title", "publisher", "date", "url", "stance")
        .iterator(chunk_size=20000)
    ):
        evidence[update_id].append(
            {"title": title, "publisher": publisher, "date": _iso(day), "url": url, "stance": stance}
        )
    update_rows = [
        {
            "commitment": slug,
            "commitment_title": title,
            "url": f"{detail_prefix}{slug}/",
            "status": status,
            "as_of": _iso(as_of),
            "confidence": confidence,
            "summary": summary,
            "evidence": evidence.get(pk, []),
        }
        for pk, slug, title, status, as_of, confidence, summary in updates.order_by(
            "as_of", "published_at", "id"
        ).values_list("pk", "commitment__slug", "commitment__title", "status", "as_of", "confidence", "summary")
    ]

    first = base.exclude(date_made=None).order_by("date_made").values_list("date_made", flat=True).first()
    timeline = []
    for day in _timeline_days(first, period.end) if first else []:
        grouped = base.made_by(day).with_status_on(day).order_by().values("status_on").annotate(n=Count("pk"))
        counts = _counts({})
        counts.update({g["status_on"]: g["n"] for g in grouped})
        timeline.append({"date": day.isoformat(), "counts": counts})

    return {
        "schema": SCHEMA,
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
        "timeline": timeline,
        "rows": rows,
        "methodology": {
            "scale": [{"slug": i.slug, "label": i.label, "definition": i.definition} for i in status_scale.scale()],
        },
    }


def _order(slug: str) -> int:
    values = [NEW, *status_scale.Status.values]
    return values.index(slug) if slug in values else len(values)
