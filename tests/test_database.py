"""Guards the CI legs: the suite really runs on the database CI asked for."""

import os

import pytest
from django.db import connection


@pytest.mark.django_db
def test_suite_runs_on_the_expected_database():
    expected = os.environ.get("EXPECT_DATABASE_VENDOR", "sqlite" if "DATABASE_URL" not in os.environ else None)
    if expected is None:
        pytest.skip("DATABASE_URL set without EXPECT_DATABASE_VENDOR")
    assert connection.vendor == expected
