"""The compliance matrix (``/countries/matrix/``, ``/countries/matrix.csv``): each cell the status in that
country by the rule of ``country_status`` (never another country's, never the overall one of a per-country
commitment), linking to the update that gives it; the list's filters; its counts are the list's counts."""

from __future__ import annotations

import copy
import csv
import io
from datetime import date

import pytest

from commitments import catalogue, facet_index, services
from commitments.models import Commitment, Theme

from . import factories as f
from .conftest import built_once

pytestmark = pytest.mark.django_db

PER_COUNTRY = Commitment.Scope.PER_COUNTRY
MATRIX, CSV_URL = "/countries/matrix/", "/countries/matrix.csv"


def build() -> dict:
    """Four countries. Returnees (per country: KZ in progress then achieved, KG in progress, a draft and a withdrawn
    KG update that never count, TJ nothing; overall in progress), a CT expert (regional: in progress, then
    achieved), a silent per-country commitment (overall "not started", no country update), an exchange in
    Uzbekistan only with no update, a title a spreadsheet would run, and a draft commitment that never shows."""
    kz, kg = f.country("kz", "Kazakhstan"), f.country("kg", "Kyrgyzstan")
    tj, uz = f.country("tj", "Tajikistan"), f.country("uz", "Uzbekistan")
    returnees_theme, other_theme = f.theme(slug="returnees", name="Returnees"), f.theme(slug="other", name="Other")
    d = {"kz": kz, "kg": kg, "tj": tj, "uz": uz}
    returnees = f.commitment(slug="returnees", title="Reintegrate returnee families", assessment_scope=PER_COUNTRY,
                             due_date=date(2021, 12, 31))
    returnees.countries.set([kz, kg, tj])
    returnees.themes.set([returnees_theme])
    d["returnees_overall"] = f.update(returnees, status="in_progress", as_of=date(2020, 1, 1), published=True)
    d["returnees_kz1"] = f.update(returnees, status="in_progress", as_of=date(2020, 1, 1), published=True, country=kz)
    d["returnees_kz2"] = f.update(returnees, status="achieved", as_of=date(2021, 3, 1), published=True, country=kz)
    d["returnees_kg"] = f.update(returnees, status="in_progress", as_of=date(2020, 6, 30), published=True, country=kg)
    wrong = f.update(returnees, status="stalled", as_of=date(2021, 1, 1), published=True, country=kg)
    services.withdraw_status_update(update=wrong, user=None, reason="Published in error.")
    f.update(returnees, status="abandoned", as_of=date(2022, 1, 1), country=kg)  # a draft: never counts
    expert = f.commitment(slug="expert", title="Deploy a CT expert", due_date=date(2020, 12, 31))
    expert.countries.set([kz, kg, tj])
    expert.themes.set([returnees_theme])
    d["expert_u1"] = f.update(expert, status="in_progress", as_of=date(2020, 6, 30), published=True)
    d["expert_u2"] = f.update(expert, status="achieved", as_of=date(2022, 3, 1), published=True)
    silent = f.commitment(slug="silent", title="Exchange good practice", assessment_scope=PER_COUNTRY)
    silent.countries.set([kz, tj])
    silent.themes.set([other_theme])
    f.update(silent, status="not_started", as_of=date(2019, 9, 1), published=True)
    exchange = f.commitment(slug="exchange", title="Open a dialogue in Uzbekistan", date_made=date(2021, 6, 1))
    exchange.countries.set([uz])
    exchange.themes.set([other_theme])
    formula = f.commitment(slug="formula", title='=HYPERLINK("https://evil.example","click")')
    formula.countries.set([kg])
    d["formula_u"] = f.update(formula, status="stalled", as_of=date(2021, 5, 1), published=True)
    draft = f.commitment(slug="draft", title="DRAFTMATRIXTITLE", state=Commitment.State.DRAFT)
    draft.countries.set([kz])
    return d


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker):
    with built_once(django_db_blocker, build) as made:
        yield made


@pytest.fixture
def w(built, db) -> dict:
    return copy.deepcopy(built)


