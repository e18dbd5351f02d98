"""Measure the public pages as served: over HTTP from gunicorn with 2 workers, the page cache off.

Issue 18's targets are stated that way ("at 100k, page cache off, gunicorn, this 2-core machine"), while
``bench/measure.py`` asks Django's test client in-process. Run by ``bench/run.py`` after the in-process
measurement of each database (``BENCH_SERVED=0`` leaves it out), or alone on the database DATABASE_URL names:
``DATABASE_URL=sqlite:////tmp/bench-10000.sqlite3 .venv/bin/python bench/served.py``. Prints one JSON object.

The server: ``gunicorn -c gunicorn.conf.py`` with ``WEB_CONCURRENCY=2`` sync workers on a free loopback port,
as production runs it (DEBUG off, ``DJANGO_ENV=production``, a random SECRET_KEY, a local-memory cache), but
with the page cache off (``PUBLIC_PAGE_CACHE_SECONDS=0``: every request builds its page), no API rate limit,
no HTTPS redirect (each request says ``X-Forwarded-Proto: https``, as the proxy would), no access log
(``ACCESS_LOG=``) and no worker recycling (``--max-requests 0``: a recycled worker's first page would count
in SQL while it rebuilds its facet index, once in 2,000 requests).

The client: one, asking one address at a time, each on a new connection (``http.client``): gunicorn's sync
workers close the connection after every response, so there is no keep-alive to use. It says
``Accept-Encoding: gzip`` as browsers do (the app compresses public pages). A sample is the time from
connecting to the body's last byte.

The addresses: the 40 of the word set (``measure.word_set`` with ``measure.word_set_choices``, as the
in-process rows), the same 40 on the compliance matrix, and the unfiltered list and the overview, each
``REPEATS`` times a round, interleaved so that a busy moment of the shared machine falls on every group alike.

Warm-up: each worker builds its facet index after the first page that finds none (``request_finished``,
before the worker takes another request), so the unfiltered list is asked until both workers have answered
it, told apart by the CPU time each has used (``/proc/<pid>/task/*/sched``); then every address once, and
the list, the matrix or the overview again until each worker has answered each of them. Then
``BENCH_WORD_RUNS`` rounds (default 3). Each group gives the median and p95 over every sample of its
addresses, the workers' CPU time per request (``/proc/<pid>/task/*/sched``; SQLite's work is in it,
PostgreSQL's is not: steadier than the wall clock on a shared machine), and each round's median of both (a
first round no slower than the others: nothing was still warming up).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import measure  # noqa: E402 - sets Django up on DATABASE_URL
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from commitments.models import Commitment  # noqa: E402

BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
WORKERS = 2
REPEATS = 10  # the unfiltered list and the overview, times a round
HEADERS = {"Accept-Encoding": "gzip", "X-Forwarded-Proto": "https", "Accept": "text/html"}
LIST, MATRIX, UNFILTERED, OVERVIEW = "/commitments/", "/countries/matrix/", "/commitments/", "/"


def plan(words: list[tuple[str, str, str]]) -> tuple[dict[str, list[str]], list[str]]:
    """The groups (name: addresses) and one round's requests in order: each word-set address on the list and on
    the matrix, with the unfiltered list and the overview after every few, ``REPEATS`` times each."""
    lists = [f"{LIST}?{query}" for _, _, query in words]
    groups = {"list, word set": lists}
    for band in dict.fromkeys(band for band, _, _ in words):
        groups[f"list, word set: {band} words"] = [f"{LIST}?{query}" for b, _, query in words if b == band]
    groups["list, word set, one country"] = [url for url in lists if "country=" in url]  # the per-country list
    groups["list, word set, relevance order"] = [url for url in lists if "sort=relevance" in url]
    groups["list, word set, title order"] = [url for url in lists if "sort=relevance" not in url]
    groups["list, unfiltered"] = [UNFILTERED]
    groups["overview"] = [OVERVIEW]
    groups["matrix, word set"] = [f"{MATRIX}?{query}" for _, _, query in words]
    every = max(1, len(lists) // REPEATS)
    order = []
    for i, (listed, matrix) in enumerate(zip(lists, groups["matrix, word set"], strict=True)):
        order += [listed, matrix]
        if i % every == every - 1 and order.count(OVERVIEW) < REPEATS:
            order += [UNFILTERED, OVERVIEW]
    return groups, order


def _rounds(found: dict[str, dict], urls: list[str], key: str) -> list[list[float]]:
    """Each round's samples of ``urls`` (``key``: "ms" or "cpu"), a list per round."""
    return [[value for url in urls for value in found[url][key][r]] for r in range(len(found[urls[0]][key]))]


