"""The open-data dump (export_dataset) and its restore (import_dataset): nothing lost, nothing unpublished."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone

from commitments import dataset, services
from commitments.models import (
    Actor,
    Commitment,
    Country,
    Evidence,
    ProgressReport,
    Source,
    StatusUpdate,
    Theme,
)
from commitments.reports.periods import parse_period

from . import factories

UNICODE_TITLE = "Ünïcode — Қазақстан “quotes” <script>alert(1)</script>"
UNICODE_QUOTE = 'He said "we will", then: <script>alert("x")</script>,\nnew line; Тоҷикистон, Oʻzbekiston'


@pytest.fixture
def data(catalogue):
    """The public catalogue plus every awkward case the dump must handle (or leave out)."""
    ns = catalogue
    publisher = factories.publisher()
    ns.undated = factories.commitment(
        slug="undated-unicode", title=UNICODE_TITLE, quote=UNICODE_QUOTE, date_made=None, source=ns.statement,
        attributed_to=ns.strategy, date_note="Page undated.", state=Commitment.State.DRAFT,
    )
    ns.undated.themes.set([ns.pcve, ns.returnees])
    ns.undated.countries.set([ns.tm])
    ns.undated.actors.set([ns.osce])
    # Published once complete, as staff do (the dump does not carry the change history; see below).
    ns.undated = services.set_commitment_state(commitment=ns.undated, state=Commitment.State.PUBLISHED, user=publisher,
                                              reason=factories.REASON)
    Commitment.objects.filter(pk=ns.expert.pk).update(quote_context="Line one of the context.\nLine two.")
    ns.expert.related.add(ns.exchange)
    ns.expert.related.add(ns.draft_c)  # a link to a hidden commitment stays out
    u = factories.update(ns.undated, status="stalled", as_of=date(2023, 3, 1), evidence=1,
                         summary="Résumé: <script>alert(2)</script> — “stalled”.")
    Evidence.objects.create(commitment=ns.undated, status_update=u, title="Uploaded report", publisher="OSCE",
                            date=date(2023, 2, 1), document="evidence/2023/report.pdf",
                            stance=Evidence.Stance.CONTRADICTS, quote="«Цитата»", note="STAFFNOTE")
    services.publish_status_update(update=u, user=publisher, reason=factories.REASON)
    # A withdrawn update: listed on its page with its reason, counting for no status (the dump keeps both).
    ns.withdrawn = factories.update(ns.exchange, status="achieved", as_of=date(2023, 6, 1), published=True,
                                    summary="Achieved, said a report about another programme.")
    services.withdraw_status_update(update=ns.withdrawn, user=publisher, reason="The report was about another one.")
    Evidence.objects.create(commitment=ns.expert, title="COMMITMENTONLYEVIDENCE", publisher="Someone",
                            url="https://example.org/commitment-only")
    ns.draft_evidence_urls = list(ns.draft_update.evidence.values_list("url", flat=True))
    report, _ = services.prepare_report(period=parse_period("2024"))
    ns.report = services.publish_report(report=report, user=publisher)
    ns.draft_report, _ = services.prepare_report(period=parse_period("2025-Q1"),
                                                 introduction="DRAFTREPORTINTRO not public.")
    # A source's notes are staff only; a source and entries only the draft commitment uses are not public.
    Source.objects.filter(pk=ns.strategy.pk).update(notes="SOURCENOTESECRET coverage")
    ns.draft_source = factories.source(slug="draft-only-source", title="DRAFTONLYSOURCE")
    ns.draft_theme = factories.theme(slug="draft-only-theme", name="DRAFTONLYTHEME")
    ns.draft_actor = factories.actor(slug="draft-only-actor", name="DRAFTONLYACTOR")
    ns.draft_country = factories.country("mn", "DRAFTONLYCOUNTRY")
    Commitment.objects.filter(pk=ns.draft_c.pk).update(attributed_to=ns.draft_source)
    ns.draft_c.themes.add(ns.draft_theme)
    ns.draft_c.actors.add(ns.draft_actor)
    ns.draft_c.countries.add(ns.draft_country)
    ns.hidden_text = [*ns.hidden_text, "SOURCENOTESECRET", "DRAFTONLYSOURCE", "DRAFTONLYTHEME", "DRAFTONLYACTOR",
                      "DRAFTONLYCOUNTRY"]
    return ns


def export(path: Path, *args) -> Path:
    call_command("export_dataset", str(path), *args, stdout=io.StringIO())
    return path


def restore(path: Path) -> None:
    call_command("import_dataset", str(path), stdout=io.StringIO(), stderr=io.StringIO())


def delete_tracker_rows() -> None:
    Evidence.objects.all().delete()
    StatusUpdate.objects.all().delete()
    ProgressReport.objects.update(supersedes=None)
    ProgressReport.objects.all().delete()
    Commitment.objects.all().delete()
    for model in (Source, Actor, Country, Theme):
        model.objects.all().delete()
    for model in apps.get_app_config("commitments").get_models():
        if model.__name__.startswith("Historical"):
            model.objects.all().delete()
    assert dataset.tracker_rows() == []


def dump_files(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.iterdir())}


def package(path: Path) -> dict:
    return json.loads((path / "datapackage.json").read_text(encoding="utf-8"))


def rows(path: Path, name: str) -> list[dict]:
    with open(path / f"{name}.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


PUBLIC_PAGES = ["/", "/commitments/", "/commitments/?status=in_progress", "/themes/pcve/", "/countries/tm/",
                "/actors/osce/", "/sources/eu-strategy-2019/", "/reports/", "/feeds/updates.atom",
                "/commitments/export.csv", "/commitments/export.json"]


def public_pages(client, data) -> dict[str, bytes]:
    urls = [*PUBLIC_PAGES, data.report.get_absolute_url(), *(c.get_absolute_url() for c in [*data.public,
                                                                                            data.undated])]
    out = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        out[url] = b"".join(response.streaming_content) if response.streaming else response.content
        if url.endswith(".json"):  # the data, without the document's metadata (when it was made, the data version)
            out[url] = json.dumps(json.loads(out[url])["commitments"]).encode()
    return out


def without_change_history(pages: dict[str, bytes]) -> dict[str, bytes]:
    """The pages with each commitment's public change history left out: the dump does not carry it yet
    (``PublicChange`` rows are not a table of the dump), so a restored commitment's history starts empty."""
    pattern = re.compile(rb'<section aria-labelledby="changes">.*?</section>', re.S)
    return {url: pattern.sub(b"", page) for url, page in pages.items()}


