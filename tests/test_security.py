"""Security by default: headers and CSP, production settings, login throttling, health check,
error pages with request ids."""

import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client, override_settings
from django.urls import path

from . import factories as f

ROOT = Path(__file__).resolve().parent.parent


def _boom(request):
    raise RuntimeError("kaboom for the test")


urlpatterns = [path("boom/", _boom)]  # a urlconf for the 500 test (this module)
handler500 = "commitments.views.handler500"


# --- headers ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/commitments/", "/healthz", "/reports/"])
def test_public_pages_send_strict_security_headers(client, url):
    f.commitment()
    response = client.get(url)
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert len(response["X-Request-ID"]) >= 8


@pytest.mark.django_db
def test_public_html_has_no_inline_script_or_style(client):
    c = f.commitment()
    f.update(c, published=True)
    for url in ["/", "/commitments/", c.get_absolute_url()]:
        html = client.get(url).content.decode()
        assert "<script" not in html and " style=" not in html and "<style" not in html


@pytest.mark.django_db
def test_admin_csp_allows_inline_styles_only(client):
    client.force_login(f.editor())
    csp = client.get("/admin/commitments/commitment/")["Content-Security-Policy"]
    assert "style-src 'self' 'unsafe-inline'" in csp
    assert "script-src 'self';" in csp + ";" and "unsafe-eval" not in csp


@pytest.mark.django_db
def test_a_well_formed_request_id_from_the_proxy_is_kept_and_a_bad_one_replaced(client, settings):
    settings.PROXY_COUNT = 1  # only a trusted proxy's id is kept (tests/test_proxy.py)
    nginx_id = "0123456789abcdef0123456789abcdef"
    assert client.get("/healthz", HTTP_X_REQUEST_ID=nginx_id)["X-Request-ID"] == nginx_id
    replaced = client.get("/healthz", HTTP_X_REQUEST_ID="<script>x</script>")["X-Request-ID"]
    assert "<" not in replaced and len(replaced) == 32


# --- production settings ------------------------------------------------------------------


def _django(env: dict, *args: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "ALLOWED_HOSTS", "DEBUG", "DJANGO_ENV")}
    return subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean | env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "needs SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "needs SECRET_KEY"),
        ({"SECRET_KEY": secrets.token_urlsafe(60)}, "needs ALLOWED_HOSTS"),
        ({"SECRET_KEY": secrets.token_urlsafe(60), "ALLOWED_HOSTS": "tracker.example", "DEBUG": "1"}, "DEBUG"),
    ],
)
def test_production_refuses_to_start_without_real_settings(env, message):
    result = _django({"DJANGO_ENV": "production", **env}, "check")
    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.parametrize("value", ["Production", "prod", "staging", ""])
def test_an_unknown_django_env_refuses_to_start_with_one_line(value):
    # Before: anything but "production" ran development mode (DEBUG on, the public local key).
    env = {"DJANGO_ENV": value, "SECRET_KEY": secrets.token_urlsafe(60), "ALLOWED_HOSTS": "tracker.example"}
    result = _django(env, "check")
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr  # no traceback
    assert f"DJANGO_ENV={value!r} is not allowed" in lines[0] and "development, production" in lines[0]


@pytest.mark.parametrize("name", ["PROXY_COUNT", "MAX_UPLOAD_MB", "CONN_MAX_AGE", "DEBUG"])
def test_a_setting_that_is_not_a_number_or_a_boolean_refuses_to_start_with_one_line(name):
    result = _django({name: "abc"}, "check")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr  # no traceback
    assert f"{name}='abc' is not a valid value" in lines[0]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SECRET_KEY": "abcde" * 12, "ALLOWED_HOSTS": "tracker.example"}, "at least 20 different"),
        ({"SECRET_KEY": secrets.token_urlsafe(60), "ALLOWED_HOSTS": "*"}, "refuses a wildcard in ALLOWED_HOSTS"),
        ({"SECRET_KEY": secrets.token_urlsafe(60), "ALLOWED_HOSTS": "tracker.example,*"}, "wildcard"),
    ],
)
def test_production_refuses_a_guessable_key_and_any_host(env, message):
    result = _django({"DJANGO_ENV": "production", **env}, "check")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr


