"""Measure the public pages on the database DATABASE_URL points at (already filled with demo data).

Run by ``bench/run.py`` in a subprocess per database and size; prints one JSON object on stdout.
Each page is requested in-process with Django's test client (no network), ``--runs`` times after
``--warmup`` runs; the page cache is cleared before every uncached run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import tracemalloc
import uuid
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from commitments import facet_index  # noqa: E402
from commitments.models import Commitment, Country, PublicDataVersion, StatusUpdate, Theme  # noqa: E402
from commitments.reports.periods import parse_period  # noqa: E402
from commitments.reports.snapshot import build_snapshot  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def consume(response) -> int:
    if response.streaming:
        return sum(len(chunk) for chunk in response.streaming_content)
    return len(response.content)


def timed(fn, *, runs: int, warmup: int, before=None) -> dict:
    samples, queries, size = [], 0, 0
    for i in range(warmup + runs):
        if before:
            before()
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            size = fn()
            elapsed = time.perf_counter() - start
        if i >= warmup:
            samples.append(elapsed * 1000)
            queries = len(captured)
    return {
        "median_ms": round(statistics.median(samples), 2),
        "p95_ms": round(percentile(samples, 0.95), 2),
        "min_ms": round(min(samples), 2),
        "runs": runs,
        "queries": queries,
        "bytes": size,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()

    client = Client()
    n = Commitment.objects.count()
    theme = Theme.objects.annotate(n=Count("commitments")).order_by("-n", "slug").first()
    country = Country.objects.order_by("slug").first()
    slug = Commitment.objects.public().order_by("pk").values_list("slug", flat=True)[n // 2 if n else 0]
    word = "regional"  # a common word in the generated titles and quotes
    three_filters = f"/commitments/?theme={theme.slug}&country={country.slug}&status=in_progress&q={word}"
    # One country: the status filter and facet count the status in that country (``country_status``). The
    # country with most commitments, so the most per-country rows to weigh.
    busiest = Country.objects.annotate(n=Count("commitments")).order_by("-n", "slug").first()
    one_country = f"/commitments/?country={busiest.slug}&status=in_progress"

    def get(url):
        def fetch():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return consume(response)

        return fetch

    facet_index.refresh()  # as after the first page since the generator's commit (or any later change)
    settings.API_RATE_LIMIT = ""  # one client asks hundreds of times
    uncached = {"before": cache.clear}
    settings.PUBLIC_PAGE_CACHE_SECONDS = 600
    pages = {
        "overview": timed(get("/"), runs=args.runs, warmup=args.warmup, **uncached),
        "overview (cached)": timed(get("/"), runs=args.runs, warmup=args.warmup),
        "list": timed(get("/commitments/"), runs=args.runs, warmup=args.warmup, **uncached),
        "list, 3 filters + text": timed(get(three_filters), runs=args.runs, warmup=args.warmup, **uncached),
        "list, one country + status + all facets": timed(get(one_country), runs=args.runs, warmup=args.warmup,
                                                         **uncached),
        "list as_of": timed(get("/commitments/?as_of=2022-06-30"), runs=args.runs, warmup=args.warmup, **uncached),
        # The compliance matrix: a page of 50 commitments by every country, cells in one query.
        "matrix": timed(get("/countries/matrix/"), runs=args.runs, warmup=args.warmup, **uncached),
        "matrix, one country + status": timed(get(f"/countries/matrix/?country={busiest.slug}&status=in_progress"),
                                              runs=args.runs, warmup=args.warmup, **uncached),
        # Not a cached page: clearing the cache would only drop the 5-minute "demo data?" flag.
        "commitment page": timed(get(f"/commitments/{slug}/"), runs=args.runs, warmup=args.warmup),
        "Atom feed": timed(get("/feeds/updates.atom"), runs=args.runs, warmup=args.warmup, **uncached),
        # The read API (never cached: each request builds its answer): 100 rows a page, each with its status in
        # each of its countries; the same filters as the list rows above.
        "API list, one country + status, 100 a page": timed(get(f"/api/v1{one_country}&page_size=100"),
                                                            runs=args.runs, warmup=args.warmup),
        "API list, 3 filters + text, 100 a page": timed(get(f"/api/v1{three_filters}&page_size=100"),
                                                        runs=args.runs, warmup=args.warmup),
        "API commitment": timed(get(f"/api/v1/commitments/{slug}/"), runs=args.runs, warmup=args.warmup),
    }

    # The first page after a change counts in SQL; the process builds the facet index after sending it
    # (timed on its own below), so that build is left out here: the reader does not wait for it.
    def index_out_of_date():
        cache.clear()
        PublicDataVersion.objects.filter(pk=1).update(token=uuid.uuid4().hex)

    stale = {"before": index_out_of_date}
    facet_index.disconnect()
    pages["overview, after a change"] = timed(get("/"), runs=args.runs, warmup=1, **stale)
    pages["list, after a change"] = timed(get("/commitments/"), runs=args.runs, warmup=1, **stale)
    pages["list, 3 filters + text, after a change"] = timed(get(three_filters), runs=args.runs, warmup=1, **stale)
    pages["list, one country + status, after a change"] = timed(get(one_country), runs=args.runs, warmup=1,
                                                                **stale)
    facet_index.connect()
    pages["building the facet index"] = timed(
        lambda: facet_index.build(version="bench") and 0, runs=max(3, args.runs // 2), warmup=1
    )
    pages["building the facet index"]["index_mb"] = round(facet_index.build(version="bench").nbytes / 1e6, 1)

    export = get("/commitments/export.csv")
    pages["CSV export, all rows"] = timed(export, runs=max(3, args.runs // 2), warmup=1)
    tracemalloc.start()  # a separate run: tracing slows Python down several times
    export()
    pages["CSV export, all rows"]["peak_python_mb"] = round(tracemalloc.get_traced_memory()[1] / 1e6, 1)
    tracemalloc.stop()

    period = parse_period("2025-Q3")
    pages["report for a quarter"] = timed(
        lambda: len(json.dumps(build_snapshot(period=period))), runs=3, warmup=0
    )

    print(
        json.dumps(
            {
                "vendor": connection.vendor,
                "database_version": connection.Database.sqlite_version
                if connection.vendor == "sqlite"
                else str(connection.cursor().connection.info.server_version),
                "commitments": n,
                "status_updates": StatusUpdate.objects.count(),
                "date": date.today().isoformat(),
                "three_filters_url": three_filters,
                "one_country_url": one_country,
                "per_country_commitments": Commitment.objects.filter(
                    assessment_scope=Commitment.Scope.PER_COUNTRY).count(),
                "country_updates": StatusUpdate.objects.exclude(country=None).count(),
                "pages": pages,
            }
        )
    )


if __name__ == "__main__":
    main()