# --- round trip -----------------------------------------------------------------------------


def test_round_trip_loses_nothing(data, tmp_path, client):
    before_pages = public_pages(client, data)
    first = export(tmp_path / "first")
    delete_tracker_rows()
    restore(first)
    second = export(tmp_path / "second")

    a, b = dump_files(first), dump_files(second)
    assert a.keys() == b.keys()
    for name in a:
        if name != "datapackage.json":
            assert a[name] == b[name], name
    pa, pb = package(first), package(second)
    assert pa.pop("created") and pb.pop("created")
    assert pa == pb

    # Ids, slugs, links and the derived status are as they were; public pages read the same.
    expert = Commitment.objects.get(slug="deploy-ct-expert")
    assert expert.pk == data.expert.pk
    assert (expert.current_status, expert.current_status_date) == ("achieved", date(2022, 3, 1))
    assert list(expert.related.all()) == [data.exchange]
    assert set(Commitment.objects.get(slug="undated-unicode").themes.values_list("slug", flat=True)) == {
        "pcve", "returnees"}
    assert Commitment.objects.get(slug="undated-unicode").date_made is None
    assert without_change_history(public_pages(client, data)) == without_change_history(before_pages)


def test_restored_rows_get_one_history_record_and_new_rows_fresh_ids(data, tmp_path):
    dump = export(tmp_path / "dump")
    delete_tracker_rows()
    restore(dump)
    undated = Commitment.objects.get(slug="undated-unicode")
    records = list(undated.history.all())
    assert [r.history_type for r in records] == ["+"]
    assert records[0].history_change_reason == dataset.HISTORY_REASON
    assert set(records[0].themes.values_list("theme__slug", flat=True)) == {"pcve", "returnees"}
    # Sequences were advanced past the explicit ids (PostgreSQL): new rows do not collide.
    assert factories.source().pk > max(Source.objects.exclude(slug__startswith="source-").values_list("pk", flat=True))
    assert factories.commitment().pk > undated.pk
    u = factories.update(undated, as_of=date(2024, 1, 1), published=True)
    assert u.pk > StatusUpdate.objects.exclude(pk=u.pk).order_by("-pk").first().pk


def test_report_pdfs_stay_out_of_the_dump_and_are_rendered_again_after_a_restore(data, tmp_path, pdf_renders):
    """A published report's stored PDF is not in the dump: it is typeset again from the restored snapshot."""
    url = f"/reports/{data.report.slug}.pdf"
    before = Client().get(url).content
    assert len(pdf_renders) == 1  # at publish
    dump = export(tmp_path / "dump")
    assert not {"pdf", "pdf_sha256"} & set(rows(dump, "progress_reports")[0])
    assert not {"pdf", "pdf_sha256"} & set(json.loads((dump / "progress_reports.json").read_bytes())[0])
    delete_tracker_rows()
    restore(dump)
    assert ProgressReport.objects.get(slug=data.report.slug).pdf_sha256 == ""
    for worker in (Client(), Client()):
        assert worker.get(url).content == before  # the same snapshot, typeset the same way
    assert len(pdf_renders) == 2  # once after the restore


def test_import_bumps_the_public_data_version(data, tmp_path):
    from commitments.cache import current_version

    dump = export(tmp_path / "dump")
    delete_tracker_rows()
    version = current_version()
    restore(dump)
    assert current_version() != version


# --- what is in the dump, and what is not ---------------------------------------------------------


