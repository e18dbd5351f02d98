"""Research-grade exports (issue 15): the list's new columns, the updates' export, the JSON documents' metadata
and schemas, the column documentation, and "Cite this page"."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import frictionless
import jsonschema
import pytest
from django.utils import timezone
from django.utils.html import escape

from commitments import cache, catalogue, revisions, services
from commitments.exports import EXPORTS
from commitments.exports import commitments as commitment_rows
from commitments.exports import updates as update_rows
from commitments.exports.schema import FORMAT_VERSION, table_schema

from . import factories as f
from .conftest import built_once

D = date


def build():
    """The shared catalogue, a withdrawn update with its reason, a country update of a per-country commitment,
    a pending revision of a public commitment's quote, and more updates than one page of /updates/ holds."""
    from commitments.models import Commitment

    ns = f.catalogue()
    wrong = f.update(ns.financing, status="stalled", as_of=D(2023, 5, 1), published=True, summary="Stalled, wrongly.")
    services.withdraw_status_update(update=wrong, user=None, reason="Published in error.")
    ns.families.assessment_scope = Commitment.Scope.PER_COUNTRY
    ns.families.save()
    kg = f.update(ns.families, status="in_progress", as_of=D(2024, 2, 1), published=True, country=ns.kg,
                  summary="Kyrgyzstan: one centre open.", evidence=2)
    revisions.propose_revision(instance=ns.expert, data={"quote": "PENDINGREVISIONQUOTE"}, user=None)
    for i in range(30):  # past the first page of /updates/ (25)
        f.update(ns.borders_c, status="in_progress", as_of=D(2022, 2, 1 + i % 27), published=True,
                 summary=f"Borders update {i}.")
    cache.bump()
    return {"withdrawn": wrong.pk, "kg": kg.pk, "hidden": [*ns.hidden_text, "PENDINGREVISIONQUOTE"],
            "expert": ns.expert.pk}


@pytest.fixture(scope="module")
def made(django_db_setup, django_db_blocker):
    with built_once(django_db_blocker, build) as ids:
        yield ids


@pytest.fixture
def w(made, db):
    catalogue.forget()
    return made


def body(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return b"".join(response.streaming_content).decode("utf-8")


def document(client, url: str) -> dict:
    return json.loads(body(client, url))


def csv_rows(client, url: str) -> tuple[list[str], list[dict]]:
    reader = csv.DictReader(io.StringIO(body(client, url).lstrip("\ufeff"), newline=""))
    rows = list(reader)
    return reader.fieldnames, rows


# --- the declarations drive everything ------------------------------------------------------------


def test_every_column_of_every_export_is_declared_documented_and_on_the_documentation_page(client, w):
    page = client.get("/about/data/").content.decode()
    for export in EXPORTS:
        for column in export.columns:
            names = [(column, column.name), *((c, f"{column.name}[].{c.name}") for c in column.fields)]
            for c, name in names:
                assert len(c.description) > 15, name
                assert f"<code>{escape(name)}</code>" in page, name
        assert f'href="/{export.name}/export.schema.json"' in page
    # The CSV headers and the JSON rows are the declarations, in order.
    header, _ = csv_rows(client, "/commitments/export.csv")
    fixed = [c.name for c in commitment_rows.EXPORT.csv_columns][:-1]
    assert header[:len(fixed)] == fixed and [h for h in header[len(fixed):]] == ["status_kg", "status_kz", "status_tj",
                                                                                "status_uz"]
    header, _ = csv_rows(client, "/updates/export.csv")
    assert header == [c.name for c in update_rows.EXPORT.csv_columns]
    row = document(client, "/commitments/export.json")["commitments"][0]
    assert list(row) == [c.name for c in commitment_rows.EXPORT.row_columns]
    row = document(client, "/updates/export.json")["updates"][0]
    assert list(row) == update_rows.COLUMNS
    assert list(row["evidence"][0]) == [c.name for c in update_rows.EVIDENCE_FIELDS]


def test_the_documentation_page_is_linked_from_about_and_from_the_export_links(client, w):
    assert 'href="/about/data/"' in client.get("/about/").content.decode()
    listing = client.get("/commitments/?theme=pcve").content.decode()
    assert 'href="/about/data/"' in listing
    assert 'href="/updates/export.csv?theme=pcve"' in listing and 'href="/updates/export.json?theme=pcve"' in listing
    updates = client.get("/updates/?country=kg").content.decode()
    assert 'href="/updates/export.csv?country=kg"' in updates and 'href="/updates/export.json?country=kg"' in updates
    assert 'href="/about/data/#d-updates"' in updates


QUERIES = ["", "theme=pcve", "country=kg", "country=kg&country=kz", "as_of=2023-01-01", "status=in_progress&sort=due",
           "overdue=1", "q=expert"]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("export", EXPORTS, ids=lambda e: e.name)
def test_every_json_document_validates_against_its_published_schema(client, w, export, query):
    schema_response = client.get(f"/{export.name}/export.schema.json")
    assert schema_response.status_code == 200
    assert schema_response["Content-Type"] == "application/schema+json"
    schema = json.loads(schema_response.content)
    assert schema["$id"] == f"http://testserver/{export.name}/export.schema.json"
    jsonschema.Draft202012Validator.check_schema(schema)
    doc = document(client, f"/{export.name}/export.json?{query}")
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER).validate(doc)
    if not query:
        assert doc[export.name], "rows to validate"