def cells(response) -> dict[str, dict[str, tuple]]:
    """{commitment slug: {country slug: (status, scope, anchor)}} for the filed cells of the page."""
    return {c.slug: {k.slug: (cell.status, cell.scope, cell.anchor) for k, cell in row if cell.status}
            for c, row in response.context["rows"]}


def test_each_cell_is_the_status_in_that_country_linking_to_its_evidence(client, w):
    response = client.get(MATRIX)
    assert response.status_code == 200
    assert [k.slug for k in response.context["countries"]] == ["kz", "kg", "tj", "uz"]  # by name
    u = {name: f"#update-{w[name].pk}" for name in ("returnees_kz2", "returnees_kg", "expert_u2", "formula_u")}
    assert cells(response) == {
        "exchange": {"uz": ("not_assessed", "regional", "")},
        "expert": {k: ("achieved", "regional", u["expert_u2"]) for k in ("kz", "kg", "tj")},
        "formula": {"kg": ("stalled", "regional", u["formula_u"])},
        # per country: each its own, never the overall "in progress", never the withdrawn or draft one
        "returnees": {"kz": ("achieved", "per_country", u["returnees_kz2"]),
                      "kg": ("in_progress", "per_country", u["returnees_kg"]),
                      "tj": ("not_assessed", "per_country", "")},
        "silent": {"kz": ("not_assessed", "per_country", ""), "tj": ("not_assessed", "per_country", "")},
    }
    page = response.content.decode()
    assert f'href="/commitments/returnees/{u["returnees_kz2"]}"' in page
    assert f'href="/commitments/expert/{u["expert_u2"]}"' in page
    assert 'href="/commitments/silent/"><span class="status-badge seg-not_assessed">Not yet assessed' in page
    assert '<span class="status-badge seg-achieved">Achieved</span><span class="visually-hidden"> in Kazakhstan' in page
    assert page.count('<span class="scope-note">regional</span>') == 3 + 1 + 1  # expert ×3, formula, exchange
    assert page.count("not filed under") == 4 * 5 - 10  # 20 cells, 10 filed
    assert "not filed under Uzbekistan" in page
    assert "DRAFTMATRIXTITLE" not in page and "=HYPERLINK" in page  # escaped HTML is fine; the CSV neutralises


def test_the_evidence_anchor_is_on_the_commitment_page(client, w):
    page = client.get("/commitments/returnees/").content.decode()
    assert f'id="update-{w["returnees_kz2"].pk}"' in page


def test_as_of_gives_each_country_its_status_on_that_day(client, w):
    response = client.get(f"{MATRIX}?as_of=2021-01-15")
    assert response.status_code == 200
    assert response.context["as_of"] == date(2021, 1, 15)
    assert cells(response) == {  # the exchange was not made yet
        "expert": {k: ("in_progress", "regional", f"#update-{w['expert_u1'].pk}") for k in ("kz", "kg", "tj")},
        "returnees": {"kz": ("in_progress", "per_country", f"#update-{w['returnees_kz1'].pk}"),
                      "kg": ("in_progress", "per_country", f"#update-{w['returnees_kg'].pk}"),
                      "tj": ("not_assessed", "per_country", "")},
        "silent": {"kz": ("not_assessed", "per_country", ""), "tj": ("not_assessed", "per_country", "")},
        "formula": {"kg": ("not_assessed", "regional", "")},
    }
    assert "as they stood on 15 January 2021" in response.content.decode()
    assert cells(client.get(f"{MATRIX}?as_of=2020-03-01"))["returnees"]["kg"][0] == "not_assessed"


def test_the_lists_filters_choose_the_rows_and_a_country_filter_the_columns(client, w):
    response = client.get(f"{MATRIX}?theme=returnees&sort=-due")
    assert [c.slug for c, _ in response.context["rows"]] == ["returnees", "expert"]
    assert "Theme: Returnees" in response.content.decode()  # the active filter, removable
    response = client.get(f"{MATRIX}?country=kz&country=uz")
    assert [k.slug for k in response.context["countries"]] == ["kz", "uz"]
    assert set(cells(response)) == {"exchange", "expert", "returnees", "silent"}
    # one country: the status filter is the status in that country, as on the list
    response = client.get(f"{MATRIX}?country=kz&status=achieved")
    assert [c.slug for c, _ in response.context["rows"]] == ["expert", "returnees"]
    assert "by their status in kazakhstan" in response.content.decode()
    response = client.get(f"{MATRIX}?country=tj&status=not_assessed")
    assert [c.slug for c, _ in response.context["rows"]] == ["silent", "returnees"]  # by title
    response = client.get(f"{MATRIX}?q=reintegration")
    assert [c.slug for c, _ in response.context["rows"]] == ["returnees"]
    response = client.get(f"{MATRIX}?q=returnee")  # names are searched: the expert is filed under "Returnees"
    assert [c.slug for c, _ in response.context["rows"]] == ["expert", "returnees"]