def test_dump_holds_the_published_record_only(data, tmp_path):
    dump = export(tmp_path / "dump")
    everything = b"".join(dump_files(dump).values()).decode()
    for text in [*data.hidden_text, "COMMITMENTONLYEVIDENCE", "DRAFTREPORTINTRO", "STAFFNOTE",
                 *data.draft_evidence_urls, data.draft_c.slug, data.archived_c.slug]:
        assert text not in everything, text

    slugs = {r["slug"] for r in rows(dump, "commitments")}
    assert slugs == {c.slug for c in data.public} | {"undated-unicode"}
    public_ids = {str(c.pk) for c in [*data.public, data.undated]}
    updates = rows(dump, "status_updates")
    assert {r["commitment_id"] for r in updates} <= public_ids
    assert str(data.draft_update.pk) not in {r["id"] for r in updates}
    (withdrawn,) = [r for r in updates if r["id"] == str(data.withdrawn.pk)]
    assert withdrawn["withdraw_reason"] == "The report was about another one." and withdrawn["withdrawn_at"]
    assert withdrawn["publish_reason"] == factories.REASON
    evidence = rows(dump, "evidence")
    assert {r["status_update_id"] for r in evidence} <= {r["id"] for r in updates}
    assert all(r["status_update_id"] for r in evidence)
    assert [r["slug"] for r in rows(dump, "progress_reports")] == [data.report.slug]
    assert rows(dump, "commitment_related") == [
        {"commitment_id": str(min(data.expert.pk, data.exchange.pk)),
         "related_id": str(max(data.expert.pk, data.exchange.pk))}]
    for name in ("commitment_actors", "commitment_countries", "commitment_themes"):
        assert {r["commitment_id"] for r in rows(dump, name)} <= public_ids
    # Sources and taxonomy entries: the public ones (a published commitment uses them), as their pages.
    for name, model in (("sources", Source), ("actors", Actor), ("countries", Country), ("themes", Theme)):
        assert {r["slug"] for r in rows(dump, name)} == set(model.objects.public().values_list("slug", flat=True))
    assert not {"draft-only-source", "draft-only-theme", "draft-only-actor", "mn"} & {
        r["slug"] for name in ("sources", "actors", "countries", "themes") for r in rows(dump, name)}
    assert "notes" not in rows(dump, "sources")[0]

    undated = next(r for r in rows(dump, "commitments") if r["slug"] == "undated-unicode")
    assert undated["title"] == UNICODE_TITLE and undated["quote"] == UNICODE_QUOTE  # raw text; pages escape it
    assert undated["date_made"] == ""
    as_json = json.loads((dump / "commitments.json").read_text(encoding="utf-8"))
    assert next(r for r in as_json if r["slug"] == "undated-unicode")["date_made"] is None
    report = json.loads((dump / "progress_reports.json").read_text(encoding="utf-8"))[0]
    assert report["snapshot"] == ProgressReport.objects.get(pk=data.report.pk).snapshot
    assert json.loads(rows(dump, "progress_reports")[0]["snapshot"]) == report["snapshot"]


def test_datapackage_follows_the_frictionless_spec(data, tmp_path):
    dump = export(tmp_path / "dump")
    pkg = package(dump)
    assert pkg["name"] == "commitments-tracker" and pkg["title"]
    assert pkg["licenses"] == [dataset.LICENSE] and pkg["licenses"][0]["name"] == "ODC-BY-1.0"
    assert "publisher should confirm" in pkg["description"]
    assert pkg["created"].endswith("Z") and pkg["synthetic"] is False
    names = {r["name"] for r in pkg["resources"]}
    files = {p.name for p in dump.iterdir()} - {"datapackage.json"}
    assert {r["path"] for r in pkg["resources"]} == files
    for resource in pkg["resources"]:
        assert {"name", "path", "format", "mediatype"} <= resource.keys()
        if resource["format"] == "json":
            assert resource["mediatype"] == "application/json"
            continue
        assert resource["mediatype"] == "text/csv"
        schema = resource["schema"]
        header = next(csv.reader(open(dump / resource["path"], encoding="utf-8", newline="")))  # noqa: SIM115
        assert [f["name"] for f in schema["fields"]] == header
        assert {f["type"] for f in schema["fields"]} <= {"string", "integer", "date", "datetime", "boolean", "object"}
        assert set(schema["primaryKey"]) <= set(header)
        for fk in schema.get("foreignKeys", []):
            assert fk["fields"] in header
            assert fk["reference"]["resource"] in names | {""}
    commitments = next(r for r in pkg["resources"] if r["name"] == "commitments")
    types = {f["name"]: f["type"] for f in commitments["schema"]["fields"]}
    assert types["date_made"] == "date" and types["is_synthetic"] == "boolean" and types["source_id"] == "integer"
    reports = next(r for r in pkg["resources"] if r["name"] == "progress_reports")
    assert {f["name"]: f["type"] for f in reports["schema"]["fields"]}["snapshot"] == "object"
    assert {f["name"]: f["type"] for f in reports["schema"]["fields"]}["published_at"] == "datetime"


# --- refusals and atomicity ---------------------------------------------------------------


def test_import_refuses_a_database_that_is_not_empty(data, tmp_path):
    dump = export(tmp_path / "dump")
    before = Commitment.objects.count()
    with pytest.raises(CommandError, match="already holds tracker data"):
        restore(dump)
    assert Commitment.objects.count() == before


def test_export_refuses_a_non_empty_folder_without_force(data, tmp_path):
    dump = export(tmp_path / "dump")
    with pytest.raises(CommandError, match="not empty; use --force"):
        export(dump)
    (dump / "stray.txt").write_text("left from before")
    export(dump, "--force")
    assert not (dump / "stray.txt").exists()
    assert (dump / "commitments.csv").exists()
    # Even --force never wipes a folder that is not an earlier dump.
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(CommandError, match="not an earlier dump"):
        export(other, "--force")
    assert [p.name for p in other.iterdir()] == ["notes.txt"]
    # An empty folder is fine without --force.
    empty = tmp_path / "empty"
    empty.mkdir()
    export(empty)
    assert (empty / "datapackage.json").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_failed_export_leaves_no_folder_behind(data, tmp_path, monkeypatch):
    real = dataset.export._write_table  # patched where export_dataset looks it up

    def failing(table, folder):
        if table.name == "status_updates":
            raise RuntimeError("disk full")
        return real(table, folder)

    monkeypatch.setattr(dataset.export, "_write_table", failing)
    with pytest.raises(RuntimeError):
        export(tmp_path / "dump")
    assert list(tmp_path.iterdir()) == []
    # …and an earlier dump replaced with --force survives a failed export untouched.
    monkeypatch.setattr(dataset.export, "_write_table", real)
    dump = export(tmp_path / "dump")
    before = dump_files(dump)
    monkeypatch.setattr(dataset.export, "_write_table", failing)
    with pytest.raises(RuntimeError):
        export(dump, "--force")
    assert dump_files(dump) == before
    assert [p.name for p in tmp_path.iterdir()] == ["dump"]


