"""``/healthz`` tells the truth: 200 only when the app's own data can be read.

A load balancer takes a server out of rotation on a 503, so a database that answers ``SELECT 1``
but holds no tracker (an empty or corrupt SQLite file, a dropped database, a missing table) must
be a 503, and the process must not have to be restarted to say so.
"""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
UNAVAILABLE = {"status": "unavailable", "database": "unavailable", "cache": "ok"}

# A fresh process with the given database, asking for /healthz as a load balancer would.
HEALTHZ = """
import django
django.setup()
from django.test import Client
response = Client().get("/healthz")
print(response.status_code, response.content.decode())
"""


def _healthz_of(database_url: str) -> tuple[int, dict]:
    keep = ("PATH", "HOME", "LANG", "PYTHONPATH", "VIRTUAL_ENV")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env |= {"DJANGO_SETTINGS_MODULE": "tracker.settings", "DATABASE_URL": database_url}
    done = subprocess.run(  # noqa: S603 - our own settings, a fixed script
        [sys.executable, "-c", HEALTHZ], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    status, body = done.stdout.strip().splitlines()[-1].split(" ", 1)
    return int(status), json.loads(body)


@pytest.mark.parametrize(
    "content",
    [b"", b"this is not a database " * 400, b"SQLite format 3\x00" + b"\xff" * 4080],
    ids=["empty file", "garbage", "corrupt header"],
)
def test_a_sqlite_file_without_the_tracker_is_a_503(tmp_path, content):
    path = tmp_path / "db.sqlite3"
    path.write_bytes(content)
    assert _healthz_of(f"sqlite:///{path}") == (503, UNAVAILABLE)


def test_a_missing_sqlite_file_is_a_503(tmp_path):
    # SQLite creates the missing file: an empty database, which answers SELECT 1 and holds nothing.
    assert _healthz_of(f"sqlite:///{tmp_path / 'gone.sqlite3'}") == (503, UNAVAILABLE)


def test_a_dropped_postgresql_database_is_a_503():
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("the PostgreSQL leg checks a dropped PostgreSQL database")
    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/dropped_{uuid.uuid4().hex[:12]}"
    assert _healthz_of(url) == (503, UNAVAILABLE)


@pytest.mark.django_db
def test_a_missing_table_is_a_503(client):
    # Inside the test's transaction (DDL is transactional on SQLite and PostgreSQL): undone afterwards.
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE commitments_publicdataversion")
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json() == UNAVAILABLE


@pytest.mark.django_db
def test_a_migrated_database_is_healthy(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok", "database": "ok", "cache": "ok"}