@pytest.mark.parametrize(("query", "field"), [("status=bogus", "status"), ("as_of=2999-01-01", "as_of"),
                                               ("country=xx", "country"), ("due_after=nope", "due_after")])
def test_bad_filters_are_a_400_with_the_forms_message_as_on_the_list(client, w, query, field):
    listed = client.get(f"/commitments/?{query}")
    response = client.get(f"{MATRIX}?{query}")
    assert listed.status_code == response.status_code == 400
    # ``given`` is the FilterSet as asked; ``filterset`` holds the valid filters the page still applies (issue 15).
    assert response.context["given"].errors.keys() == listed.context["given"].errors.keys() == {field}
    assert not response.context["filterset"].errors and response.context["page"] is not None
    assert "could not be understood" in response.content.decode()
    exported = client.get(f"{CSV_URL}?{query}")
    assert exported.status_code == 400 and exported.content.decode().startswith(f"Bad request:\n{field}:")


def test_bad_and_past_the_end_pages(client, w):
    assert client.get(f"{MATRIX}?page=x").status_code == 400
    assert client.get(f"{MATRIX}?page=2").status_code == 404


def test_fifty_rows_a_page_with_pagination_that_keeps_the_filters(client, w):
    countries = [w["kz"], w["tj"]]
    for i in range(51):
        c = f.commitment(slug=f"bulk-{i:02d}", title=f"Bulk {i:02d}")
        c.countries.set(countries)
        c.themes.set([Theme.objects.get(slug="returnees")])
    first = client.get(f"{MATRIX}?theme=returnees")
    assert len(first.context["rows"]) == 50
    assert first.context["page"].paginator.count == 53
    assert 'href="?theme=returnees&page=2"' in first.content.decode()
    second = client.get(f"{MATRIX}?theme=returnees&page=2")
    assert [c.slug for c, _ in second.context["rows"]] == ["bulk-50", "expert", "returnees"]  # by title


def read_csv(response) -> list[dict]:
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:]), strict=True))


def test_the_csv_has_a_row_per_commitment_a_status_column_per_country_and_scope_and_evidence(client, w):
    rows = read_csv(client.get(CSV_URL))
    assert list(rows[0]) == ["slug", "title", "url", *(f"{k}{s}" for k in ("kz", "kg", "tj", "uz")
                                                       for s in ("", "_scope", "_evidence"))]
    by_slug = {r["slug"]: r for r in rows}
    assert list(by_slug) == ["formula", "expert", "silent", "exchange", "returnees"]  # by title
    returnees = by_slug["returnees"]
    assert returnees["url"] == "http://testserver/commitments/returnees/"
    assert (returnees["kz"], returnees["kz_scope"]) == ("achieved", "per_country")
    assert returnees["kz_evidence"] == f"http://testserver/commitments/returnees/#update-{w['returnees_kz2'].pk}"
    assert (returnees["tj"], returnees["tj_scope"], returnees["tj_evidence"]) == ("not_assessed", "per_country", "")
    assert (returnees["uz"], returnees["uz_scope"], returnees["uz_evidence"]) == ("", "", "")  # not filed under
    assert (by_slug["expert"]["kg"], by_slug["expert"]["kg_scope"]) == ("achieved", "regional")
    assert by_slug["formula"]["title"] == "'=HYPERLINK(\"https://evil.example\",\"click\")"  # neutralised
    assert "draft" not in by_slug


