"""The public page cache: hits are cheap, and a reader never sees stale data after a change."""

import logging
import os
import socket
from datetime import date

import pytest
from django.urls import reverse

from commitments import cache as page_cache
from commitments import services, soft_cache

from . import factories as f

pytestmark = [pytest.mark.django_db, pytest.mark.page_cache]

# Parallel runs use one Redis database each: pytest-xdist's workers (gw0, gw1, …) count down from 15.
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
REDIS = os.environ.get("TEST_REDIS_URL", f"redis://127.0.0.1:6379/{15 - _WORKER}")


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


@pytest.fixture(params=["locmem", "redis"])
def backend(request, settings):
    if request.param == "redis":
        if not _redis_up():
            if os.environ.get("REQUIRE_REDIS"):
                pytest.fail("REQUIRE_REDIS is set but Redis at 127.0.0.1:6379 does not answer")
            pytest.skip("Redis not running at 127.0.0.1:6379")
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS}}
    from django.core.cache import cache

    cache.clear()
    yield request.param
    cache.clear()


@pytest.mark.parametrize("url", ["/", "/commitments/", "/commitments/?theme=t&status=in_progress"])
def test_a_cache_hit_costs_one_query(client, backend, django_assert_num_queries, url):
    c = f.commitment()
    c.themes.add(f.theme(slug="t"))
    f.update(c, published=True)
    first = client.get(url)
    with django_assert_num_queries(1):  # the public data version
        second = client.get(url)
    assert second.status_code == 200 and second.content == first.content


def test_publishing_an_update_is_seen_at_once(client, backend):
    c = f.commitment(title="Deploy an expert")
    draft = f.update(c, status="achieved", as_of=date(2024, 1, 1))
    assert "Deploy an expert" not in client.get("/commitments/?status=achieved").content.decode()
    client.get("/")  # both pages are cached now
    services.publish_status_update(update=draft, user=f.publisher(), reason=f.REASON)
    assert "Deploy an expert" in client.get("/commitments/?status=achieved").content.decode()
    overview = client.get("/").content.decode()
    assert "Recently assessed" in overview and "Deploy an expert" in overview


def test_a_withdrawal_is_seen_at_once(client, backend):
    c = f.commitment(title="Deploy an expert")
    u = f.update(c, status="achieved", as_of=date(2024, 1, 1), published=True)
    assert "Deploy an expert" in client.get("/commitments/?status=achieved").content.decode()
    from .test_public_pages import text

    assert "Achieved: 1" in text(client.get("/").content.decode())  # cached now
    services.withdraw_status_update(update=u, user=f.publisher(), reason="Published in error.")
    assert "Deploy an expert" not in client.get("/commitments/?status=achieved").content.decode()
    assert "Achieved: 0" in text(client.get("/").content.decode())


def test_edits_in_the_admin_are_seen_at_once(client, backend):
    c = f.commitment(title="Old wording")
    assert "Old wording" in client.get("/commitments/").content.decode()
    c.title = "New wording"
    c.save()
    body = client.get("/commitments/").content.decode()
    assert "New wording" in body and "Old wording" not in body
    c.themes.add(f.theme(name="Border management"))
    assert "Border management" in client.get("/commitments/").content.decode()


def test_archiving_removes_a_commitment_from_cached_pages(client, backend):
    c = f.commitment(title="Soon archived")
    assert "Soon archived" in client.get("/commitments/").content.decode()
    services.set_commitment_state(commitment=c, state="archived", user=f.publisher(), reason=f.REASON)
    assert "Soon archived" not in client.get("/commitments/").content.decode()


def test_staff_never_get_a_cached_page(client, backend, django_assert_max_num_queries):
    f.commitment()
    client.force_login(f.editor())
    client.get("/commitments/")
    with django_assert_max_num_queries(30) as captured:
        client.get("/commitments/")
    assert len(captured) > 1


def test_bad_requests_are_not_cached(client, backend):
    assert client.get("/commitments/?status=nope").status_code == 400
    assert client.get("/commitments/?status=nope").status_code == 400


def test_bump_changes_the_version():
    before = page_cache.current_version()
    page_cache.bump()
    assert page_cache.current_version() != before
    assert reverse("commitments:home") == "/"


# --- a cache outage is not a site outage -----------------------------------------------------

# Redis at a port where nothing listens: every cache call fails as it does when Redis is down.
CACHE_DOWN = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}


@pytest.fixture
def cache_down(settings, monkeypatch):
    # Changing CACHES makes Django drop its cache connections (``setting_changed``), so the
    # next call connects to the closed port; the test settings put the default back afterwards.
    # The outage a test sees is its own (the process's record of it is put back afterwards too).
    monkeypatch.setattr(soft_cache, "outage", soft_cache._Outage())
    settings.CACHES = CACHE_DOWN


def test_pages_answer_from_the_database_when_the_cache_is_down(client, cache_down, caplog):
    c = f.commitment(title="Deploy an expert", is_synthetic=True)
    c.themes.add(f.theme(slug="t"))
    f.update(c, published=True)
    urls = ["/", "/commitments/", f"/commitments/{c.slug}/", "/commitments/?theme=t", "/themes/t/", "/reports/", "/"]
    with caplog.at_level(logging.INFO):
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            body = response.content.decode()
            assert "Deploy an expert" in body or url == "/reports/", url
            assert "demo data" in body.lower(), url  # the context processor asked the database
    problems = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(problems) == 1, [r.getMessage() for r in problems]  # one warning, not one per request
    assert "cache" in problems[0].getMessage().lower() and "127.0.0.1:1" in problems[0].getMessage()
    assert problems[0].exc_info is None  # a line, not a traceback


def test_healthz_says_the_cache_is_degraded_but_the_site_works(client, cache_down):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": "ok", "cache": "degraded"}


def test_the_cache_is_left_alone_for_a_while_then_used_again(client, cache_down, settings, caplog, monkeypatch,
                                                            django_assert_num_queries, django_assert_max_num_queries):
    f.commitment(title="Deploy an expert")
    now = [1000.0]
    monkeypatch.setattr(soft_cache, "_now", lambda: now[0])
    with caplog.at_level(logging.INFO, logger="commitments.soft_cache"):
        assert client.get("/commitments/").status_code == 200  # the outage begins
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}  # Redis is back
        now[0] += soft_cache.RETRY_SECONDS - 1
        for _ in range(2):  # not tried yet: no connection attempt per request, every page built afresh
            with django_assert_max_num_queries(30) as captured:
                assert client.get("/commitments/").status_code == 200
            assert len(captured) > 1
        now[0] += 2
        first = client.get("/commitments/")  # tried again: it answers, the page is stored
        with django_assert_num_queries(1):
            second = client.get("/commitments/")
    assert second.status_code == 200 and second.content == first.content
    assert [r.levelname for r in caplog.records] == ["WARNING", "INFO"]
    assert caplog.records[1].getMessage() == "Cache available again"
    assert client.get("/healthz").json() == {"status": "ok", "database": "ok", "cache": "ok"}
