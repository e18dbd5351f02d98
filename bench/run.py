"""``make bench``: build demo databases of several sizes and measure the public pages on each.

SQLite always; PostgreSQL too when DATABASE_URL points at it. Databases are kept in
``bench/data/`` (SQLite) or as ``bench_<n>`` (PostgreSQL) and rebuilt only when missing or when
``BENCH_REBUILD=1``. Prints one table and writes ``bench/results/<time>.json``.

Environment: BENCH_SIZES (default 1000,10000,100000), BENCH_UPDATES (status updates per
commitment, default 10), BENCH_RUNS (default 7), BENCH_PG_PREFIX (the PostgreSQL databases' name before
``_<n>``, default ``bench``: several checkouts sharing one server each keep their own), BENCH_WORDS (0 leaves
out the word-set rows, which take the longest), BENCH_WORD_RUNS (rounds over the word set, default 3),
BENCH_SERVED (0 leaves out the served rows).

Two measurements of each database: ``bench/measure.py`` asks Django's test client in-process (every row without
"served:"); then ``bench/served.py`` starts gunicorn (2 sync workers, page cache off, DEBUG off) on loopback and
asks the word set, its compliance matrix, the unfiltered list and the overview over HTTP, one request at a time
(the "served:" rows: median and p95 over every sample, the workers' CPU per request as "cpu").
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
SIZES = [int(s) for s in os.environ.get("BENCH_SIZES", "1000,10000,100000").split(",")]
UPDATES = int(os.environ.get("BENCH_UPDATES", "10"))
RUNS = os.environ.get("BENCH_RUNS", "7")
REBUILD = os.environ.get("BENCH_REBUILD") == "1"
PG_PREFIX = os.environ.get("BENCH_PG_PREFIX", "bench")
SERVED = os.environ.get("BENCH_SERVED", "1") != "0"
# Bumped when generate_demo_data makes different rows (2: per-country commitments and country updates), so a
# kept database built by an older generator is rebuilt rather than measured.
DEMO_VERSION = 2


def manage(env: dict, *args: str) -> None:
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def databases(size: int) -> list[tuple[str, str]]:
    (ROOT / "bench" / "data").mkdir(parents=True, exist_ok=True)
    found = [("sqlite", f"sqlite:///{ROOT / 'bench' / 'data' / f'bench-{size}.sqlite3'}")]
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        parts = urlsplit(url)
        found.append(("postgresql", urlunsplit(parts._replace(path=f"/{PG_PREFIX}_{size}"))))
    return found


def ensure(vendor: str, url: str, size: int) -> float | None:
    """Create and fill the database if needed; return the seconds the generation took."""
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "0", "ALLOWED_HOSTS": "testserver"}
    name = vendor if vendor == "sqlite" or PG_PREFIX == "bench" else f"{vendor}-{PG_PREFIX}"
    marker = ROOT / "bench" / "data" / f"{name}-{size}-{UPDATES}-v{DEMO_VERSION}.built"
    if marker.exists() and not REBUILD:
        manage(env, "migrate", "--no-input", "-v0")  # a kept database gets the newest schema, as a deploy would
        return None
    if vendor == "sqlite":
        Path(urlsplit(url).path).unlink(missing_ok=True)
    else:
        import psycopg

        parts = urlsplit(url)
        admin = psycopg.connect(host=parts.hostname, port=parts.port or 5432, user=parts.username,
                                password=parts.password, dbname="postgres", autocommit=True)
        name = parts.path.lstrip("/")
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
        admin.close()
    manage(env, "migrate", "--no-input", "-v0")
    start = time.perf_counter()
    manage(env, "generate_demo_data", "--commitments", str(size), "--updates-per-commitment", str(UPDATES),
           "--seed", "1")
    seconds = time.perf_counter() - start
    # Fresh planner statistics, as autovacuum (PostgreSQL) or a periodic ANALYZE (SQLite) gives a real database.
    if vendor == "postgresql":
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
    else:
        import sqlite3

        with sqlite3.connect(urlsplit(url).path) as conn:
            conn.execute("ANALYZE")
    marker.write_text(f"{seconds:.1f}\n")
    return seconds


def served(run: dict, env: dict) -> bool:
    """Add the served rows (``bench/served.py``) to ``run``; False, with its one-line message, if it failed."""
    done = subprocess.run([PY, "bench/served.py"], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    if done.returncode:  # its message went to stderr, which is the terminal's
        run["served"] = {"error": f"bench/served.py exited with {done.returncode}"}
        return False
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    run["served"] = {key: value for key, value in measured.items() if key != "pages"}
    for name, m in measured["pages"].items():
        run["pages"][f"served: {name}"] = m
    return True


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}


def main() -> None:
    # The pages are measured with DEBUG off, as served: WhiteNoise's manifest must exist.
    manage({**os.environ, "DEBUG": "0"}, "collectstatic", "--no-input", "-v0")
    results = {"machine": machine(), "updates_per_commitment": UPDATES, "runs": []}
    failed = []
    for size in SIZES:
        for vendor, url in databases(size):
            generated = ensure(vendor, url, size)
            env = {**os.environ, "DATABASE_URL": url, "DEBUG": "0", "ALLOWED_HOSTS": "testserver"}
            out = subprocess.run([PY, "bench/measure.py", "--runs", RUNS], cwd=ROOT, env=env, check=True,
                                 capture_output=True, text=True).stdout
            run = json.loads(out.strip().splitlines()[-1])
            run["generate_seconds"] = round(generated, 1) if generated is not None else None
            if SERVED and not served(run, env):
                failed.append(f"{vendor} {size:,}")
            results["runs"].append(run)
            print_table(run)
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nMachine: {results['machine']['cpu']}, {results['machine']['cores']} cores. Results: {path}")
    if failed:
        raise SystemExit(f"The served measurement failed on {', '.join(failed)}: its rows are missing.")


def print_table(run: dict) -> None:
    print(f"\n{run['vendor']} {run['database_version']}: {run['commitments']:,} commitments, "
          f"{run['status_updates']:,} status updates"
          + (f" (generated in {run['generate_seconds']} s)" if run.get("generate_seconds") else ""))
    print(f"  {'page':<46}{'median ms':>11}{'p95 ms':>10}{'queries':>9}{'kB':>10}")
    for name, m in run["pages"].items():
        extra = f"  peak {m['peak_python_mb']} MB" if "peak_python_mb" in m else ""
        extra += f"  holds {m['index_mb']} MB" if "index_mb" in m else ""
        extra += f"  cpu {m['cpu_median_ms']} ms" if "cpu_median_ms" in m else ""
        extra += f"  cpu {m['server_cpu_median_ms']} ms" if m.get("server_cpu_median_ms") is not None else ""
        figures = f"{m['median_ms']:>11.1f}{m['p95_ms']:>10.1f}{m.get('queries', '-'):>9}{m['bytes'] / 1000:>10.1f}"
        print(f"  {name:<46}{figures}{extra}")
    if "served" in run:
        s = run["served"]
        print(f"  served: {s['error']}" if "error" in s else
              f"  served: {s['setting']} (kB as sent); {s['rounds']} rounds; requests per worker "
              f"{s['requests_per_worker']}; facet index in every worker: {s['warm_up']['index_in_every_worker']}; "
              f"every page warmed in every worker: {s['warm_up']['every_page_in_every_worker']}")


if __name__ == "__main__":
    main()