def test_the_csv_takes_the_same_filters(client, w):
    rows = read_csv(client.get(f"{CSV_URL}?as_of=2021-01-15&country=kz&country=kg"))
    assert [k for k in rows[0] if not k.endswith(("_scope", "_evidence"))] == ["slug", "title", "url", "kz", "kg"]
    assert {r["slug"]: (r["kz"], r["kg"]) for r in rows} == {
        "expert": ("in_progress", "in_progress"), "returnees": ("in_progress", "in_progress"),
        "formula": ("", "not_assessed"), "silent": ("not_assessed", "")}


def test_the_matrix_and_its_csv_agree(client, w):
    shown = {c: {k: status for k, (status, _, _) in row.items()} for c, row in cells(client.get(MATRIX)).items()}
    rows = read_csv(client.get(CSV_URL))
    exported = {r["slug"]: {k: r[k] for k in ("kz", "kg", "tj", "uz") if r[k]} for r in rows}
    assert shown == exported


FILTERS = ["", "theme=returnees", "theme=other", "as_of=2021-01-15", "as_of=2020-03-01&theme=returnees",
           "q=exchange", "due_before=2021-06-30", "actor=nobody-there"]


def list_status_counts(client, query: str) -> dict[str, int]:
    response = client.get(f"/commitments/?{query}")
    if response.status_code == 400:
        return {}
    facet = next(facet for facet in response.context["facets"] if facet.name == "status")
    return {o.value: o.count for o in facet.options if o.count}


@pytest.mark.parametrize("engine", ["sql", "index"])
@pytest.mark.parametrize("filters", FILTERS)
def test_the_matrix_matches_the_lists_counts(client, w, filters, engine):
    """For each country: the cells of each status in its column are the list's status facet for that country."""
    facet_index.disconnect()  # the list counts with the engine chosen here, not one rebuilt after a response
    try:
        if engine == "index":
            facet_index.refresh()
        response = client.get(f"{MATRIX}?{filters}")
        if response.status_code == 400:  # an unknown slug: the list refuses it alike
            assert client.get(f"/commitments/?{filters}").status_code == 400
            return
        for k in response.context["countries"]:
            in_matrix: dict[str, int] = {}
            for _, row in response.context["rows"]:
                for country, cell in row:
                    if country == k and cell.status:
                        in_matrix[cell.status] = in_matrix.get(cell.status, 0) + 1
            query = f"country={k.slug}&{filters}".rstrip("&")
            assert in_matrix == list_status_counts(client, query), (k.slug, filters)
    finally:
        facet_index.connect()


def test_the_country_pages_and_the_list_link_to_the_matrix(client, w):
    assert 'href="/countries/matrix/"' in client.get("/countries/kz/").content.decode()
    assert 'href="/countries/matrix/"' not in client.get("/themes/returnees/").content.decode()
    page = client.get("/commitments/?theme=returnees").content.decode()
    assert 'href="/countries/matrix/?theme=returnees"' in page
    matrix = client.get(f"{MATRIX}?theme=returnees").content.decode()
    assert 'href="/countries/matrix.csv?theme=returnees"' in matrix
    assert 'href="/commitments/?theme=returnees"' in matrix
    assert 'action="/countries/matrix/"' in matrix  # the filter form stays on the matrix
    assert 'action="/commitments/"' in page


# Query counts. The matrix page: the data version (page cache), the catalogue of public entries (kept by the
# process: the version read again), the row count (the version the facet index checks, when it can count the
# filters; with ``as_of``, or the index out of date, a COUNT in SQL: one more), the page's rows, and every
# cell of the page in one query (the link rows of its commitments, each with its status, date, precision and
# update in that country).
MATRIX_QUERIES = 5


@pytest.mark.parametrize(("chunk", "cell_queries"), [(1000, 1), (2, 3)])
def test_the_csv_reads_its_cells_once_per_chunk(client, django_assert_num_queries, w, monkeypatch, chunk,
                                                cell_queries):
    from commitments import exports

    monkeypatch.setattr(exports, "CHUNK", chunk)
    catalogue.load()  # kept, as after the first page since the last change
    # the version (the catalogue kept), the rows, and the cells of each chunk of rows (5 rows)
    with django_assert_num_queries(2 + cell_queries):
        assert len(read_csv(client.get(CSV_URL))) == 5