def test_synthetic_data_is_exported_only_when_allowed_and_then_says_so(data, tmp_path):
    Theme.objects.filter(pk=data.pcve.pk).update(is_synthetic=True)
    with pytest.raises(CommandError, match="synthetic"):
        export(tmp_path / "dump")
    assert not (tmp_path / "dump").exists()
    dump = export(tmp_path / "dump", "--allow-synthetic")
    pkg = package(dump)
    assert pkg["synthetic"] is True
    assert pkg["description"].startswith("SYNTHETIC DATA") and "SYNTHETIC" in pkg["title"]
    assert {r["slug"]: r["is_synthetic"] for r in rows(dump, "themes")}["pcve"] == "true"


# --- a damaged dump imports nothing and says where ------------------------------------------------


def rewrite_csv(path: Path, change) -> list[int]:
    """Rewrite a CSV, letting ``change(index, row)`` alter rows (index 0 is the header); the physical
    line on which each row starts (rows may span lines)."""
    with open(path, encoding="utf-8", newline="") as f:
        records = list(csv.reader(f))
    out, starts = io.StringIO(newline=""), []
    writer = csv.writer(out, lineterminator="\r\n")
    for i, record in enumerate(records):
        starts.append(out.getvalue().count("\n") + 1)
        writer.writerow(change(i, list(record)) or record)
    path.write_text(out.getvalue(), encoding="utf-8", newline="")
    return starts


def set_cell(path: Path, *, column: str, value: str, where) -> int:
    """Set ``column`` of the (last) row for which ``where(row_dict)`` holds; return its line."""
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        target = max(i for i, r in enumerate(reader, start=1) if where(dict(zip(header, r, strict=True))))

    def change(i, record):
        if i == target:
            record[header.index(column)] = value
            return record

    return rewrite_csv(path, change)[target]


def set_field(dump: Path, table: str, *, column: str, value, where) -> int:
    """Set ``column`` of the (last) row for which ``where(json_row)`` holds in both copies, JSON and CSV, as
    a hand edit of both would; return the row's line in the JSON file (the copy that is restored)."""
    path = dump / f"{table}.json"
    lines = path.read_text(encoding="utf-8").split("\n")
    target = max(i for i, t in enumerate(lines) if t.startswith("{") and where(json.loads(t.removesuffix(","))))
    item = json.loads(lines[target].removesuffix(","))
    item[column] = value
    lines[target] = json.dumps(item, ensure_ascii=False) + ("," if lines[target].endswith(",") else "")
    path.write_text("\n".join(lines), encoding="utf-8")
    header = rows_header(dump / f"{table}.csv")

    def change(i, record):  # row k is on line k + 1 of the JSON and is record k of the CSV
        if i == target:
            record[header.index(column)] = "" if value is None else str(value)
            return record

    rewrite_csv(dump / f"{table}.csv", change)
    return target + 1


def rows_header(path: Path) -> list[str]:
    with open(path, encoding="utf-8", newline="") as f:
        return next(csv.reader(f))


def import_error(dump: Path) -> str:
    stderr = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("import_dataset", str(dump), stdout=io.StringIO(), stderr=stderr)
    message = str(exc.value)
    assert "\n" not in message
    assert dataset.tracker_rows() == [], "nothing may be written"
    return message


@pytest.fixture
def damaged(data, tmp_path):
    dump = export(tmp_path / "dump")
    delete_tracker_rows()
    return dump


def test_bad_date_names_file_and_line(damaged):
    line = set_field(damaged, "commitments", column="date_made", value="2019-13-45",
                     where=lambda r: r["slug"] == "deploy-ct-expert")
    message = import_error(damaged)
    assert f"commitments.json, line {line}: date_made: '2019-13-45' is not a date (YYYY-MM-DD)" in message


def test_a_value_of_the_wrong_json_type_is_named(damaged):
    line = set_field(damaged, "sources", column="title", value=42, where=lambda r: True)
    assert f"sources.json, line {line}: title: 42 is not text" in import_error(damaged)


def test_a_csv_that_differs_from_its_json_is_named_by_physical_line(damaged):
    line = set_cell(damaged / "commitments.csv", column="due_date", value="someday",
                    where=lambda r: r["slug"] == "undated-unicode")
    # Earlier rows hold fields spanning two lines: the line named is the line in the file, not the row number.
    index = [r["slug"] for r in rows(damaged, "commitments")].index("undated-unicode")
    assert line > index + 2
    with open(damaged / "commitments.csv", encoding="utf-8", newline="") as f:
        physical = re.split(r"\r\n|\n|\r", f.read())
    assert physical[line - 1].startswith(f"{data_pk(damaged, 'undated-unicode')},undated-unicode,")
    assert (f"commitments.csv, line {line}: due_date is 'someday' but commitments.json, line {index + 2} gives '';"
            " the two copies differ") in import_error(damaged)


def test_a_json_file_cut_short_is_named(damaged):
    path = damaged / "status_updates.json"
    path.write_text(path.read_text(encoding="utf-8").rsplit("\n", 3)[0] + "\n", encoding="utf-8")
    assert "status_updates.json: no closing ']' (is the file cut short?)" in import_error(damaged)


def data_pk(dump: Path, slug: str) -> str:
    return next(r["id"] for r in rows(dump, "commitments") if r["slug"] == slug)


