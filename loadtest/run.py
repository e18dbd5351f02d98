"""``make loadtest``: serve the app with gunicorn as production would and drive it with Locust.

1. Builds (once; ``LOADTEST_REBUILD=1`` to redo) a scratch SQLite database under ``loadtest/data/``
   with ``generate_demo_data`` (``LOADTEST_COMMITMENTS``, default 10000; ``LOADTEST_UPDATES``,
   default 5; seed 1), or, where that command does not exist, with the real fixtures.
2. ``collectstatic``, then gunicorn (``gunicorn.conf.py``: 2 × cores + 1 sync workers) on
   127.0.0.1 at ``LOADTEST_PORT`` (default 8765; a free port if that one is taken), with
   DEBUG off, a random SECRET_KEY and ``DJANGO_ENV=production``.
3. Locust, headless, for ``LOADTEST_SECONDS`` (default 30) with ``LOADTEST_USERS`` (default 20)
   users spawned at 5/s, over the mix in ``loadtest/locustfile.py``.
4. Prints requests per second, p50/p95/p99 and errors per endpoint and overall; exits non-zero on
   any error (non-2xx/3xx answer or connection error). gunicorn is always stopped.

Only loopback is ever contacted. Results: ``loadtest/data/results/`` (Locust CSVs) and
``loadtest/data/gunicorn.log``.
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "loadtest" / "data"
BIN = Path(sys.executable).parent
PY = sys.executable
HOST = "127.0.0.1"

N = int(os.environ.get("LOADTEST_COMMITMENTS", "10000"))
K = int(os.environ.get("LOADTEST_UPDATES", "5"))
SEED = int(os.environ.get("LOADTEST_SEED", "1"))
SECONDS = int(os.environ.get("LOADTEST_SECONDS", "30"))
USERS = int(os.environ.get("LOADTEST_USERS", "20"))
SPAWN_RATE = os.environ.get("LOADTEST_SPAWN_RATE", "5")
REBUILD = os.environ.get("LOADTEST_REBUILD") == "1"
# "demo" (generate_demo_data; the default where the command exists) or "fixtures" (the real, small data set).
DATA_KIND = os.environ.get("LOADTEST_DATA", "demo")


def log(message: str) -> None:
    print(f"[loadtest] {message}", flush=True)


def free_port(preferred: int) -> int:
    for port in (preferred, 0):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn does: TIME_WAIT is no obstacle
            try:
                s.bind((HOST, port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise SystemExit("no free port on 127.0.0.1")


def base_env(db_url: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": db_url,
        "DEBUG": "0",
        "DJANGO_ENV": "production",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback; the locustfile also says "https" via the proxy header
        "CACHE_URL": os.environ.get("LOADTEST_CACHE_URL", "locmemcache://"),
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }


def manage(env: dict, *args: str, capture: bool = False) -> str:
    result = subprocess.run(  # noqa: S603 - our own manage.py
        [PY, "manage.py", *args], cwd=ROOT, env=env, check=True, text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    return result.stdout or ""


def has_command(env: dict, name: str) -> bool:
    return name in manage(env, "help", "--commands", capture=True).split()


def build_database() -> tuple[str, str]:
    """The scratch database (built once, atomically: a half-built file never survives)."""
    DATA.mkdir(parents=True, exist_ok=True)
    probe_env = base_env(f"sqlite:///{DATA / 'probe.sqlite3'}")
    generated = DATA_KIND != "fixtures" and has_command(probe_env, "generate_demo_data")
    (DATA / "probe.sqlite3").unlink(missing_ok=True)
    name = f"demo-{N}x{K}-seed{SEED}.sqlite3" if generated else "fixtures.sqlite3"
    if not generated and DATA_KIND != "fixtures":
        log("generate_demo_data is not available: loading the real fixtures instead")
    path = DATA / name
    if path.exists() and not REBUILD:
        log(f"database: {path.relative_to(ROOT)} (kept; LOADTEST_REBUILD=1 rebuilds it)")
        # A kept database may predate the code's newest migrations: apply them, as a deploy would.
        manage(base_env(f"sqlite:///{path}"), "migrate", "--no-input", "-v0")
        return f"sqlite:///{path}", name
    tmp = path.with_suffix(".building")
    tmp.unlink(missing_ok=True)
    env = base_env(f"sqlite:///{tmp}")
    started = time.monotonic()
    manage(env, "migrate", "--no-input", "-v0")
    if generated:
        log(f"generating {N} commitments × ~{K} updates (seed {SEED}) …")
        manage(env, "generate_demo_data", "--commitments", str(N), "--updates-per-commitment", str(K),
               "--seed", str(SEED))
    else:
        manage(env, "import_commitments", "fixtures/commitments-sources.yaml", "fixtures/assessments.yaml")
    tmp.replace(path)
    log(f"database built in {time.monotonic() - started:.0f} s: {path.relative_to(ROOT)}")
    return f"sqlite:///{path}", name


SAMPLE_SCRIPT = """
import json, math, sys
from commitments.models import Actor, Commitment, Country, Theme
public = Commitment.objects.public()
words = [w for t in public.order_by("?").values_list("title", flat=True)[:40] for w in t.split() if len(w) > 5][:30]
print(json.dumps({
    "commitments": list(public.order_by("?").values_list("slug", flat=True)[:500]),
    "themes": list(Theme.objects.values_list("slug", flat=True)),
    "countries": list(Country.objects.values_list("slug", flat=True)),
    "actors": list(Actor.objects.values_list("slug", flat=True)[:50]),
    "words": sorted(set(words)),
    "last_page": max(1, math.ceil(public.count() / 25)),
}))
"""


def write_sample(env: dict) -> Path:
    out = manage(env, "shell", "-c", SAMPLE_SCRIPT, capture=True)
    sample = json.loads(out.strip().splitlines()[-1])
    path = DATA / "sample.json"
    path.write_text(json.dumps(sample), encoding="utf-8")
    log(f"sample: {len(sample['commitments'])} commitments, {len(sample['themes'])} themes, "
        f"{sample['last_page']} list pages")
    return path


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode} (see loadtest/data/gunicorn.log)")
        request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})  # noqa: S310 - loopback
        try:
            with urllib.request.urlopen(request, timeout=10) as resp:  # noqa: S310 - loopback URL built here
                if resp.status == 200:
                    return
                last = f"HTTP {resp.status}"
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}"
            if exc.code < 500 and exc.code != 404:
                break
        except OSError as exc:
            last = str(exc)
        time.sleep(0.5)
    raise SystemExit(f"the app did not answer 200 at {url}: {last} (see loadtest/data/gunicorn.log)")


def stop(proc: subprocess.Popen | None) -> None:
    """Stop gunicorn (its own process group: the arbiter and its workers) and wait for it."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=35)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass
    log("gunicorn stopped")


