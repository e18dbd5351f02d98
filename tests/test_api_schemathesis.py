"""Schemathesis reads the served OpenAPI document (/api/v1/openapi.json) and fuzzes every operation of the API
through the WSGI application: a bounded number of generated requests each (valid and invalid parameters),
every response checked for no server error, a documented status code and content type, and a body that
matches the documented schema. Zero failures on SQLite and PostgreSQL.

The data is ``factories.catalogue()`` (public and hidden commitments, updates, a withdrawal, a report), built
once for the module; the API only reads, so every example sees the same rows.
"""

from __future__ import annotations

from datetime import date

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from commitments import services
from commitments.reports.periods import parse_period

from . import factories
from .conftest import built_once

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 20  # per operation, for each of the 14 operations: about 30 s on SQLite, 45 s on PostgreSQL


def build():
    ns = factories.catalogue()
    withdrawn = factories.update(ns.financing, status="in_progress", as_of=date(2022, 2, 1), published=True)
    services.withdraw_status_update(update=withdrawn, user=None, reason="Wrong document cited.")
    report, _ = services.prepare_report(period=parse_period("2025-Q3"))
    services.publish_report(report=report, user=None)
    return ns


@pytest.fixture(scope="module")
def shared(django_db_setup, django_db_blocker):
    with built_once(django_db_blocker, build) as ns:
        yield ns


@pytest.fixture
def api_schema(request, shared, db, settings):
    from tracker.wsgi import application

    if not hasattr(request.node, "_nodeid"):
        # Schemathesis 4.32 renames the test per operation through ``_nodeid``, which pytest 9.2 no longer
        # has (``_id``): give it the attribute (the names in the report stay the test's own).
        request.node._nodeid = request.node.nodeid
    settings.API_RATE_LIMIT = ""  # hundreds of requests from one address
    # As Django's test client does: a request's end must not close the test's connection (and its transaction).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    request.addfinalizer(lambda: request_started.connect(close_old_connections))
    request.addfinalizer(lambda: request_finished.connect(close_old_connections))
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_every_operation_answers_as_documented(case):
    # Schemathesis' WSGI transport asks for gzip but does not unzip it (a real HTTP client would).
    case.call_and_validate(checks=CHECKS, headers={"Accept-Encoding": "identity"})
