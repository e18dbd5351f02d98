"""Locust scenario for ``make loadtest``: anonymous readers on the public pages.

A mix of what readers do: the overview, filtered lists (random themes, statuses, searches,
as-of dates and pages), commitment pages, a filtered CSV export and the Atom feed. Requests
are grouped by endpoint (``name=``) so the summary has one line per kind of page.

Sample slugs come from the JSON file named by ``LOADTEST_SAMPLE`` (written by ``run.py`` from
the database under test). Only loopback hosts are accepted; redirects are not followed, so
nothing ever leaves the machine, and any answer other than 2xx/3xx counts as a failure.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from locust import HttpUser, between, events, task

SAMPLE = {"commitments": [], "themes": [], "countries": [], "actors": [], "words": ["border"], "last_page": 1}
if "LOADTEST_SAMPLE" in os.environ:
    SAMPLE = json.loads(Path(os.environ["LOADTEST_SAMPLE"]).read_text(encoding="utf-8"))
STATUSES = ["not_assessed", "not_started", "in_progress", "stalled", "partially_achieved", "achieved", "abandoned"]
SORTS = ["title", "due", "-due", "updated", "-updated"]
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# Behind a TLS-terminating proxy in production; gunicorn trusts this header from 127.0.0.1, so the
# app sees HTTPS and never redirects to it.
HEADERS = {"X-Forwarded-Proto": "https"}


@events.test_start.add_listener
def _only_loopback(environment, **kwargs):
    host = urlsplit(environment.host or "").hostname
    if host not in LOOPBACK:
        raise SystemExit(f"refusing to load-test {environment.host!r}: loopback only")


def _random_filters(rnd: random.Random) -> dict:
    params: dict[str, object] = {}
    if SAMPLE["themes"] and rnd.random() < 0.5:
        params["theme"] = rnd.sample(SAMPLE["themes"], k=rnd.choice([1, 1, 2]))
    if rnd.random() < 0.4:
        params["status"] = rnd.sample(STATUSES, k=rnd.choice([1, 1, 2, 3]))
    if SAMPLE["countries"] and rnd.random() < 0.25:
        params["country"] = rnd.choice(SAMPLE["countries"])
    if SAMPLE["actors"] and rnd.random() < 0.1:
        params["actor"] = rnd.choice(SAMPLE["actors"])
    if SAMPLE["words"] and rnd.random() < 0.25:
        params["q"] = rnd.choice(SAMPLE["words"])
    if rnd.random() < 0.2:
        params["as_of"] = f"{rnd.randint(2016, 2025)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
    if rnd.random() < 0.1:
        params["overdue"] = "1"
    if rnd.random() < 0.3:
        params["sort"] = rnd.choice(SORTS)
    return params


class Reader(HttpUser):
    wait_time = between(0.1, 0.5)

    def on_start(self):
        self.rnd = random.Random()  # noqa: S311 - load shape, not security

    def _get(self, path: str, name: str, params: dict | None = None):
        query = urlencode(params or {}, doseq=True)
        url = f"{path}?{query}" if query else path
        with self.client.get(url, name=name, headers=HEADERS, allow_redirects=False, catch_response=True) as resp:
            if not 200 <= resp.status_code < 400:
                resp.failure(f"HTTP {resp.status_code}")

    @task(3)
    def overview(self):
        params = {"as_of": "2022-06-30"} if self.rnd.random() < 0.2 else {}
        self._get("/", "/ (overview)", params)

    @task(6)
    def filtered_list(self):
        self._get("/commitments/", "/commitments/ (filtered)", _random_filters(self.rnd))

    @task(2)
    def list_page(self):
        # Unfiltered, so every page up to the last exists (a page past the end would be a 404).
        params = {"page": self.rnd.randint(2, SAMPLE["last_page"])} if SAMPLE["last_page"] > 1 else {}
        if self.rnd.random() < 0.5:
            params["sort"] = self.rnd.choice(SORTS)
        self._get("/commitments/", "/commitments/?page=N", params)

    @task(6)
    def commitment(self):
        if SAMPLE["commitments"]:
            self._get(f"/commitments/{self.rnd.choice(SAMPLE['commitments'])}/", "/commitments/<slug>/")

    @task(1)
    def export_csv(self):
        params = {"theme": self.rnd.choice(SAMPLE["themes"])} if SAMPLE["themes"] else {}
        if self.rnd.random() < 0.5:
            params["status"] = self.rnd.choice(STATUSES)
        self._get("/commitments/export.csv", "/commitments/export.csv (filtered)", params)

    @task(2)
    def feed(self):
        params = {"theme": self.rnd.choice(SAMPLE["themes"])} if SAMPLE["themes"] and self.rnd.random() < 0.5 else {}
        self._get("/feeds/updates.atom", "/feeds/updates.atom", params)
