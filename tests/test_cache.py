"""The public page cache: hits are cheap, and a reader never sees stale data after a change."""

import os
import socket
from datetime import date

import pytest
from django.urls import reverse

from commitments import cache as page_cache
from commitments import services

from . import factories as f

pytestmark = [pytest.mark.django_db, pytest.mark.page_cache]

REDIS = "redis://127.0.0.1:6379/15"


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
    services.publish_status_update(update=draft, user=f.publisher())
    assert "Deploy an expert" in client.get("/commitments/?status=achieved").content.decode()
    overview = client.get("/").content.decode()
    assert "Recently assessed" in overview and "Deploy an expert" in overview


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
    services.set_commitment_state(commitment=c, state="archived", user=f.publisher())
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