def test_a_row_that_breaks_the_schema_is_refused_by_it(client, w):
    """The schema says something: a missing column, a wrong type or an unknown status fails it."""
    schema = json.loads(client.get("/commitments/export.schema.json").content)
    doc = document(client, "/commitments/export.json")
    validator = jsonschema.Draft202012Validator(schema)
    for change in ({"status": "bogus"}, {"overdue": "no"}, {"themes": "pcve"}, {"extra": 1}):
        bad = json.loads(json.dumps(doc))
        bad["commitments"][0].update(change)
        assert not validator.is_valid(bad), change
    bad = json.loads(json.dumps(doc))
    del bad["commitments"][0]["quote"]
    assert not validator.is_valid(bad)


def test_the_json_meta_says_what_when_which_data_and_how_to_cite(client, w):
    for url, key in (("/commitments/export.json?theme=pcve&sort=due", "commitments"),
                     ("/updates/export.json?theme=pcve&sort=due", "updates")):
        doc = document(client, url)
        assert list(doc) == [key, "meta"]  # the rows first, as in format version 1; the metadata after them
        meta = doc["meta"]
        assert meta["format_version"] == FORMAT_VERSION == 3
        assert meta["export"] == key
        assert meta["count"] == len(doc[key]) > 0
        assert meta["query"] == {"theme": ["pcve"], "sort": ["due"]}
        assert meta["data_version"] == cache.current_version() != ""
        assert meta["licence"]["name"] == "ODC-BY-1.0"
        assert meta["url"] == f"http://testserver{url}"
        assert meta["schema"] == f"http://testserver/{key}/export.schema.json"
        assert meta["documentation"] == "http://testserver/about/data/"
        assert meta["url"] in meta["citation"] and "Commitments Tracker" in meta["citation"]
        assert timezone.localdate().strftime("%Y") in meta["citation"]
        assert meta["generated_at"].endswith("Z")


# --- the list's new columns -----------------------------------------------------------------------


def test_the_list_carries_quote_source_names_assessment_and_flags(client, w):
    rows = {r["slug"]: r for r in document(client, "/commitments/export.json")["commitments"]}
    expert = rows["deploy-ct-expert"]
    assert expert["quote"] == "The EU will deploy a dedicated security and CT expert to the region."  # not the revision
    assert (expert["source"], expert["source_title"], expert["source_date"]) == (
        "eu-strategy-2019", "The EU and Central Asia: New Opportunities for a Stronger Partnership", "2019-05-15")
    assert expert["location"] == "Section 2.1, paragraph 4"
    assert (expert["countries"], expert["country_names"]) == (["kg", "kz"], ["Kyrgyzstan", "Kazakhstan"])
    assert (expert["themes"], expert["theme_names"]) == (["pcve"], ["P/CVE"])
    families = rows["reintegrate-returning-families"]
    assert (families["actors"], families["actor_slugs"]) == (["EEAS", "OSCE"], ["eeas", "osce"])
    assert (families["themes"], families["theme_names"]) == (["border-management", "pcve"],
                                                            ["Border management", "P/CVE"])
    assert expert["status_summary"] == "Expert in post in Bishkek since March."
    assert expert["status_confidence"] == "medium"
    anchor = expert["status_update_url"].split("#")[1]
    assert f'id="{anchor}"' in client.get("/commitments/deploy-ct-expert/").content.decode()
    not_assessed = rows["cut-terrorism-financing"]  # its only update was withdrawn
    assert (not_assessed["status"], not_assessed["status_summary"], not_assessed["status_confidence"],
            not_assessed["status_update_url"]) == ("not_assessed", None, None, None)
    # As of a day, the assessment that held then.
    then = {r["slug"]: r for r in document(client, "/commitments/export.json?as_of=2021-01-15")["commitments"]}
    assert then["deploy-ct-expert"]["status_summary"] == "Expert recruited on a short contract."
    # In one country, that country's own assessment (a per-country commitment).
    kg = {r["slug"]: r for r in document(client, "/commitments/export.json?country=kg")["commitments"]}
    assert kg["reintegrate-returning-families"]["status"] == "in_progress"
    assert kg["reintegrate-returning-families"]["status_summary"] == "Kyrgyzstan: one centre open."
    assert kg["reintegrate-returning-families"]["status_update_url"].endswith(f"#update-{w['kg']}")
    assert kg["deploy-ct-expert"]["status_summary"] == "Expert in post in Bishkek since March."  # regional


