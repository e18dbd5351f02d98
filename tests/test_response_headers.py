"""Headers every response carries: Permissions-Policy, and a Cache-Control that fits who may keep it."""

import pytest

from . import factories as f

pytestmark = pytest.mark.django_db

DENIED = ["camera", "microphone", "geolocation", "payment", "usb", "interest-cohort", "browsing-topics"]


def assert_features_denied(response):
    policy = {item.strip() for item in response["Permissions-Policy"].split(",")}
    for feature in DENIED:
        assert f"{feature}=()" in policy


@pytest.fixture
def published(db):
    c = f.commitment(title="Deploy an expert")
    f.update(c, published=True)
    return c


@pytest.mark.page_cache
def test_public_pages_may_be_kept_a_minute_by_any_cache(client, published):
    for url in ["/", "/", "/commitments/", published.get_absolute_url(), "/reports/", "/feeds/updates.atom"]:
        response = client.get(url)  # "/" twice: the second comes from the page cache
        assert response.status_code == 200
        assert response["Cache-Control"] == "public, max-age=60", url
        assert_features_denied(response)


def test_with_the_page_cache_off_browsers_keep_no_public_page(client, settings, published):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0
    assert client.get("/commitments/")["Cache-Control"] == "public, max-age=0"


@pytest.mark.page_cache
def test_a_signed_in_persons_pages_are_private(client, published):
    client.force_login(f.editor())
    for url in ["/", "/commitments/", published.get_absolute_url()]:
        response = client.get(url)
        assert response.status_code == 200
        assert response["Cache-Control"] == "private", url
        assert_features_denied(response)


def test_the_admin_is_never_stored(client):
    for url in ["/admin/login/", "/admin/no-such-page/"]:  # anonymous: the sign-in form, a redirect to it
        response = client.get(url)
        assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"], url
        assert_features_denied(response)
    client.force_login(f.editor())
    for url in ["/admin/", "/admin/commitments/commitment/", "/admin/no-such-page/"]:
        response = client.get(url)
        assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"], url
        assert_features_denied(response)


def test_errors_and_form_posts_are_private(client):
    assert client.get("/no-such-page/").status_code == 404
    assert client.get("/no-such-page/")["Cache-Control"] == "private"
    bad = client.get("/commitments/?due_after=31-12-2020")
    assert bad.status_code == 400 and bad["Cache-Control"] == "private"
    post = client.post("/admin/login/", {"username": "x", "password": "y"})
    assert "public" not in post["Cache-Control"]


def test_a_views_own_cache_control_is_kept(client):
    response = client.get("/healthz")  # never_cache
    assert "no-cache" in response["Cache-Control"] and "public" not in response["Cache-Control"]
    assert_features_denied(response)


@pytest.mark.page_cache
def test_a_pages_address_says_its_language_so_pages_do_not_vary_on_accept_language(client, published):
    """English at the unprefixed address, Russian under /ru/, whatever the browser asks: a shared cache keeps
    one copy of each page, not one for each Accept-Language a reader sends (commitments/locale_middleware.py)."""
    for url in ["/", "/commitments/", published.get_absolute_url(), "/feeds/updates.atom", "/ru/", "/ru/commitments/"]:
        for accept in ["ru", "en-GB,en;q=0.8", "kk"]:
            response = client.get(url, headers={"Accept-Language": accept})
            assert response.status_code == 200
            assert "accept-language" not in response.get("Vary", "").lower(), (url, accept)
            assert response["Content-Language"] == ("ru" if url.startswith("/ru/") else "en"), (url, accept)
    # The API has one address for every language and reads the header: it varies on it.
    assert "accept-language" in client.get("/api/v1/commitments/")["Vary"].lower()
