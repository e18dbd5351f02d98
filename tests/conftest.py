import hashlib
from contextlib import contextmanager

import pytest


def pytest_configure(config):
    """Compile the translation catalogs once (in the controller, not in each xdist worker): the tests read
    the .mo files Django loads, and a fresh clone has only the .po files."""
    if not hasattr(config, "workerinput"):
        from commitments.message_catalogs import compile_catalogs

        compile_catalogs()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts (and ends) in the default language: a test-client request to /ru/ runs the view in the
    test's thread and leaves Russian active, and a later ``reverse`` would give /ru/ addresses."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _page_cache(request, settings):
    """Pages are not cached in tests (they inspect each response's context), except in tests
    marked ``page_cache``; the cache is emptied either way so no test sees another's pages."""
    from django.core.cache import cache

    cache.clear()
    if request.node.get_closest_marker("page_cache") is None:
        settings.PUBLIC_PAGE_CACHE_SECONDS = 0


@pytest.fixture(autouse=True)
def _fresh_facet_index():
    """Each test starts without this process's facet index (nor its catalogue of public entries): shared data
    keeps one version token across tests, so an index built from rows a test wrote (and rolled back) could
    otherwise outlive them."""
    from commitments import catalogue, facet_index

    facet_index.clear()
    catalogue.forget()  # kept by data version too, which rolled-back rows do not change


@pytest.fixture(autouse=True)
def _streamed_responses_are_closed(request, monkeypatch):
    """Close every streamed response a test got, at its end, as a server closes each response.

    The test client closes one only when its content is read to the end; one left unread would keep
    its export's database cursor open until the garbage collector found it, at any later moment (in
    another test, or while the connection is busy). Kept here until the end of the test, then closed
    while its database transaction still exists (so set up after the database fixture).
    """
    if "_django_db_helper" in request.fixturenames:
        request.getfixturevalue("_django_db_helper")
    from django.test import Client

    streamed = []
    get_response = Client.request

    def request_and_keep(self, **kwargs):
        response = get_response(self, **kwargs)
        if getattr(response, "streaming", False):
            streamed.append(response)
        return response

    monkeypatch.setattr(Client, "request", request_and_keep)
    yield
    for response in streamed:
        close_as_the_test_client_does(response)


def close_as_the_test_client_does(response) -> None:
    """``response.close()`` without closing the test's database connection (as Django's test client
    does, since closing it would end the test's transaction)."""
    from django.core.signals import request_finished
    from django.db import close_old_connections

    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    # Uploaded evidence documents go to a throwaway folder.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def pdf_renders(request, monkeypatch):
    """Each typesetting of a report PDF, by its base URL: tests count renderings with it.

    WeasyPrint takes a second or more per report, so a stand-in typesets instead (the template is
    still rendered), except in tests marked ``real_pdf``."""
    from commitments.reports import render as report_render

    renders: list[str] = []
    real = report_render._typeset

    def typeset(html: str, *, base_url: str) -> bytes:
        renders.append(base_url)
        if request.node.get_closest_marker("real_pdf") is not None:
            return real(html, base_url=base_url)
        digest = hashlib.sha256(html.encode()).hexdigest().encode()
        return b"%PDF-1.7\n% stand-in for WeasyPrint " + digest + b"\n%%EOF\n"

    monkeypatch.setattr(report_render, "_typeset", typeset)
    return renders


@pytest.fixture
def catalogue(db):
    """The small public catalogue of ``factories.catalogue()`` (five public commitments and hidden ones)."""
    from . import factories

    return factories.catalogue()


@contextmanager
def built_once(django_db_blocker, build):
    """Run ``build()`` once for a module or class, inside a transaction rolled back at its end.

    Like Django's ``setUpTestData``: each test still runs in its own savepoint within it (the ``db``
    fixture), so what a test writes is undone after it, and the shared rows are undone after the
    last test of the scope. Only for scopes whose every test uses the data (a test of the same
    module that does not ask for it would still see the rows).
    """
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        yield build()
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def shared_catalogue(django_db_setup, django_db_blocker):
    """``factories.catalogue()`` built once per module (see ``built_once``)."""
    from . import factories

    with built_once(django_db_blocker, factories.catalogue) as ns:
        yield ns


@pytest.fixture
def synthetic_flag_cached():
    """Production answers "is this demo data?" from the cache almost always; count pages that way."""
    from django.core.cache import cache

    from commitments.context_processors import SYNTHETIC_KEY

    cache.set(SYNTHETIC_KEY, False)
