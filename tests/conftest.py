import pytest


@pytest.fixture(autouse=True)
def _page_cache(request, settings):
    """Pages are not cached in tests (they inspect each response's context), except in tests
    marked ``page_cache``; the cache is emptied either way so no test sees another's pages."""
    from django.core.cache import cache

    cache.clear()
    if request.node.get_closest_marker("page_cache") is None:
        settings.PUBLIC_PAGE_CACHE_SECONDS = 0


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    # Uploaded evidence documents go to a throwaway folder.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def catalogue(db):
    """The small public catalogue of ``factories.catalogue()`` (five public commitments and hidden ones)."""
    from . import factories

    return factories.catalogue()
