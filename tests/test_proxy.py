"""Behind the reverse proxy: the client's address (``PROXY_COUNT``), the sign-in lockout that uses it,
the log that records it, and the request id a proxy may pass on."""

import logging

import pytest
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import path

from . import factories as f

LOGIN = "/admin/login/?next=/admin/"
PROXY = "127.0.0.1"  # nginx on the same machine: the peer of every request that comes through it
ATTACKER, COLLEAGUE = "198.51.100.66", "203.0.113.10"
LOCKED = "Too many failed sign-in attempts"


def _logs_a_line(request):
    logging.getLogger("tests.proxy").warning("looked something up")
    return HttpResponse("ok")


urlpatterns = [path("logs/", _logs_a_line)]  # a urlconf for the log test (this module)


def via_proxy(client_address: str) -> Client:
    """A browser at ``client_address`` reaching the app through nginx, which appended that address."""
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=client_address)


def fail(client: Client, username: str, times: int = 1) -> None:
    for _ in range(times):
        response = client.post(LOGIN, {"username": username, "password": "wrong"})
        assert response.status_code in (200, 429)


def sign_in(client: Client, username: str):
    return client.post(LOGIN, {"username": username, "password": "pw-for-tests-only"})


@pytest.fixture
def limit(settings):
    """The default limit of five failures, and a fast hasher: these tests make many sign-in attempts."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AXES_FAILURE_LIMIT = 5
    return 5


# --- the sign-in lockout ----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("proxy_count", "browser_at"),
    [(1, via_proxy), (0, lambda address: Client(REMOTE_ADDR=address))],
    ids=["behind-the-proxy", "direct"],
)
def test_wrong_passwords_for_admin_from_one_address_do_not_lock_admin_out_elsewhere(
    settings, limit, proxy_count, browser_at
):
    settings.PROXY_COUNT = proxy_count
    f.editor(username="admin")
    attacker, admin = browser_at(ATTACKER), browser_at(COLLEAGUE)
    fail(attacker, "admin", times=limit + 2)
    assert LOCKED in sign_in(attacker, "admin").content.decode()  # the attacker's pair is locked...
    response = sign_in(admin, "admin")  # ...the real admin, elsewhere, is not
    assert response.status_code == 302 and response["Location"] == "/admin/"


@pytest.mark.django_db
def test_made_up_usernames_at_the_proxy_do_not_lock_a_colleague_out(settings, limit):
    settings.PROXY_COUNT = 1
    f.editor(username="dana")
    attacker = via_proxy(ATTACKER)
    for n in range(limit * 2):
        fail(attacker, f"nobody-{n}")
    response = sign_in(via_proxy(COLLEAGUE), "dana")
    assert response.status_code == 302 and response["Location"] == "/admin/"


@pytest.mark.django_db
def test_the_same_account_from_the_same_address_is_locked_after_the_limit(settings, limit):
    settings.PROXY_COUNT = 1
    f.editor(username="ayla")
    # The client writes what it likes left of the address nginx appends; only the appended one counts.
    for n in range(limit):
        fail(Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"10.9.8.{n}, {ATTACKER}"), "ayla")
    locked = sign_in(via_proxy(f"192.0.2.1, {ATTACKER}"), "ayla")
    assert locked.status_code == 429 and LOCKED in locked.content.decode()
    assert sign_in(via_proxy(COLLEAGUE), "ayla").status_code == 302


@pytest.mark.django_db
def test_without_a_trusted_proxy_a_forged_x_forwarded_for_is_ignored(settings, limit):
    settings.PROXY_COUNT = 0
    f.editor(username="bo")
    for n in range(limit):
        fail(Client(REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}"), "bo")
    locked = sign_in(Client(REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=COLLEAGUE), "bo")
    assert locked.status_code == 429 and LOCKED in locked.content.decode()


# --- the log ------------------------------------------------------------------------------------


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
@pytest.mark.parametrize(
    ("proxy_count", "expected"), [(1, ATTACKER), (0, PROXY)], ids=["behind-the-proxy", "no-proxy"]
)
def test_log_lines_carry_the_client_address(caplog, settings, proxy_count, expected):
    from commitments.middleware import RequestIdFilter

    settings.PROXY_COUNT = proxy_count
    caplog.handler.addFilter(RequestIdFilter())  # the filter the console handler uses (settings.LOGGING)
    with caplog.at_level(logging.WARNING, logger="tests.proxy"):
        via_proxy(f"192.0.2.1, {ATTACKER}").get("/logs/")
    [record] = [r for r in caplog.records if r.name == "tests.proxy"]
    assert record.client_ip == expected
    assert "%(client_ip)s" in settings.LOGGING["formatters"]["plain"]["format"]


# --- the request id -----------------------------------------------------------------------------

NGINX_ID = "5f0c6e1d9b3a4c2e8f7a6b5c4d3e2f1a"  # nginx's $request_id: 32 hex digits
UUID_ID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"


@pytest.mark.django_db
@pytest.mark.parametrize("incoming", [NGINX_ID, UUID_ID, NGINX_ID.upper()])
def test_the_trusted_proxys_request_id_is_kept(client, settings, incoming):
    settings.PROXY_COUNT = 1
    assert client.get("/healthz", HTTP_X_REQUEST_ID=incoming)["X-Request-ID"] == incoming


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("proxy_count", "incoming"),
    [
        (0, NGINX_ID),  # no trusted proxy: the client chose it
        (0, UUID_ID),
        (1, "abc12345-proxy"),
        (1, "req-12345678"),
        (1, "<script>x</script>"),
        (1, NGINX_ID + "0"),
        (1, NGINX_ID[:-1] + "g"),
        (1, "3fa85f6457174562b3fc-2c963f66afa6"),
    ],
)
def test_any_other_request_id_is_replaced_by_a_new_one(client, settings, proxy_count, incoming):
    settings.PROXY_COUNT = proxy_count
    first = client.get("/healthz", HTTP_X_REQUEST_ID=incoming)["X-Request-ID"]
    second = client.get("/healthz", HTTP_X_REQUEST_ID=incoming)["X-Request-ID"]
    assert first != incoming and len(first) == 32 and int(first, 16) >= 0
    assert second != first