def summarize(found: dict[str, dict], urls: list[str]) -> dict:
    """The median and p95 over every sample of ``urls``; each round's median, of the time and of the workers'
    CPU (a first round no slower than the others: nothing was still warming up)."""
    by_round, cpu_by_round = _rounds(found, urls, "ms"), [r for r in _rounds(found, urls, "cpu") if r]
    samples, cpu = [ms for r in by_round for ms in r], [ms for r in cpu_by_round for ms in r]
    return {
        "median_ms": round(statistics.median(samples), 2),
        "p95_ms": round(measure.percentile(samples, 0.95), 2),
        "min_ms": round(min(samples), 2),
        "max_ms": round(max(samples), 2),
        "round_medians_ms": [round(statistics.median(r), 2) for r in by_round],
        "server_cpu_median_ms": round(statistics.median(cpu), 2) if cpu else None,
        "round_cpu_medians_ms": [round(statistics.median(r), 2) for r in cpu_by_round],
        "samples": len(samples),
        "addresses": len(urls),
        "bytes": round(statistics.mean(found[url]["bytes"] for url in urls)),  # as sent: gzipped
        "slowest": max(urls, key=lambda url: statistics.median(ms for r in found[url]["ms"] for ms in r)),
    }


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def fetch(port: int, path: str) -> tuple[float, int, int]:
    """(ms from connecting to the last byte, bytes of the body, HTTP status)."""
    start = time.perf_counter()
    conn = http.client.HTTPConnection(HOST, port, timeout=120)
    try:
        conn.request("GET", path, headers=HEADERS)
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    return (time.perf_counter() - start) * 1000, len(body), response.status


def workers(arbiter: int) -> list[int]:
    """The arbiter's children (its workers), from /proc; empty where there is none."""
    found = []
    try:
        entries = list(Path("/proc").iterdir())
    except OSError:
        return []
    for entry in entries:
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == arbiter:
            found.append(int(entry.name))
    return sorted(found)


def cpu_ms(pids: list[int]) -> dict[int, float]:
    """Per worker, its threads' CPU time so far (ms, to the nanosecond: ``/proc/<pid>/task/*/sched``); empty
    where /proc does not tell."""
    out = {}
    for pid in pids:
        total = 0.0
        try:
            for task in Path(f"/proc/{pid}/task").iterdir():
                text = (task / "sched").read_text()
                line = next(line for line in text.splitlines() if line.startswith("se.sum_exec_runtime"))
                total += float(line.split(":")[1])
        except (OSError, StopIteration):
            return {}
        out[pid] = total
    return out


class Server:
    """A running gunicorn: ``ask`` times one request and notes which worker answered and the CPU it took."""

    def __init__(self, proc: subprocess.Popen, port: int):
        self.proc, self.port = proc, port
        self.pids = workers(proc.pid)

    def ask(self, path: str) -> tuple[float, int, float | None, int | None]:
        """(ms, bytes, the workers' CPU ms, the pid that answered: the one that worked most); None where /proc
        does not tell."""
        before = cpu_ms(self.pids)
        ms, size, status = fetch(self.port, path)
        if status != 200:
            raise SystemExit(f"served bench: {path} answered HTTP {status}")
        after = cpu_ms(self.pids)
        if not before or before.keys() != after.keys():
            return ms, size, None, None
        used = {pid: after[pid] - before[pid] for pid in after}
        return ms, size, sum(used.values()), max(used, key=used.get)