@pytest.mark.parametrize("flag", ["overdue", "stale"])
@pytest.mark.parametrize("query", ["", "as_of=2023-06-01", "country=kg", "country=tj&as_of=2024-06-01"])
def test_the_flags_are_the_lists_filters(client, w, flag, query):
    every = document(client, f"/commitments/export.json?{query}")["commitments"]
    flagged = document(client, f"/commitments/export.json?{query}&{flag}=1")["commitments"]
    assert [r["slug"] for r in every if r[flag]] == [r["slug"] for r in flagged]
    assert all(r[flag] for r in flagged)
    _, as_csv = csv_rows(client, f"/commitments/export.csv?{query}")
    assert [r["slug"] for r in as_csv if r[flag] == "yes"] == [r["slug"] for r in flagged]


# --- the updates' export ----------------------------------------------------------------------------


def page_events(client, query: str) -> list[tuple[int, bool]]:
    """(update id, is a withdrawal) of every event /updates/ lists for ``query``, page by page."""
    events, number = [], 1
    while True:
        response = client.get(f"/updates/?{query}&page={number}")
        assert response.status_code == 200
        page = response.context["page"]
        events += [(e.update.pk, e.withdrawal) for e in page.object_list]
        if not page.has_next:
            return events
        number += 1


@pytest.mark.parametrize("query", ["", "theme=pcve", "country=kg", "country=tj&status=not_started",
                                   "as_of=2022-01-20", "source=joint-statement-2021&q=border", "overdue=1"])
def test_the_updates_export_lists_the_events_of_the_updates_page(client, w, query):
    expected = page_events(client, query)
    doc = document(client, f"/updates/export.json?{query}")
    assert [(r["update_id"], r["event"] == "withdrawn") for r in doc["updates"]] == expected
    _, rows = csv_rows(client, f"/updates/export.csv?{query}")
    assert [(int(r["update_id"]), r["event"] == "withdrawn") for r in rows] == expected
    if not query:
        assert len(expected) > 25  # more than one page


def test_an_update_carries_its_evidence_and_a_withdrawal_its_reason(client, w):
    rows = document(client, "/updates/export.json")["updates"]
    kg = next(r for r in rows if r["update_id"] == w["kg"])
    assert (kg["country"], kg["country_name"], kg["status"], kg["as_of"]) == ("kg", "Kyrgyzstan", "in_progress",
                                                                             "2024-02-01")
    assert kg["evidence_count"] == len(kg["evidence"]) == 2
    assert kg["evidence"][0] | {"url": ""} == {
        "title": "Evidence 0", "publisher": "Publisher", "date": "2024-02-01", "date_precision": "day", "url": "",
        "document_url": None, "indicates": "under way", "stance": "supports", "description": ""}
    assert kg["evidence"][0]["url"].startswith("https://example.org/e/")
    page = client.get(kg["update_url"].split("#")[0].replace("http://testserver", "")).content.decode()
    assert f'id="{kg["update_url"].split("#")[1]}"' in page
    withdrawn = [r for r in rows if r["update_id"] == w["withdrawn"]]
    assert [r["event"] for r in withdrawn] == ["withdrawn", "published"]  # the withdrawal is the newer event
    for row in withdrawn:
        assert row["withdrawn"] is True and row["withdraw_reason"] == "Published in error."
        assert row["withdrawn_at"] and row["evidence"]
    assert withdrawn[0]["update_url"].endswith(f"#withdrawn-{w['withdrawn']}")
    assert withdrawn[0]["event_at"] == withdrawn[0]["withdrawn_at"]
    _, as_csv = csv_rows(client, "/updates/export.csv")
    row = next(r for r in as_csv if r["update_id"] == str(w["kg"]))
    assert json.loads(row["evidence"]) == kg["evidence"] and row["withdrawn"] == "no"


