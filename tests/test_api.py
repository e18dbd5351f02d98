"""The public read API (/api/v1/): the same rows as the pages, the same refusals, nothing that is not public,
pinned query counts, ETag/304, CORS and the rate limit. The fuzzing is in ``test_api_schemathesis``."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from commitments import catalogue, facet_index, revisions, services
from commitments.models import ProgressReport
from commitments.reports.periods import parse_period

from . import factories
from .conftest import built_once

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent
PENDING_TITLE = "PENDINGREVISIONTITLE"


def build():
    ns = factories.catalogue()
    ns.withdrawn = factories.update(ns.financing, status="in_progress", as_of=date(2022, 2, 1), published=True,
                                    summary="WITHDRAWNSUMMARY: read the wrong report.")
    ns.withdrawn = services.withdraw_status_update(update=ns.withdrawn, user=None, reason="Wrong document cited.")
    revisions.propose_revision(instance=ns.expert, data={"title": PENDING_TITLE}, user=factories.editor())
    report, _ = services.prepare_report(period=parse_period("2025-Q3"))
    ns.report = services.publish_report(report=report, user=None)
    ns.draft_report, _ = services.prepare_report(period=parse_period("2025-Q2"))
    return ns


@pytest.fixture(scope="module")
def shared(django_db_setup, django_db_blocker):
    with built_once(django_db_blocker, build) as ns:
        yield ns


@pytest.fixture
def ns(shared, db, settings):
    settings.API_RATE_LIMIT = ""  # only the rate-limit test counts requests
    return copy.copy(shared)


def api(client, path: str, **headers):
    return client.get(f"/api/v1/{path}", **headers)


def slugs(response) -> list[str]:
    return [row["slug"] for row in response.json()["results"]]


# --- the same rows as the list page --------------------------------------------------------------

FILTERS = [
    "",
    "status=achieved&status=stalled",
    "country=kz",
    "country=kz&country=tj",
    "country=kg&status=achieved",
    "theme=pcve&sort=-due",
    "actor=osce&sort=due",
    "source=joint-statement-2021",
    "overdue=1",
    "stale=1",
    "due_after=2021-01-01&due_before=2029-12-31",
    "as_of=2021-01-01",
    "as_of=2022-06-01&sort=-updated&country=kz",
    "sort=updated",
    "q=expert",
    "status=not_assessed",
]


@pytest.mark.parametrize("query", FILTERS)
def test_the_api_lists_the_rows_of_the_list_page(client, ns, query):
    page = client.get(f"/commitments/?{query}")
    assert page.status_code == 200
    expected = [(c.slug, c.eff_status, c.eff_status_date) for c in page.context["page"].object_list]
    response = api(client, f"commitments/?{query}&page_size=100")
    assert response.status_code == 200
    body = response.json()
    got = [(r["slug"], r["status"], date.fromisoformat(r["status_as_of"]) if r["status_as_of"] else None)
           for r in body["results"]]
    assert got == expected
    assert body["count"] == page.context["page"].paginator.count


def test_cursor_pages_walk_forward_and_back_without_repeating_a_row(client, ns):
    every = slugs(api(client, "commitments/?sort=-due&page_size=100"))
    seen, url, pages = [], "commitments/?sort=-due&page_size=2", []
    response = api(client, url)
    while True:
        body = response.json()
        pages.append(slugs(response))
        seen += slugs(response)
        if not body["next"]:
            break
        response = client.get(body["next"])
    assert seen == every and len(pages) == 3
    back = client.get(response.json()["previous"])  # from the last page to the one before
    assert slugs(back) == pages[-2]
    first = client.get(back.json()["previous"])
    assert slugs(first) == pages[0] and first.json()["previous"] is None


@pytest.mark.parametrize("query", ["sort=title", "sort=due", "sort=-due", "sort=updated", "sort=-updated",
                                   "sort=-updated&as_of=2022-06-01", "sort=updated&country=kz",
                                   "sort=due&as_of=2023-06-01&country=kg"])
def test_every_sort_pages_by_cursor_as_the_whole_list(client, ns, query):
    """Nullable keys (due dates, status dates as of a day or in a country) included: nulls come last."""
    every = slugs(api(client, f"commitments/?{query}&page_size=100"))
    seen, response = [], api(client, f"commitments/?{query}&page_size=1")
    while True:
        seen += slugs(response)
        if not response.json()["next"]:
            break
        response = client.get(response.json()["next"])
    assert seen == every and len(every) >= 2
    backwards = []
    while response.json()["previous"]:
        response = client.get(response.json()["previous"])
        backwards = slugs(response) + backwards
    assert backwards == every[:-1]


def test_the_status_in_each_country(client, ns):
    row = api(client, "commitments/deploy-ct-expert/").json()
    assert set(row["country_status"]) == {"kz", "kg"}
    assert row["country_status"]["kz"]["status"] == "achieved"
    assert row["country_status"]["kz"]["update"].endswith(f"/api/v1/updates/{ns.expert_u2.pk}/")
    assert row["source"]["slug"] == "eu-strategy-2019" and row["quote"].startswith("The EU will deploy")
    listed = next(r for r in api(client, "commitments/").json()["results"] if r["slug"] == "deploy-ct-expert")
    assert listed["country_status"] == row["country_status"]


# --- refusals --------------------------------------------------------------------------------------

BAD = [
    ("commitments/?status=bogus", "status", "valid_values"),
    ("commitments/?country=zz", "country", "valid_values_url"),
    ("commitments/?country=tm", "country", "valid_values_url"),  # only a draft is filed under it
    ("commitments/?theme=returnees", "theme", "valid_values_url"),
    ("commitments/?due_after=2021-13-01", "due_after", None),
    ("commitments/?as_of=2999-01-01", "as_of", None),
    ("commitments/?sort=random", "sort", "valid_values"),
    ("commitments/?overdue=yes", "overdue", "valid_values"),
    ("commitments/?q=" + "x" * 201, "q", None),
    ("commitments/?page_size=101", "page_size", "valid_values"),
    ("commitments/?page_size=0", "page_size", "valid_values"),
    ("commitments/?cursor=notacursor", "cursor", None),
    ("commitments/?cursor=eyJrIjpbMSwyXSwiZiI6dHJ1ZX0", "cursor", None),  # {"k":[1,2],"f":true}: wrong types
    ("updates/?commitment=draft-commitment", "commitment", "valid_values_url"),
    ("updates/?status=done", "status", "valid_values"),
    ("updates/?as_of_after=2022-01-01&as_of_before=2021-01-01", "as_of_before", None),
    ("updates/?withdrawn=2", "withdrawn", "valid_values"),
    ("countries/?cursor=e30", "cursor", None),
]


@pytest.mark.parametrize(("path", "parameter", "valid"), BAD)
def test_a_bad_parameter_is_a_400_naming_it(client, ns, path, parameter, valid):
    response = api(client, path)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    errors = {e["parameter"]: e for e in response.json()["errors"]}
    assert parameter in errors and errors[parameter]["messages"]
    if valid:
        assert errors[parameter][valid]


def test_the_status_error_lists_every_status(client, ns):
    error = api(client, "commitments/?status=bogus&status=achieved").json()["errors"][0]
    assert "achieved" in error["valid_values"] and "not_assessed" in error["valid_values"]
    assert "bogus" in error["messages"][0]


# --- only the public record -------------------------------------------------------------------------

LISTS = ["commitments/", "updates/", "themes/", "countries/", "actors/", "sources/", "reports/"]


def _every_response(client, ns) -> list:
    responses = [api(client, f"{path}?page_size=100") for path in LISTS]
    for response in list(responses):
        for row in response.json()["results"]:
            responses.append(client.get(row["url"]))
    return responses


def test_drafts_pending_revisions_and_hidden_records_never_appear(client, ns):
    responses = _every_response(client, ns)
    assert all(r.status_code == 200 for r in responses)
    text = "".join(r.content.decode() for r in responses)
    for hidden in [*ns.hidden_text, PENDING_TITLE, "draft-commitment", "archived-commitment", ns.draft_report.slug]:
        assert hidden not in text
    assert ns.report.slug in text
    for path in ["commitments/draft-commitment/", "commitments/archived-commitment/",
                 f"updates/{ns.draft_update.pk}/", f"updates/{ns.draft_c_u.pk}/", f"updates/{ns.archived_c_u.pk}/",
                 "countries/tm/", "themes/returnees/", f"reports/{ns.draft_report.slug}/"]:
        assert api(client, path).status_code == 404, path


def test_a_withdrawn_update_appears_only_as_a_withdrawal(client, ns):
    body = api(client, f"updates/{ns.withdrawn.pk}/").json()
    assert body["withdrawn"] is True and body["withdraw_reason"] == "Wrong document cited."
    only = api(client, "updates/?withdrawn=1").json()["results"]
    assert [u["id"] for u in only] == [ns.withdrawn.pk]
    published = [u["id"] for u in api(client, "updates/?withdrawn=0&page_size=100").json()["results"]]
    assert ns.withdrawn.pk not in published and ns.expert_u1.pk in published
    # It counts for no status: the commitment is still not assessed.
    assert api(client, "commitments/cut-terrorism-financing/").json()["status"] == "not_assessed"


def test_updates_filter_by_commitment_country_status_and_dates(client, ns):
    def ids(query):
        return {u["id"] for u in api(client, f"updates/?{query}&page_size=100").json()["results"]}

    assert ids("commitment=deploy-ct-expert") == {ns.expert_u1.pk, ns.expert_u2.pk}
    assert ids("commitment=deploy-ct-expert&status=achieved") == {ns.expert_u2.pk}
    assert ids("as_of_after=2022-01-01&as_of_before=2022-12-31") == {ns.expert_u2.pk, ns.borders_u1.pk,
                                                                      ns.withdrawn.pk}
    assert ids("country=tj") == {ns.borders_u1.pk, ns.withdrawn.pk}
    assert ids("country=uz") == {ns.exchange_u1.pk}


def test_taxonomy_counts_are_the_pages_counts(client, ns):
    kz = api(client, "countries/kz/").json()
    assert kz["total"] == 2 and kz["status_counts"]["achieved"] == 1
    listed = {e["slug"]: e for e in api(client, "countries/").json()["results"]}
    assert listed["kz"]["status_counts"] == kz["status_counts"]
    assert "tm" not in listed
    source = api(client, "sources/joint-statement-2021/").json()
    assert source["total"] == 2 and source["issuer"]


def test_a_report_carries_its_snapshot_and_its_files(client, ns):
    body = api(client, f"reports/{ns.report.slug}/").json()
    assert body["snapshot"] == json.loads(json.dumps(ProgressReport.objects.get(pk=ns.report.pk).snapshot))
    assert body["pdf_url"].endswith(f"/reports/{ns.report.slug}.pdf")
    assert client.get(body["csv_url"]).status_code == 200


# --- query counts (none per row) ------------------------------------------------------------------

# Every view reads the data version first (the ETag); the catalogue of public entries and the facet index each
# check it again (a query of one row: VERSION), as the pages do. Then:
# commitments: the row count (SQL: the index is out of date), the rows, their themes, countries and actors, and
#   each row's status in each of its countries (one query for the page); as of a day, the precision of each
#   past status (one query) and no index check; and the assessments the statuses come from (confidence and
#   summary: one query for the page, as the export reads them);
# a commitment: the row, its taxonomies (one query), its country table (regional: its latest update), the
#   assessment its status comes from;
# updates: the rows and their evidence; with filters, the public commitments among the slugs given;
# a taxonomy list: the status breakdown (two grouped queries; sources: and their issuer, date and kind);
# an entry: the entry, its counts; reports: the count and the rows; a report: the row.
VERSION = 1
QUERIES = {
    "commitments/?page_size=100": 8 + VERSION,
    "commitments/?page_size=100&as_of=2022-06-01": 9,
    "commitments/?page_size=100&country=kz&status=achieved": 8 + 2 * VERSION,
    "commitments/deploy-ct-expert/": 5,
    "updates/?page_size=100": 3,
    "updates/?page_size=100&country=kz&commitment=deploy-ct-expert": 4 + 2 * VERSION,
    "countries/": 3 + 2 * VERSION,
    "sources/": 4 + 2 * VERSION,
    "countries/kz/": 3 + VERSION,
    "reports/": 3,
    "reports/{report}/": 2,
}


@pytest.fixture
def counted_in_sql():
    facet_index.disconnect()  # no rebuild after a response: every request counts in SQL
    facet_index.clear()
    yield
    facet_index.connect()


@pytest.mark.parametrize(("path", "queries"), QUERIES.items())
def test_query_counts_are_pinned_and_do_not_grow(client, ns, django_assert_num_queries, counted_in_sql, path,
                                                 queries):
    path = path.format(report=ns.report.slug)
    catalogue.load()  # kept, as after the first request since the last change
    with django_assert_num_queries(queries):
        assert api(client, path).status_code == 200
    more = [factories.commitment(slug=f"more-{i}", title=f"More {i}", source=ns.strategy) for i in range(4)]
    for c in more:
        c.countries.set([ns.kz, ns.kg])
        c.themes.set([ns.pcve])
        c.actors.set([ns.eeas])
        factories.update(c, status="in_progress", as_of=date(2021, 1, 1), published=True, evidence=2)
    catalogue.load()
    with django_assert_num_queries(queries):
        assert api(client, path).status_code == 200


# --- ETag, Cache-Control, CORS, rate limit ---------------------------------------------------------


def test_etag_and_if_none_match(client, ns, django_assert_num_queries):
    first = api(client, "commitments/?country=kz")
    etag = first["ETag"]
    assert first["Cache-Control"].startswith("public, max-age=")
    with django_assert_num_queries(1):  # the data version, nothing else
        again = api(client, "commitments/?country=kz", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    assert api(client, "commitments/?country=kz", HTTP_IF_NONE_MATCH=f"W/{etag}").status_code == 304
    assert api(client, "commitments/?country=kg", HTTP_IF_NONE_MATCH=etag).status_code == 200  # another address
    factories.update(ns.financing, status="in_progress", as_of=date(2023, 1, 1), published=True)
    changed = api(client, "commitments/?country=kz", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_addresses_outside_the_api_answer_json_and_a_missing_slash_is_added(client, ns):
    missing = api(client, "nothing/here/")
    assert missing.status_code == 404 and missing.json() == {"detail": "Not found."}
    assert api(client, "commitments/no-such-commitment/").json() == {"detail": "Not found."}
    assert api(client, "updates/-1/").status_code == 404
    assert api(client, "commitments").status_code == 301


def test_json_is_gzipped_for_clients_that_accept_it(client, ns):
    response = api(client, "commitments/?page_size=100", HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"
    assert response["ETag"].startswith('W/"api-')
    assert api(client, "commitments/?page_size=100", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_cors_lets_any_origin_read_the_api_and_nothing_else(client, ns):
    response = api(client, "themes/", HTTP_ORIGIN="https://newsroom.example")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response["Access-Control-Expose-Headers"]
    preflight = client.options("/api/v1/themes/", HTTP_ORIGIN="https://newsroom.example",
                               HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET")
    assert set(preflight["Access-Control-Allow-Methods"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}
    page = client.get("/themes/", HTTP_ORIGIN="https://newsroom.example")
    assert "Access-Control-Allow-Origin" not in page
    assert client.post("/api/v1/themes/", HTTP_ORIGIN="https://newsroom.example").status_code == 405


def test_each_client_address_is_rate_limited(ns, settings):
    settings.API_RATE_LIMIT = "3/minute"
    reader, other = Client(REMOTE_ADDR="203.0.113.5"), Client(REMOTE_ADDR="203.0.113.6")
    assert [api(reader, "themes/").status_code for _ in range(3)] == [200, 200, 200]
    refused = api(reader, "themes/")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "detail" in refused.json()
    assert api(other, "themes/").status_code == 200


def test_the_rate_limit_counts_the_client_behind_the_proxy(ns, settings):
    settings.API_RATE_LIMIT = "1/minute"
    settings.PROXY_COUNT = 1
    proxy = Client(REMOTE_ADDR="10.0.0.1")
    assert api(proxy, "themes/", HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 200
    assert api(proxy, "themes/", HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 429
    assert api(proxy, "themes/", HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 200


# --- the document and its page -------------------------------------------------------------------


def test_the_committed_openapi_document_is_the_codes(client, ns):
    served = api(client, "openapi.json").json()
    committed = json.loads((ROOT / "docs" / "openapi.json").read_text())
    assert served == committed, "docs/openapi.json is out of date: run `make openapi` and commit it"


def test_the_document_lists_every_filter_with_its_valid_values(client, ns):
    document = api(client, "openapi.json").json()
    parameters = {p["name"]: p for p in document["paths"]["/api/v1/commitments/"]["get"]["parameters"]}
    for name in ("q", "status", "theme", "country", "actor", "source", "overdue", "stale", "due_before", "due_after",
                 "as_of", "sort", "cursor", "page_size"):
        assert name in parameters, name
    assert "achieved" in parameters["status"]["schema"]["items"]["enum"]
    assert set(parameters["sort"]["schema"]["enum"]) == {"title", "due", "-due", "updated", "-updated", "relevance"}
    assert "/api/v1/countries/" in parameters["country"]["description"]
    assert {"400", "429", "304"} <= set(document["paths"]["/api/v1/commitments/"]["get"]["responses"])


def test_the_docs_page_uses_only_our_own_files(client, ns, settings):
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<script>" not in html and "<style" not in html
    sources = [part.split('"')[1] for part in html.split("src=")[1:]]
    assert len(sources) == 3
    for src in sources:
        assert src.startswith("/"), src
        if src.startswith(settings.STATIC_URL if settings.STATIC_URL.startswith("/") else f"/{settings.STATIC_URL}"):
            assert finders.find(src.split("/static/", 1)[1]), src  # a file of ours (drf-spectacular-sidecar's)
        else:  # the set-up script, from the same view
            script = client.get(src.replace("&amp;", "&"))
            assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert "script-src 'self'" in page["Content-Security-Policy"]


def test_about_and_readme_link_the_api(client, ns):
    assert 'href="/api/v1/docs/"' in client.get("/about/").content.decode()
    assert "/api/v1/docs/" in (ROOT / "README.md").read_text()


@pytest.mark.parametrize("q", ["", "ct", "eeas"])
def test_relevance_pages_by_its_rank_as_the_list_page_orders(client, ns, q):
    """``sort=relevance`` walks, one row a page, the rows of the list page in its order (by rank with a search,
    by title without one): the cursor carries the rank."""
    query = f"sort=relevance&q={q}"
    page = client.get(f"/commitments/?{query}")
    expected = [c.slug for c in page.context["page"].object_list]
    seen, url = [], f"commitments/?{query}&page_size=1"
    while url:
        response = api(client, url)
        assert response.status_code == 200
        seen += slugs(response)
        url = response.json()["next"]
        url = url.split("/api/v1/", 1)[1] if url else None
    assert seen == expected and len(seen) > 1


def test_a_commitment_carries_the_exports_assessment_columns(client, ns):
    """The API's commitment has the research-grade export's fields of the same names, with the same values."""
    def exported(query: str) -> list[dict]:
        response = client.get(f"/commitments/export.json?{query}")
        return json.loads(b"".join(response.streaming_content))["commitments"]

    export = exported("country=kz")
    listed = api(client, "commitments/?country=kz&page_size=100").json()["results"]
    fields = ["quote", "location", "due_text", "assessment_scope", "stale", "status_confidence", "status_summary",
              "status_update_url"]
    assert {r["slug"]: [r[f] for f in fields] for r in listed} == {r["slug"]: [r[f] for f in fields] for r in export}
    assert any(r["status_confidence"] and r["status_summary"] for r in listed)
    detail = api(client, "commitments/deploy-ct-expert/").json()
    row = next(r for r in exported("") if r["slug"] == "deploy-ct-expert")
    assert [detail[f] for f in fields] == [row[f] for f in fields]