def test_missing_column_names_file_and_header_line(damaged):
    rewrite_csv(damaged / "themes.csv", lambda i, r: r[:1] + r[2:])  # drop "slug"
    assert "themes.csv, line 1: bad header: missing column(s) slug" in import_error(damaged)


def test_dangling_foreign_key_names_file_and_line(damaged):
    line = set_field(damaged, "status_updates", column="commitment_id", value=999999, where=lambda r: True)
    assert f"status_updates.json, line {line}: commitment_id 999999 is not an id in commitments.json" in import_error(
        damaged)


def test_dangling_link_names_file_and_line(damaged):
    line = set_field(damaged, "commitment_themes", column="theme_id", value=424242, where=lambda r: True)
    assert f"commitment_themes.json, line {line}: theme_id 424242 is not an id in themes.json" in import_error(
        damaged)


def test_missing_file_is_named(damaged):
    (damaged / "evidence.json").unlink()
    assert "evidence.json: missing file" in import_error(damaged)


def test_a_status_that_does_not_follow_from_the_updates_is_refused(damaged):
    line = set_field(damaged, "commitments", column="current_status", value="abandoned",
                     where=lambda r: r["slug"] == "deploy-ct-expert")
    message = import_error(damaged)
    assert f"commitments.json, line {line}: current_status abandoned" in message
    assert "(achieved as of 2022-03-01)" in message


def test_a_file_changed_since_export_is_refused(damaged):
    set_field(damaged, "themes", column="name", value="P/CVE edited", where=lambda r: r["slug"] == "pcve")
    message = import_error(damaged)  # both copies agree, so the size and hash in datapackage.json tell
    assert message.startswith("Nothing imported: themes.csv: ") and "datapackage.json says" in message


def test_not_a_dump(tmp_path, db):
    assert "datapackage.json: missing" in import_error(tmp_path)


def test_several_problems_are_all_listed(damaged):
    set_field(damaged, "sources", column="date", value="2019-02-30", where=lambda r: True)
    set_field(damaged, "evidence", column="status_update_id", value=None, where=lambda r: True)
    stderr = io.StringIO()
    with pytest.raises(CommandError, match=r"and 1 more problem, listed above"):
        call_command("import_dataset", str(damaged), stdout=io.StringIO(), stderr=stderr)
    listed = stderr.getvalue().splitlines()
    assert len(listed) == 2
    assert listed[0].startswith("sources.json, line ") and "is not a date" in listed[0]
    assert listed[1].startswith("evidence.json, line ")
    assert "status_update_id: is null; a value is required" in listed[1]



def reseal(dump: Path) -> None:
    """Make datapackage.json's sizes and hashes match the files again, as a crafted dump would."""
    meta = package(dump)
    for resource in meta["resources"]:
        path = dump / resource["path"]
        resource["bytes"] = path.stat().st_size
        resource["hash"] = "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    (dump / "datapackage.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")


@pytest.mark.parametrize("path", ["../../etc/passwd", "/etc/passwd", "evidence/../../../etc/passwd"])
def test_a_document_path_outside_media_root_is_refused(damaged, path):
    set_cell(damaged / "evidence.csv", column="document", value=path,
                    where=lambda r: r["document"] == "evidence/2023/report.pdf")
    as_json = json.dumps(path)[1:-1]
    text = (damaged / "evidence.json").read_text(encoding="utf-8")
    (damaged / "evidence.json").write_text(text.replace("evidence/2023/report.pdf", as_json), encoding="utf-8")
    reseal(damaged)
    json_line = next(n for n, row in enumerate(text.splitlines(), 1) if "evidence/2023/report.pdf" in row)
    message = import_error(damaged)  # one line, nothing written; the restore reads (and names) the JSON copy
    assert message == f"Nothing imported: evidence.json, line {json_line}: document {path!r} is outside MEDIA_ROOT " \
                      "(an absolute path or one with '..')"
    assert not Evidence.objects.exists()


# --- every value the models accept comes back exactly --------------------------------------------------

# Text that trips spreadsheets, CSV and JSON lines: formula starts, tab, CRLF, CR, LF, quotes, commas,
# right-to-left text and marks, emoji with joiners, Cyrillic, a no-break space, a byte-order mark, a backslash.
AWKWARD = ('=THEME("x")\t+1 -2 @A1, "quoted" \'single\' ;\r\nCRLF\rCR\nLF — Қазақстан Oʻzbekiston '
           "مرحبا בעברית \u200f\u202e 😀 👩\u200d👩\u200d👧 \u00a0nbsp \ufeffbom \\ back ")