def percentile(times: dict[str, int], fraction: float) -> float:
    """The response time (ms) under which ``fraction`` of the requests finished (Locust's rounded buckets)."""
    buckets = sorted((float(ms), n) for ms, n in times.items())
    total = sum(n for _, n in buckets)
    seen = 0
    for ms, n in buckets:
        seen += n
        if seen >= fraction * total:
            return ms
    return buckets[-1][0] if buckets else 0.0


def report(stats_file: Path, wall: float) -> int:
    """Print requests/s, p50/p95/p99 and errors per endpoint and overall; return the number of errors."""
    entries = json.loads(stats_file.read_text(encoding="utf-8"))
    if not entries:
        raise SystemExit("Locust made no requests")
    start = min(e["start_time"] for e in entries)
    end = max(e["last_request_timestamp"] or start for e in entries)
    duration = max(end - start, 1e-9)
    overall = {"name": "overall", "num_requests": 0, "num_failures": 0, "response_times": {}, "max_response_time": 0}
    for e in entries:
        overall["num_requests"] += e["num_requests"]
        overall["num_failures"] += e["num_failures"]
        overall["max_response_time"] = max(overall["max_response_time"], e["max_response_time"] or 0)
        for ms, n in e["response_times"].items():
            overall["response_times"][ms] = overall["response_times"].get(ms, 0) + n
    width = max(len(e["name"]) for e in entries)
    header = f"{'endpoint':<{width}}  {'requests':>8}  {'req/s':>7}  {'p50 ms':>7}  {'p95 ms':>7}  {'p99 ms':>7}  " \
             f"{'max ms':>7}  {'errors':>6}"
    print(f"\n{header}\n{'-' * len(header)}")
    for e in [*sorted(entries, key=lambda e: e["name"]), None, overall]:
        if e is None:
            print("-" * len(header))
            continue
        worst = e["max_response_time"] or 0
        p50, p95, p99 = (min(percentile(e["response_times"], f), worst) for f in (0.50, 0.95, 0.99))
        print(f"{e['name']:<{width}}  {e['num_requests']:>8}  {e['num_requests'] / duration:>7.1f}  "
              f"{p50:>7.0f}  {p95:>7.0f}  {p99:>7.0f}  {worst:>7.0f}  {e['num_failures']:>6}")
    print(f"\n{USERS} users for {SECONDS} s ({duration:.1f} s of requests, wall {wall:.0f} s); "
          f"results in {stats_file.parent.relative_to(ROOT)}/")
    failures_csv = stats_file.parent / "locust_failures.csv"
    if failures_csv.exists():
        with open(failures_csv, encoding="utf-8") as fh:
            for row in list(csv.DictReader(fh))[:10]:
                print(f"  error: {row['Method']} {row['Name']}: {row['Error']} × {row['Occurrences']}")
    return overall["num_failures"]