def test_production_settings_pass_the_deployment_checklist():
    env = {"DJANGO_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(60), "ALLOWED_HOSTS": "tracker.example"}
    result = _django(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


# --- login throttling ---------------------------------------------------------------------


@pytest.mark.django_db
def test_repeated_failed_logins_lock_the_account_at_that_address(settings):
    """The pair (account, address) is locked; tests/test_proxy.py shows who else is not."""
    settings.AXES_FAILURE_LIMIT = 3
    f.editor(username="ayla")
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(3):
        response = client.post("/admin/login/?next=/admin/", {"username": "ayla", "password": "wrong"})
        assert response.status_code in (200, 429)
    locked = client.post("/admin/login/?next=/admin/", {"username": "ayla", "password": "pw-for-tests-only"})
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.content.decode()


@pytest.mark.django_db
def test_a_correct_login_before_the_limit_works_and_resets(settings):
    settings.AXES_FAILURE_LIMIT = 3
    f.editor(username="cem")
    client = Client(REMOTE_ADDR="203.0.113.8")
    client.post("/admin/login/?next=/admin/", {"username": "cem", "password": "wrong"})
    ok = client.post("/admin/login/?next=/admin/", {"username": "cem", "password": "pw-for-tests-only"})
    assert ok.status_code == 302 and ok["Location"] == "/admin/"


# --- health check and error pages ---------------------------------------------------------


@pytest.mark.django_db
def test_healthz_says_ok_and_nothing_else(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_is_503_when_the_database_does_not_answer(client):
    with mock.patch("django.db.connection.cursor", side_effect=OperationalError("down")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unavailable", "cache": "ok"}


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
def test_server_errors_show_a_friendly_page_and_log_the_request_id(caplog, settings):
    from commitments.middleware import RequestIdFilter

    settings.PROXY_COUNT = 1  # the id nginx set
    request_id = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
    caplog.handler.addFilter(RequestIdFilter())  # the filter the console handler uses (settings.LOGGING)
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.get("/boom/", HTTP_X_REQUEST_ID=request_id)
    body = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in body and request_id in body and "kaboom" not in body
    errors = [r for r in caplog.records if r.name == "django.request" and r.levelno == logging.ERROR]
    assert errors and errors[0].request_id == request_id and "kaboom" in str(errors[0].exc_info[1])
    assert settings.LOGGING["handlers"]["console"]["filters"] == ["request_id"]


@pytest.mark.django_db
def test_friendly_403_404_and_400_pages(client):
    client.force_login(f.editor())
    forbidden = client.post("/admin/commitments/commitment/1/delete/", {"post": "yes"})
    assert forbidden.status_code in (403, 302, 404)
    assert "Not found" in client.get("/no-such-page/").content.decode()
    bad = client.get("/commitments/?due_after=31-12-2020")
    assert bad.status_code == 400 and "Enter a date as YYYY-MM-DD" in bad.content.decode()


# --- database connections -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_worker_keeps_its_database_connection_between_requests():
    """Each request's start and end ask Django to close old connections; a kept one (CONN_MAX_AGE)
    saves PostgreSQL's start-up and cold catalog caches on every page. (The test client skips that
    step, so this calls it as a WSGI server's request would.)"""
    from django.db import close_old_connections, connection

    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("Django never closes the in-memory SQLite test database; the PostgreSQL leg checks this")
    connection.close()  # a fresh connection: an earlier test may have left this one unusable
    connection.ensure_connection()
    first = connection.connection
    close_old_connections()
    assert connection.connection is first
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True  # a dropped connection is replaced