@pytest.mark.parametrize("url", ["/updates/export.csv", "/updates/export.json", "/updates/export.json?theme=returnees",
                                 "/commitments/export.csv", "/commitments/export.json"])
def test_drafts_revisions_and_hidden_commitments_never_appear(client, w, url):
    response = client.get(url)
    if "returnees" in url:  # a theme only hidden commitments use is not a public one
        assert response.status_code == 400
        return
    text = body(client, url)
    for secret in w["hidden"]:
        assert secret not in text, secret
    assert "draft-commitment" not in text and "archived-commitment" not in text


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_invalid_filters_give_400_text_for_the_updates_export(client, w, fmt):
    response = client.get(f"/updates/export.{fmt}?status=bogus")
    assert response.status_code == 400 and response.content.decode().startswith("Bad request:")


def test_a_database_error_mid_stream_leaves_the_updates_json_invalid(client, w, monkeypatch):
    from django.db import OperationalError

    real = update_rows._evidence
    calls = []

    def failing(request, ids):
        calls.append(1)
        if len(calls) > 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(request, ids)

    monkeypatch.setattr(update_rows, "_evidence", failing)
    monkeypatch.setattr(update_rows, "CHUNK", 5)
    response = client.get("/updates/export.json")
    chunks, error = [], None
    try:
        for chunk in response.streaming_content:
            chunks.append(chunk)
    except OperationalError as exc:
        error = exc
    assert error is not None
    text = b"".join(chunks).decode()
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)
    assert "ERROR: export incomplete" in text and '"meta"' not in text


# --- frictionless reads the CSVs as their declarations describe them ------------------------------------


@pytest.mark.parametrize("url", ["/commitments/export.csv", "/updates/export.csv",
                                 "/commitments/export.csv?as_of=2022-01-01"])
def test_frictionless_validates_the_csv_exports_against_their_declarations(client, w, tmp_path, url):
    export = commitment_rows.EXPORT if url.startswith("/commitments/") else update_rows.EXPORT
    header, _ = csv_rows(client, url)
    declared = {c.name: c for c in export.csv_columns}
    columns = [declared.get(name, commitment_rows.PER_COUNTRY_COLUMN) for name in header]
    schema = table_schema(columns)
    for field, name in zip(schema["fields"], header, strict=True):
        field["name"] = name  # status_<code> is declared once for every country
    path = tmp_path / "export.csv"
    path.write_text(body(client, url).lstrip("\ufeff"), encoding="utf-8")
    resource = frictionless.Resource(path=path.name, basepath=str(tmp_path), format="csv", encoding="utf-8",
                                     schema=frictionless.Schema.from_descriptor(schema))
    report = frictionless.validate(resource)
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]


# --- queries -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "theme=border-management", "country=kg"])
def test_the_updates_export_reads_a_constant_number_of_queries(client, w, django_assert_num_queries, query):
    """The data version (the catalogue kept), the publications and the withdrawals (two streamed queries) and,
    for each chunk of 1,000 events, their evidence: the same for a few events as for forty."""
    catalogue.load()
    with django_assert_num_queries(4):
        rows = document(client, f"/updates/export.json?{query}")["updates"]
    assert rows


# --- cite this page ----------------------------------------------------------------------------------


def test_every_commitment_page_says_how_to_cite_it_with_the_access_date(client, w):
    from commitments.templatetags.tracker import day

    page = client.get("/commitments/deploy-ct-expert/").content.decode()
    today = day(timezone.localdate())
    assert ("Commitments Tracker, “Deploy a dedicated CT expert”, http://testserver/commitments/deploy-ct-expert/, "
            f"status Achieved as of 1 March 2022 (accessed {today}).") in page
    assert "Cite this page" in page
    unassessed = client.get("/commitments/cut-terrorism-financing/").content.decode()
    # Not yet assessed: no status to cite (the badge says so, once).
    assert ("“Cut off terrorism financing”, http://testserver/commitments/cut-terrorism-financing/ "
            f"(accessed {today}).") in unassessed