def _terminate(signum, frame):
    raise SystemExit(128 + signum)  # runs the ``finally`` that stops gunicorn


def main() -> int:
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    if not (BIN / "locust").exists() or not (BIN / "gunicorn").exists():
        raise SystemExit("locust and gunicorn are needed: .venv/bin/pip install '.[dev]'")
    db_url, db_name = build_database()
    port = free_port(int(os.environ.get("LOADTEST_PORT", "8765")))
    env = base_env(db_url) | {"BIND": f"{HOST}:{port}", "FORWARDED_ALLOW_IPS": HOST}
    manage(env, "collectstatic", "--no-input", "-v0")
    sample = write_sample(env)
    results = DATA / "results"
    shutil.rmtree(results, ignore_errors=True)
    results.mkdir(parents=True)
    prefix = results / "locust"
    stats = results / "stats.json"  # Locust adds ".json" to the name it is given
    host = f"http://{HOST}:{port}"
    server = None
    try:
        with open(DATA / "gunicorn.log", "w", encoding="utf-8") as server_log:
            server = subprocess.Popen(  # noqa: S603 - our own gunicorn
                [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--access-logfile", "-", "tracker.wsgi"],
                cwd=ROOT, env=env, stdout=server_log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        log(f"gunicorn (pid {server.pid}) on {host}, {db_name}")
        wait_ready(f"{host}/", server)
        log(f"Locust: {USERS} users (spawn {SPAWN_RATE}/s) for {SECONDS} s …")
        started = time.monotonic()
        locust = subprocess.run(  # noqa: S603 - our own locust
            [str(BIN / "locust"), "-f", str(ROOT / "loadtest" / "locustfile.py"), "--headless",
             "-u", str(USERS), "-r", SPAWN_RATE, "--run-time", f"{SECONDS}s", "--stop-timeout", "10",
             "--host", host, "--csv", str(prefix), "--json-file", str(stats.with_suffix("")), "--skip-log",
             "--loglevel", "WARNING"],
            cwd=ROOT, env={**os.environ, "LOADTEST_SAMPLE": str(sample)}, stdout=subprocess.DEVNULL,
        )
        wall = time.monotonic() - started
        if server.poll() is not None:
            log(f"gunicorn died during the run (exit {server.returncode})")
            return 1
    finally:
        stop(server)
    if not stats.exists():
        log(f"Locust wrote no results (exit {locust.returncode})")
        return 1
    failures = report(stats, wall)
    if failures or locust.returncode:
        log(f"FAILED: {failures} failed request(s); Locust exit {locust.returncode}")
        return 1
    log("OK: no errors")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except subprocess.CalledProcessError as exc:
        log(f"FAILED: {' '.join(map(str, exc.cmd[1:]))} exited with {exc.returncode}")
        sys.exit(1)