HUGE = 1_000_000  # a text field far beyond any other limit (csv's default field limit is 131,072)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text(n: int, start: str = "") -> str:
    """Exactly ``n`` characters: ``start``, then AWKWARD over and over."""
    return (start + AWKWARD * (n // len(AWKWARD) + 1))[:n]


def longest(model, name: str, start: str = "") -> str:
    """The longest text ``model.name`` accepts (its max_length), starting with ``start``."""
    return text(model._meta.get_field(name).max_length, start)


def longest_url(model, name: str) -> str:
    start = "https://example.org/Қазақстан/😀/?q=a&b=\"c\"#"
    return (start + "x" * 2000)[:model._meta.get_field(name).max_length]


def build_extremes(publisher) -> SimpleNamespace:
    """One row of each kind at its largest, one at its emptiest; every text starting with something awkward."""
    ns = SimpleNamespace()
    ns.theme_formula = Theme.objects.create(slug="-" + "t" * 99, name=longest(Theme, "name", '=THEME("x")'))
    ns.theme_quoted = Theme.objects.create(slug="quoted", name="'=already quoted", is_synthetic=True)
    ns.theme_plain = Theme.objects.create(slug="plain", name="Plain")
    actors = [Actor.objects.create(slug=f"a{i}", name=longest(Actor, "name", s)) for i, s in enumerate("+@\t")]
    countries = [Country.objects.create(slug="kz", name=longest(Country, "name", "-")),
                 Country.objects.create(slug="tj", name="\rCR first")]
    ns.full_source = Source.objects.create(
        slug="s" * 100, title=longest(Source, "title", "@"), issuer=longest(Source, "issuer", "+"),
        date=date(1, 1, 1), date_note=text(HUGE, "-"), kind=Source.Kind.STRATEGY,
        url=longest_url(Source, "url"), notes=text(HUGE, "="), is_synthetic=True)
    ns.bare_source = Source.objects.create(slug="bare", title="T", issuer="I", date=None,
                                           kind=Source.Kind.CONFERENCE_STATEMENT)
    c = ns.full = Commitment.objects.create(
        slug="-" + "c" * 99, title=longest(Commitment, "title", "="), quote=text(HUGE, "+"),
        quote_context=text(HUGE, "\r\n"), source=ns.full_source, attributed_to=ns.bare_source,
        location=longest(Commitment, "location", "-"), statement_type=Commitment.StatementType.PLEDGE,
        scope_note=text(HUGE, "@"), date_made=date(1, 1, 1), date_note=text(HUGE, "\t"),
        due_date=date(9999, 12, 31), due_text=longest(Commitment, "due_text", "'="),
        actors_basis=Commitment.ActorsBasis.STATED, actors_note=text(HUGE, "="),
        other_countries=longest(Commitment, "other_countries", "\t"), is_synthetic=True,
        state=Commitment.State.PUBLISHED)
    ns.bare = Commitment.objects.create(slug="b", title="B", quote="Q", source=ns.bare_source, date_made=None,
                                        state=Commitment.State.PUBLISHED)
    c.actors.set(actors)
    c.countries.set(countries)
    c.themes.set([ns.theme_formula, ns.theme_quoted, ns.theme_plain])
    c.related.add(ns.bare)
    today = timezone.localdate()  # the latest as-of and evidence date the models accept
    for as_of, status, when in ((date(1, 1, 1), "stalled", datetime(2000, 2, 29, 0, 0, 0, 1, tzinfo=UTC)),
                                (today, "achieved", datetime(2024, 12, 31, 23, 59, 59, 999999, tzinfo=UTC))):
        u = StatusUpdate.objects.create(commitment=c, status=status, as_of=as_of, summary=text(HUGE, "="),
                                        confidence=StatusUpdate.Confidence.HIGH, is_synthetic=True)
        Evidence.objects.create(
            commitment=c, status_update=u, title=longest(Evidence, "title", "-"),
            publisher=longest(Evidence, "publisher", "="), date=as_of, url=longest_url(Evidence, "url"),
            document=("evidence/Қазақстан 😀 =" + "d" * 100)[:Evidence._meta.get_field("document").max_length],
            stance=Evidence.Stance.SUPPORTS, description=text(HUGE, "@"), quote=text(HUGE, "\t"),
            indicates=factories.INDICATES_FOR[status], is_synthetic=True)
        Evidence.objects.create(commitment=c, status_update=u, title="E", publisher="P", date=None,
                                url="https://example.org/e", stance=Evidence.Stance.CONTRADICTS)
        services.publish_status_update(update=u, user=publisher, reason=factories.REASON)
        StatusUpdate.objects.filter(pk=u.pk).update(published_at=when)
    services.refresh_current_status(commitment=Commitment.objects.get(pk=c.pk))
    snapshot = {"text": text(HUGE, "="), "nested": {"é": [1, -2, 2.5, None, True, False, "😀\r\n"]}, "": {}}
    first = ProgressReport.objects.create(
        slug="r" * 100, title=longest(ProgressReport, "title", "="),
        period_label=longest(ProgressReport, "period_label", "+"), start=date(1, 1, 1), end=date(9999, 12, 31),
        introduction=text(HUGE, "-"), state=ProgressReport.State.PUBLISHED, snapshot=snapshot,
        published_at=datetime(2025, 1, 1, 0, 0, 0, 123456, tzinfo=UTC))
    ProgressReport.objects.create(slug="second", title="Second", period_label="2025", start=date(2025, 1, 1),
                                  end=date(2025, 12, 31), state=ProgressReport.State.PUBLISHED, snapshot={},
                                  supersedes=first, published_at=datetime(2026, 1, 1, tzinfo=UTC))
    return ns


def dumped_rows() -> dict[str, list[tuple]]:
    """Every value of every table the dump holds, as the database gives it."""
    return {t.name: list(t.rows().values_list(*[c.attr for c in t.columns])) for t in dataset.tables()}


@pytest.fixture(scope="module")
def extremes(django_db_setup, django_db_blocker, tmp_path_factory):
    """The extreme rows, built and exported once for the module, then rolled back: the dump and what it holds."""
    with django_db_blocker.unblock(), transaction.atomic():
        ns = build_extremes(factories.publisher())
        ns.source_notes = Source.objects.get(pk=ns.full_source.pk).notes
        ns.rows = dumped_rows()
        ns.dump = export(tmp_path_factory.mktemp("extremes") / "dump", "--allow-synthetic")
        transaction.set_rollback(True)
    return ns


def test_every_value_the_models_accept_comes_back_exactly(extremes, db, tmp_path):
    assert extremes.source_notes == text(HUGE, "=")  # stored whole
    assert all(extremes.rows.values()), "every table holds rows"
    restore(extremes.dump)
    assert dumped_rows() == extremes.rows
    assert Source.objects.get(slug="s" * 100).notes == ""  # staff only: not in the dump
    assert Theme.objects.get(slug="quoted").name == "'=already quoted"  # an apostrophe typed is kept
    assert ProgressReport.objects.get(slug="r" * 100).snapshot["nested"] == {
        "é": [1, -2, 2.5, None, True, False, "😀\r\n"]}
    # …and a dump of the restored database is the same dump, byte for byte.
    again = export(tmp_path / "again", "--allow-synthetic")
    first, second = dump_files(extremes.dump), dump_files(again)
    assert first.keys() == second.keys()
    for name in first:
        if name != "datapackage.json":
            assert first[name] == second[name], name


def test_a_source_note_is_not_in_the_dump_and_one_from_a_dump_of_version_3_is_restored(data, tmp_path):
    """Dumps before version 4 held a source's notes; they still restore, into the staff-only field, however long."""
    Source.objects.filter(pk=data.strategy.pk).update(notes=text(150_000, "Coverage: "))
    dump = export(tmp_path / "dump")
    assert "Coverage: " not in b"".join(dump_files(dump).values()).decode()
    delete_tracker_rows()
    as_older_version(dump, 3, notes={data.strategy.slug: text(150_000, "Coverage: ")})
    assert dataset.check_dataset(dump) == []
    restore(dump)
    assert Source.objects.get(slug=data.strategy.slug).notes == text(150_000, "Coverage: ")
    again = export(tmp_path / "again")  # and a new dump leaves them out again
    assert "Coverage: " not in b"".join(dump_files(again).values()).decode()
    assert package(again)["tracker_format_version"] == dataset.FORMAT_VERSION == 5


def test_a_dump_of_version_3_without_its_notes_column_is_refused(data, tmp_path):
    dump = export(tmp_path / "dump")
    pkg = package(dump)
    pkg["tracker_format_version"] = 3
    (dump / "datapackage.json").write_text(json.dumps(pkg), encoding="utf-8")
    problems = [str(p) for p in dataset.check_dataset(dump)]
    assert any("resource 'sources' lists fields" in p and "'notes'" in p for p in problems), problems


def read_big_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        limit = csv.field_size_limit(path.stat().st_size)
        try:
            return list(csv.DictReader(f, strict=True))
        finally:
            csv.field_size_limit(limit)


def test_the_dump_csv_neutralises_formulas_as_export_csv_does_and_its_json_keeps_the_text(extremes, db, client):
    themes = {r["id"]: r for r in read_big_csv(extremes.dump / "themes.csv")}
    name = extremes.theme_formula.name
    formula, quoted, plain = (str(t.pk) for t in (extremes.theme_formula, extremes.theme_quoted, extremes.theme_plain))
    assert themes[formula]["name"] == "'" + name  # a spreadsheet shows it as text
    assert themes[formula]["slug"] == "'-" + "t" * 99
    assert themes[quoted]["name"] == "'=already quoted"
    assert themes[plain]["name"] == "Plain"
    as_json = {str(r["id"]): r for r in json.loads((extremes.dump / "themes.json").read_text(encoding="utf-8"))}
    assert as_json[formula]["name"] == name and as_json[formula]["slug"] == "-" + "t" * 99
    # Every text cell that starts like a formula is neutralised; numbers, dates and JSON objects are data.
    for table in dataset.tables():
        for row in read_big_csv(extremes.dump / table.csv):
            for column in table.columns:
                value = row[column.name]
                assert not value.startswith(FORMULA_STARTS), (table.csv, column.name, value[:20])
    # The same cells as in /commitments/export.csv, which uses the same function.
    restore(extremes.dump)
    response = client.get("/commitments/export.csv")
    limit = csv.field_size_limit(1 << 24)  # the export carries the (very long) quote since format version 2
    try:
        exported = {r["slug"]: r for r in csv.DictReader(io.StringIO(
            b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff"), newline=""))}
    finally:
        csv.field_size_limit(limit)
    dumped = {r["id"]: r for r in read_big_csv(extremes.dump / "commitments.csv")}
    full = dumped[str(extremes.full.pk)]
    assert full["slug"] == "'-" + "c" * 99 and full["slug"] in exported
    assert full["title"] == exported[full["slug"]]["title"] == "'" + extremes.full.title
    assert full["location"] == "'" + extremes.full.location


def test_a_dump_of_format_version_1_with_raw_csv_text_still_restores(data, tmp_path):
    data.expert.themes.add(factories.theme(slug="formula", name="=Formula theme"))  # public: in the dump
    StatusUpdate.objects.withdrawn().delete()  # there were no withdrawals before format 3
    dump = export(tmp_path / "dump")
    delete_tracker_rows()
    # Version 1 wrote the CSV's text raw: take the apostrophes off again, as that version wrote it.
    rewrite_csv(dump / "themes.csv", lambda i, r: [c.removeprefix("'") for c in r])
    assert ",=Formula theme," in (dump / "themes.csv").read_text(encoding="utf-8")
    as_older_version(dump, 1)
    restore(dump)
    assert Theme.objects.get(slug="formula").name == "=Formula theme"


def as_older_version(dump: Path, version: int, *, notes: dict[str, str] | None = None) -> None:
    """Rewrite a dump as format ``version`` wrote it: its tables' columns (``dataset.tables(version)``),
    without those added later (``ADDED_IN``) and with those dropped since (``DROPPED_IN``: a source's
    ``notes``, from ``notes``: slug -> text, else empty). Text cells are kept as they are."""
    notes = notes or {}
    pkg = package(dump)
    pkg["tracker_format_version"] = version
    layouts = {t.name: t for t in dataset.tables(version)}
    for resource in pkg["resources"]:
        table = layouts[resource["name"].removesuffix("-json")]
        path = dump / resource["path"]
        if "schema" in resource:  # the JSON copies' resources have none
            resource["schema"]["fields"] = [c.descriptor() for c in table.columns]
        if path.suffix == ".csv":
            header = rows_header(path)
            columns = {c.name: c for c in table.columns}

            def change(i, r, header=header, table=table, columns=columns):
                if i == 0:
                    return table.names
                row = dict(zip(header, r, strict=True))
                return [row[name] if name in row else dataset.csv_value(columns[name], notes.get(row["slug"], ""),
                                                                         neutralised=version >= 2)
                        for name in table.names]

            rewrite_csv(path, change)
        else:
            lines = path.read_text(encoding="utf-8").split("\n")
            for n, line in enumerate(lines):
                if line.startswith("{"):
                    item = json.loads(line.removesuffix(","))
                    item = {name: item[name] if name in item else notes.get(item["slug"], "") for name in table.names}
                    lines[n] = json.dumps(item, ensure_ascii=False) + ("," if line.endswith(",") else "")
            path.write_text("\n".join(lines), encoding="utf-8")
        body = path.read_bytes()
        resource["bytes"], resource["hash"] = len(body), f"sha256:{hashlib.sha256(body).hexdigest()}"
    (dump / "datapackage.json").write_text(json.dumps(pkg), encoding="utf-8")


def test_a_dump_of_format_version_2_restores_with_day_precision_and_derives_known_since(data, tmp_path):
    from commitments import dates

    StatusUpdate.objects.withdrawn().delete()  # there were no withdrawals before format 3
    dump = export(tmp_path / "dump")
    delete_tracker_rows()
    as_older_version(dump, 2)
    assert "date_precision" not in rows_header(dump / "sources.csv")
    restore(dump)
    assert set(Commitment.objects.values_list("due_precision", flat=True)) == {dates.Precision.DAY}
    for c in Commitment.objects.all():
        assert c.known_since == (c.date_made or c.source.date or min(
            (e.date for e in c.evidence.all() if e.date), default=None)), c.slug


def test_precisions_come_back_from_a_dump(data, tmp_path):
    """A month or a year stays a month or a year: restored with its precision, and checked against it."""
    from commitments import dates

    month, year = dates.Precision.MONTH, dates.Precision.YEAR
    Source.objects.filter(pk=data.strategy.pk).update(date=date(2019, 1, 1), date_precision=year)
    Commitment.objects.filter(pk=data.expert.pk).update(
        date_made=date(2019, 5, 1), date_made_precision=month, due_date=date(2020, 12, 31), due_precision=year,
        expected_end=date(2021, 6, 30), expected_end_precision=month, expected_end_note="Programme end")
    StatusUpdate.objects.filter(pk=data.expert_u1.pk).update(as_of=date(2020, 6, 1), as_of_precision=month)
    Evidence.objects.filter(status_update=data.expert_u1).update(date=date(2020, 1, 1), date_precision=year)
    services.refresh_known_since(commitment=data.expert)
    columns = ("date_made_precision", "due_precision", "expected_end", "expected_end_precision",
               "expected_end_note", "known_since")
    before = Commitment.objects.filter(pk=data.expert.pk).values(*columns).get()
    dump = export(tmp_path / "dump")
    assert rows(dump, "sources")[0]["date_precision"] in ("day", "year")
    delete_tracker_rows()
    restore(dump)
    assert Commitment.objects.filter(pk=data.expert.pk).values(*columns).get() == before
    assert Source.objects.get(pk=data.strategy.pk).date_precision == year
    assert StatusUpdate.objects.get(pk=data.expert_u1.pk).as_of_precision == month
    assert set(Evidence.objects.filter(status_update=data.expert_u1.pk).values_list("date_precision", flat=True)) == {
        year}


def test_a_date_that_is_not_the_day_its_precision_stores_is_refused(damaged):
    # 1 January 2025 is not the last day of 2025: a deadline "by 2025" is stored as 31 December.
    line = set_field(damaged, "commitments", column="due_precision", value="year",
                     where=lambda r: r["due_date"] == "2025-01-01")
    message = import_error(damaged)
    assert f"commitments.json, line {line}: due_date: A date known only to the year is stored as the last" in message


# --- frictionless (a tool nobody here wrote) reads the dump as its datapackage.json describes it ---------------


def frictionless_errors(dump: Path) -> list:
    import frictionless

    report = frictionless.validate(str(dump / "datapackage.json"))
    return report.flatten(["taskName", "rowNumber", "fieldName", "type", "note"])


def test_frictionless_validates_the_dump_with_no_error(data, tmp_path):
    assert frictionless_errors(export(tmp_path / "dump")) == []


def test_frictionless_validates_the_dump_of_the_extreme_rows_with_no_error(extremes):
    assert frictionless_errors(extremes.dump) == []


def test_frictionless_would_see_a_broken_cell(data, tmp_path):
    """The check above can fail: a date that is not ISO 8601 is a type error to frictionless."""
    dump = export(tmp_path / "dump")
    path = dump / "commitments.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("2019-05-15", "15/05/2019"), encoding="utf-8")
    assert "type-error" in {error[3] for error in frictionless_errors(dump)}