def stop(proc: subprocess.Popen) -> None:
    """Stop gunicorn (its own process group: the arbiter and its workers) and wait for it."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=35)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


@contextmanager
def gunicorn(db_url: str, *, log: Path, ready_seconds: float = 90):
    """gunicorn on a free loopback port, serving ``db_url``; always stopped on leaving (Ctrl-C included)."""
    if not (BIN / "gunicorn").exists():
        raise SystemExit("served bench: gunicorn is not installed (.venv/bin/pip install '.[dev]')")
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "DEBUG": "0",
        "DJANGO_ENV": "production",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "SECURE_SSL_REDIRECT": "0",
        "CACHE_URL": "locmemcache://",
        "PUBLIC_PAGE_CACHE_SECONDS": "0",
        "API_RATE_LIMIT": "",
        "ACCESS_LOG": "",
        "LOG_LEVEL": "WARNING",
        "WEB_CONCURRENCY": str(WORKERS),
        "BIND": f"{HOST}:{port}",
        "FORWARDED_ALLOW_IPS": HOST,
        "PYTHONUNBUFFERED": "1",
    }
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(  # noqa: S603 - our own gunicorn
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--max-requests", "0", "tracker.wsgi"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        deadline, last = time.monotonic() + ready_seconds, "no answer"
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"served bench: gunicorn exited with {proc.returncode} before answering (see {log})")
            try:
                _, _, status = fetch(port, "/healthz")
            except OSError as exc:
                last = str(exc)
            else:
                if status != 200:  # it is up, and says the database cannot serve
                    raise SystemExit(f"served bench: /healthz answered HTTP {status} (see {log})")
                if len(workers(proc.pid)) >= WORKERS or not Path("/proc").is_dir():
                    break
                last = f"fewer than {WORKERS} workers"
            if time.monotonic() > deadline:
                raise SystemExit(f"served bench: gunicorn did not answer /healthz in {ready_seconds:.0f} s: {last} "
                                 f"(see {log})")
            time.sleep(0.2)
        yield Server(proc, port)
    finally:
        stop(proc)


def warm_up(server: Server, order: list[str], *, most_asks: int = 40) -> dict:
    """Both workers answer a list page (and so build their facet index); every address once; then, until each
    worker has answered the list, the matrix and the overview (their templates compiled), the one it lacks."""
    answered: dict[int, int] = {}
    asked = 0
    while len(answered) < WORKERS and asked < most_asks:
        *_, pid = server.ask(UNFILTERED)
        asked += 1
        if pid is None and asked >= 4 * WORKERS:  # no /proc: enough that both workers most likely answered
            break
        if pid is not None:
            answered[pid] = answered.get(pid, 0) + 1
    first = {urlsplit(url).path: url for url in reversed(order)}  # a page: its first address
    seen: dict[int, set[str]] = {pid: set() for pid in server.pids}
    for url in dict.fromkeys(order):
        *_, pid = server.ask(url)
        seen.setdefault(pid, set()).add(urlsplit(url).path)
    seen.pop(None, None)
    more = 0
    while more < most_asks and (lacking := {page for done in seen.values() for page in first.keys() - done}):
        *_, pid = server.ask(first[min(lacking)])
        seen.setdefault(pid, set()).add(urlsplit(first[min(lacking)]).path)
        seen.pop(None, None)
        more += 1
    told = bool(server.pids) and bool(seen)
    return {"unfiltered_list_asks": asked,
            "more_asks": more,
            # None: not told (no /proc)
            "index_in_every_worker": len(answered) >= WORKERS if told else None,
            "every_page_in_every_worker": all(done == first.keys() for done in seen.values()) if told else None}


def run(db_url: str, *, runs: int, log: Path, words: list[tuple[str, str, str]] | None = None) -> dict:
    """Start gunicorn on ``db_url``, warm it up, measure ``runs`` rounds; the groups' summaries and the setting.

    ``words``: the word set (band, word, query string); by default ``measure``'s, as the in-process rows ask."""
    words = words or measure.word_set(*measure.word_set_choices())
    groups, order = plan(words)
    commitments = Commitment.objects.count()
    vendor = connection.vendor
    connection.close()  # the client process asks nothing more of the database
    found = {url: {"ms": [], "cpu": [], "bytes": 0} for url in dict.fromkeys(order)}
    served_by: dict[int, int] = {}
    with gunicorn(db_url, log=log) as server:
        warm = warm_up(server, order)
        for _ in range(runs):
            for entry in found.values():
                entry["ms"].append([])
                entry["cpu"].append([])
            for url in order:
                ms, size, cpu, pid = server.ask(url)
                entry = found[url]
                entry["ms"][-1].append(ms)
                entry["bytes"] = size
                if cpu is not None:
                    entry["cpu"][-1].append(cpu)
                if pid is not None:
                    served_by[pid] = served_by.get(pid, 0) + 1
        recycled = workers(server.proc.pid) != server.pids
    return {
        "vendor": vendor,
        "commitments": commitments,
        "setting": f"gunicorn, {WORKERS} sync workers, page cache off, one client, a new connection a request, gzip",
        "rounds": runs,
        "warm_up": warm,
        "requests_per_worker": sorted(served_by.values(), reverse=True),
        "workers_replaced": recycled,  # a worker died (timeout?) during the run: its successor started cold
        "pages": {name: summarize(found, urls) for name, urls in groups.items()},
    }


def ensure_static() -> None:
    """With DEBUG off the pages need the static files' manifest, as ``bench/run.py`` makes it."""
    backend = os.environ.get("STATICFILES_BACKEND", "Manifest")  # as gunicorn's settings will read it, DEBUG off
    if "Manifest" in backend and not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        subprocess.run([sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"], cwd=ROOT,  # noqa: S603
                       env={**os.environ, "DEBUG": "0"}, check=True)


def _terminate(signum, frame):
    raise SystemExit(128 + signum)  # runs the ``finally`` that stops gunicorn


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_WORD_RUNS", "3")))
    parser.add_argument("--log", type=Path, default=ROOT / "bench" / "data" / "served-gunicorn.log")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _terminate)
    ensure_static()
    db_url = os.environ.get("DATABASE_URL", "")
    if not db_url:
        raise SystemExit("served bench: DATABASE_URL names the database to serve")
    print(json.dumps(run(db_url, runs=args.runs, log=args.log)))


if __name__ == "__main__":
    main()
