"""Measure the public pages on the database DATABASE_URL points at (already filled with demo data).

Run by ``bench/run.py`` in a subprocess per database and size; prints one JSON object on stdout.
Each page is requested in-process with Django's test client (no network), ``--runs`` times after
``--warmup`` runs; the page cache is cleared before every uncached run. ``bench/served.py`` then asks the
word set over HTTP from gunicorn (the same addresses: ``word_set`` with ``word_set_choices``).
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
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.http import QueryDict  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from commitments import counting, facet_index, selectors  # noqa: E402
from commitments.filtersets import CommitmentFilterSet  # noqa: E402
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


# The search words of the word-set rows, by how many of the 100,000 generated commitments (seed 1, 98,005
# public) each matches: counted with ``Commitment.objects.public().search(word).count()`` on the bench
# databases (10,000: 9,792 public). Fixed here, so that no change can be tuned to one word.
WORDS = {
    "very common": ["border", "regional"],  # 52,652 and 43,766 of 98,005 (53.7%, 44.7%); at 10k 53.4%, 45.2%
    "common": ["prisons", "UNICEF", "training"],  # 19,708, 13,411, 8,702 (20.1%, 13.7%, 8.9%)
    "rare": ["transport", "nuclear", "nuclear task force"],  # 1,407, 1,854, 55 (1.4%, 1.9%, 0.06%); at 10k 96, 164, 4
    "absent": ["submarine", "quantum"],  # 0
}


def word_set(theme: str, busiest: str, second: str) -> list[tuple[str, str, str]]:
    """(band, word, query string) for every word with each of four filter sets: one to three other filters, one
    with the relevance sort. Two of the four choose exactly one country: the per-country list."""
    filters = [
        "status=in_progress",
        f"country={busiest}&status=in_progress",
        f"theme={theme}&country={second}&status=not_started",
        "sort=relevance&status=in_progress",
    ]
    return [(band, word, f"q={word.replace(' ', '+')}&{f}") for band, words in WORDS.items() for word in words
            for f in filters]


def word_set_choices() -> tuple[str, str, str]:
    """The word set's theme and two countries (slugs): the theme with most commitments, and the two countries
    with most, the busiest first (the most per-country rows to weigh). ``bench/served.py`` asks the same."""
    theme = Theme.objects.annotate(n=Count("commitments")).order_by("-n", "slug").values_list("slug", flat=True)[0]
    busiest, second = (Country.objects.annotate(n=Count("commitments")).order_by("-n", "slug")
                       .values_list("slug", flat=True)[:2])
    return theme, busiest, second


def sample_set(urls: list[str], fetch, *, runs: int) -> dict[str, dict]:
    """Every address once as a warm-up, then ``runs`` rounds over them all, the page cache cleared before each
    request: per address, its samples (ms), its queries and its size."""
    found = {url: {"samples": [], "cpu": [], "queries": 0, "bytes": 0} for url in urls}
    for i in range(1 + runs):
        for url in urls:
            cache.clear()
            with CaptureQueriesContext(connection) as captured:
                start, cpu = time.perf_counter(), time.process_time()
                size = fetch(url)
                elapsed = (time.perf_counter() - start) * 1000
                cpu = (time.process_time() - cpu) * 1000
            if isinstance(size, tuple):  # the fetch timed its own part
                size, elapsed = size
            if i:
                found[url]["samples"].append(elapsed)
                found[url]["cpu"].append(cpu)
                found[url]["queries"] = len(captured)
                found[url]["bytes"] = size
    return found


def summary(found: dict[str, dict], urls: list[str]) -> dict:
    """The median and p95 over every sample of ``urls`` (not one address's best); the most queries any took."""
    samples = [ms for url in urls for ms in found[url]["samples"]]
    return {
        "median_ms": round(statistics.median(samples), 2),
        "p95_ms": round(percentile(samples, 0.95), 2),
        "min_ms": round(min(samples), 2),
        # This process's CPU time (SQLite's work included; PostgreSQL's is in its server): steadier than the
        # wall clock on a shared machine.
        "cpu_median_ms": round(statistics.median(ms for url in urls for ms in found[url]["cpu"]), 2),
        "runs": len(samples) // len(urls),
        "addresses": len(urls),
        "queries": max(found[url]["queries"] for url in urls),
        "bytes": round(statistics.mean(found[url]["bytes"] for url in urls)),
        "slowest": max(urls, key=lambda url: statistics.median(found[url]["samples"])),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()

    client = Client()
    n = Commitment.objects.count()
    theme, busiest, second = word_set_choices()
    country = Country.objects.order_by("slug").first()
    slug = Commitment.objects.public().order_by("pk").values_list("slug", flat=True)[n // 2 if n else 0]
    word = "regional"  # a common word in the generated titles and quotes
    three_filters = f"/commitments/?theme={theme}&country={country.slug}&status=in_progress&q={word}"
    # One country: the status filter and facet count the status in that country (``country_status``). The
    # country with most commitments, so the most per-country rows to weigh.
    one_country = f"/commitments/?country={busiest}&status=in_progress"

    def get(url):
        def fetch():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return consume(response)

        return fetch

    def fetch(url):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return consume(response)

    def rows_query(url):
        filterset = CommitmentFilterSet(QueryDict(urlsplit(url).query))
        counts = counting.list_counts(filterset)
        start = time.perf_counter()
        if hasattr(selectors, "list_rows"):  # since issue 18: by id, in the facet index's order, when it has one
            rows = selectors.list_rows(filterset, counts.ordered_ids)
        else:
            rows = selectors.for_list(filterset.qs)
        found = list(rows[:25])
        return len(found), (time.perf_counter() - start) * 1000

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
        "matrix, one country + status": timed(get(f"/countries/matrix/?country={busiest}&status=in_progress"),
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

    if os.environ.get("BENCH_WORDS", "1") != "0":
        word_runs = int(os.environ.get("BENCH_WORD_RUNS", "3"))
        words = word_set(theme, busiest, second)
        lists = [f"/commitments/?{query}" for _, _, query in words]
        per_country = [f"/commitments/?{query}" for _, _, query in words if "country=" in query]
        found = sample_set(lists, fetch, runs=word_runs)
        pages["list, word set (page cache off)"] = summary(found, lists)
        for band in WORDS:
            pages[f"list, word set: {band} words"] = summary(
                found, [f"/commitments/?{query}" for b, _, query in words if b == band])
        pages["list, word set, one country (per-country list)"] = summary(found, per_country)
        # The list's rows query alone (25 rows, themes and countries prefetched), as the page plans it.
        pages["list rows query alone, word set"] = summary(
            sample_set(lists, rows_query, runs=word_runs), lists)
        matrix = [f"/countries/matrix/?{query}" for _, _, query in words]
        pages["matrix, word set"] = summary(sample_set(matrix, fetch, runs=word_runs), matrix)
        pages["country page"] = timed(get(f"/countries/{busiest}/"), runs=args.runs, warmup=args.warmup)

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
                "word_set": {band: words for band, words in WORDS.items()},
                "per_country_commitments": Commitment.objects.filter(
                    assessment_scope=Commitment.Scope.PER_COUNTRY).count(),
                "country_updates": StatusUpdate.objects.exclude(country=None).count(),
                "pages": pages,
            }
        )
    )


if __name__ == "__main__":
    main()
