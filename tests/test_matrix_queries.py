"""The compliance matrix reads its cells in a constant number of queries, however many rows it shows
(``MATRIX_QUERIES`` in ``test_matrix``). Its own module: the larger data is built once here."""

from __future__ import annotations

import copy
from datetime import date

import pytest

from commitments import catalogue, facet_index
from commitments.models import Commitment, Theme

from . import factories as f
from .conftest import built_once
from .test_matrix import MATRIX, MATRIX_QUERIES, PER_COUNTRY, build

pytestmark = pytest.mark.django_db


def build_sized(extra: int) -> dict:
    """The matrix's data and ``extra`` more rows (60: more than a page of 50), each filed under every
    country, every other one assessed per country."""
    w = build()
    for i in range(extra):
        c = f.commitment(slug=f"more-{i:02d}", title=f"More {i:02d}", date_made=date(2019, 5, 15),
                         assessment_scope=PER_COUNTRY if i % 2 else Commitment.Scope.REGIONAL)
        c.countries.set([w["kz"], w["kg"], w["tj"], w["uz"]])
        c.themes.set([Theme.objects.get(slug="returnees")])
        f.update(c, status="achieved", as_of=date(2020, 1, 1), published=True, evidence=1,
                 country=w["kz"] if i % 2 else None)
    return w


@pytest.fixture(scope="module")
def sized(request, django_db_setup, django_db_blocker):
    with built_once(django_db_blocker, lambda: build_sized(request.param)) as made:
        yield made


@pytest.fixture
def w(sized, db) -> dict:
    return copy.deepcopy(sized)


@pytest.fixture
def index_not_built_after_responses():
    facet_index.disconnect()
    yield
    facet_index.connect()


@pytest.mark.parametrize("index", ["current", "out of date"])
@pytest.mark.parametrize("sized", [0, 60], indirect=True)
@pytest.mark.parametrize("query", ["", "?as_of=2021-01-15", "?theme=returnees&country=kz&status=achieved",
                                   "?country=kz&country=tj&sort=-updated"])
def test_the_matrix_reads_its_cells_in_a_constant_number_of_queries(client, django_assert_num_queries, w, sized,
                                                                    query, index, synthetic_flag_cached,
                                                                    index_not_built_after_responses):
    extra = Commitment.objects.filter(slug__startswith="more-").count()
    if index == "current":
        facet_index.refresh()
    else:
        facet_index.clear()
    catalogue.load()  # kept, as after the first page since the last change
    # Out of date, the index is asked (its version) before the COUNT; ``as_of`` never asks it.
    expected = MATRIX_QUERIES + (index == "out of date" and "as_of" not in query)
    with django_assert_num_queries(expected):
        response = client.get(f"{MATRIX}{query}")
    assert response.status_code == 200
    rows = response.context["rows"]
    assert len(rows) >= (1 if not extra else 50)
    assert any(cell.status for _, row in rows for _, cell in row)  # the cells were really read
