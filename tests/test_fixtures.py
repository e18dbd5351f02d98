"""The real data in fixtures/: every quote and every deadline's wording is checked against the texts
shipped beside it, and the import of both fixture files gives the numbers, statuses and histories the
data promises."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, time, timedelta
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from django.db.models import F

from commitments import dates
from commitments.importing.stored_texts import parse_passages, verbatim
from commitments.models import Commitment, Evidence, Source, StatusUpdate
from commitments.status import Status

from .conftest import built_once

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
DATA_FILE = FIXTURES / "commitments-sources.yaml"
ASSESSMENTS_FILE = FIXTURES / "assessments.yaml"
DATA = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
ASSESSMENTS = yaml.safe_load(ASSESSMENTS_FILE.read_text(encoding="utf-8"))["assessments"]
SOURCES = {s["id"]: s for s in DATA["sources"]}
COMMITMENTS = {c["id"]: c for c in DATA["commitments"]}
# Every update in the file, with its commitment's slug, oldest first within each commitment.
UPDATES = [(a["commitment"], u) for a in ASSESSMENTS for u in a["updates"]]


def seed_text(name: str) -> str:
    return (FIXTURES / "sources" / name).read_text(encoding="utf-8")


def passage_file(source_id: str) -> list[tuple[str, str]]:
    """(url, text) pairs of a passage file (the importer's own reader of the format)."""
    return parse_passages((FIXTURES / "sources" / "passages" / f"{source_id}.txt").read_text(encoding="utf-8"))


def texts_read_at(c: dict) -> list[str]:
    """The stored texts a commitment was read from: its source's seed file or passages at its read_at."""
    source = SOURCES[c["source"]]
    texts = []
    for place in c["read_at"]:
        if place.startswith("seed:"):
            assert place == f"seed:{source['seed_file']}", "read from another source's seed"
            texts.append(seed_text(source["seed_file"]))
        elif source.get("passages"):
            texts += [text for url, text in passage_file(source["id"]) if url == place]
    return texts


def test_the_seed_texts_are_verbatim_copies_of_the_shared_ones():
    """The seed files are the shared dataset's, byte for byte. (The YAML itself departs from the shared
    copy since format v2: deadlines no stored text gives moved to ``expected_end``.)"""
    shared = Path(settings.BASE_DIR).parent / "shared" / "sources"
    if not shared.is_dir():
        pytest.skip("the shared sources folder is not available here")
    for name in ("000_08c1d9b984531f62.txt", "002_b36360eebc78460b.txt"):
        assert (FIXTURES / "sources" / name).read_bytes() == (shared / name).read_bytes()


def test_every_passage_file_matches_the_yaml_passages():
    with_passages = {sid for sid, s in SOURCES.items() if s.get("passages")}
    on_disk = {p.stem for p in (FIXTURES / "sources" / "passages").glob("*.txt")}
    assert on_disk == with_passages
    for sid in with_passages:
        assert passage_file(sid) == [(p["url"], p["text"]) for p in SOURCES[sid]["passages"]], sid


@pytest.mark.parametrize("cid", sorted(COMMITMENTS))
def test_every_commitment_quote_is_in_the_text_it_was_read_from(cid):
    c = COMMITMENTS[cid]
    texts = texts_read_at(c)
    assert texts, f"{cid}: nothing stored at its read_at"
    assert verbatim(c["quote"], texts), f"{cid}: quote not found verbatim in its source text"


def test_every_deadline_is_in_the_source_s_own_words():
    """A due date's wording is tested as the quotes are (the importer refuses it otherwise); an inferred
    end is an expected end, with a note saying where it comes from."""
    worded = {cid: c for cid, c in COMMITMENTS.items() if c.get("target_text")}
    for cid, c in worded.items():
        assert verbatim(c["target_text"], texts_read_at(c)), f"{cid}: target_text is not verbatim in its source"
    for cid, c in COMMITMENTS.items():
        assert not c.get("target_date") or c.get("target_text"), f"{cid}: a due date needs its words"
        assert bool(c.get("expected_end")) == bool(c.get("expected_end_note")), cid
    assert set(worded) == {"deploy-regional-security-ct-expert"}
    assert COMMITMENTS["leica-law-enforcement-response-to-terrorism"]["expected_end"].isoformat() == "2024-08-31"


def test_every_evidence_quote_read_from_a_seed_is_in_the_seed_text():
    seeds = {f"seed:{s['seed_file']}": seed_text(s["seed_file"]) for s in SOURCES.values() if s.get("seed_file")}
    checked = 0
    for c in COMMITMENTS.values():
        for item in c.get("status_evidence") or []:
            if item.get("read_at", "").startswith("seed:"):
                assert item["read_at"] in seeds
                if item.get("quote"):
                    assert item["quote"] in seeds[item["read_at"]], c["id"]
                    checked += 1
    assert checked >= 3


def test_assessment_rules_hold_in_the_file():
    assert len({a["commitment"] for a in ASSESSMENTS}) == len(ASSESSMENTS), "one history per commitment"
    for a in ASSESSMENTS:
        c = COMMITMENTS[a["commitment"]]
        assert c["statement_type"] != "proposal", "proposals are never assessed"
        as_ofs = [dates.parse(u["as_of"])[0] for u in a["updates"]]
        assert as_ofs == sorted(as_ofs), f"{a['commitment']}: updates go oldest first"
        for u, as_of in zip(a["updates"], as_ofs, strict=True):
            if c["date_made"]:
                assert as_of >= dates.parse(c["date_made"])[0], "an update cannot be older than its commitment"
            assert as_of <= u["published_on"], "an assessment is published after the day it describes"
            assert u["reason"].strip() and u["evidence"]
    assessed = {a["commitment"] for a in ASSESSMENTS}
    assert "upgrade-to-strategic-partnership-2025" not in assessed
    assert "deploy-regional-security-ct-expert" not in assessed


@pytest.fixture(scope="module")
def imported_once(django_db_setup, django_db_blocker):
    """The real data, imported once for the module (every test below reads it; their writes are undone)."""
    with built_once(django_db_blocker, lambda: call_command(
            "import_commitments", str(DATA_FILE), str(ASSESSMENTS_FILE), stdout=StringIO())):
        yield


@pytest.fixture
def imported(imported_once, db):
    """The imported real data, in this test's own savepoint."""


def test_import_gives_the_promised_numbers(imported):
    assert Source.objects.count() == 25
    assert Commitment.objects.count() == 56
    assert Commitment.objects.public().count() == 56
    assert StatusUpdate.objects.count() == len(UPDATES)
    # One evidence row per item, or per update naming it when several updates do.
    named = Counter()
    for slug, u in UPDATES:
        for ref in [*u["evidence"], *(u.get("contradicting") or [])]:
            named[(slug, ref)] += 1
    rows = 0
    for slug, c in COMMITMENTS.items():
        for e in c.get("status_evidence") or []:
            if e["indicates"] != "no evidence found":
                rows += max(1, sum(n for (s, ref), n in named.items()
                                   if s == slug and ref in (e.get("url"), e.get("read_at"), e["date"])))
    assert Evidence.objects.count() == rows


def test_every_status_update_is_published_on_its_own_day_and_backed_by_earlier_evidence(imported):
    published_on = {(slug, dates.parse(u["as_of"])[0], u["status"]): u["published_on"] for slug, u in UPDATES}
    for update in StatusUpdate.objects.select_related("commitment"):
        evidence = list(update.evidence.all())
        assert update.is_published
        day = published_on[(update.commitment.slug, update.as_of, update.status)]
        assert update.published_at == datetime.combine(day, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE)), (
            "an imported update is published on its assessment's own day, never the install day")
        assert update.publish_reason
        assert any(e.stance == Evidence.Stance.SUPPORTS for e in evidence), update.commitment.slug
        assert all(e.date for e in evidence), "undated evidence cannot back an update"
        last = dates.period_end(update.as_of, update.as_of_precision)
        assert all(e.date <= last for e in evidence), update.commitment.slug
        assert update.commitment.date_made is None or update.as_of >= update.commitment.date_made


def test_undated_commitments_stay_undated(imported):
    """Five sources are undated: their commitments keep no date made rather than an invented one."""
    undated = set(Commitment.objects.filter(date_made=None).values_list("slug", flat=True))
    assert undated == {slug for slug, c in COMMITMENTS.items() if c.get("date_made") is None}
    assert len(undated) == 5


def test_statuses_after_import(imported):
    statuses = dict(Commitment.objects.values_list("slug", "current_status"))
    assessed = {a["commitment"]: a["updates"][-1]["status"] for a in ASSESSMENTS}
    for slug, status in statuses.items():
        assert status == assessed.get(slug, Status.NOT_ASSESSED), slug
    assert statuses["deploy-regional-security-ct-expert"] == Status.NOT_ASSESSED
    assert statuses["upgrade-to-strategic-partnership-2025"] == Status.NOT_ASSESSED
    assert statuses["conclude-epca-negotiations-uzbekistan-kyrgyzstan"] == Status.ACHIEVED
    assert statuses["launch-ct-ve-dialogue-2025"] == Status.ACHIEVED
    proposals = Commitment.objects.filter(statement_type=Commitment.StatementType.PROPOSAL)
    assert proposals.count() == 3
    assert set(proposals.values_list("current_status", flat=True)) == {Status.NOT_ASSESSED}


def test_commitment_fields_survive_the_import(imported):
    for c in Commitment.objects.all():
        row = COMMITMENTS[c.slug]
        assert c.quote == row["quote"]
        assert c.statement_type == row["statement_type"]
        assert c.actors_basis == row["actors_basis"]
        assert c.source.slug == row["source"]
    expert = Commitment.objects.get(slug="deploy-regional-security-ct-expert")
    assert expert.attributed_to.slug == "eu-strategy-central-asia-2019"
    assert expert.due_text == "shortly"
    assert "No stored source found confirming" in expert.research_note
    seed_evidence = expert.evidence.get(date="2019-05-17")
    assert seed_evidence.url == SOURCES["seed-eu-dushanbe-ct-conference-2019"]["url"]
    assert Commitment.objects.get(slug="bomca-phase-10").other_countries == "Afghanistan"
    leica = Commitment.objects.get(slug="leica-law-enforcement-response-to-terrorism")
    assert (leica.due_date, leica.due_text, leica.expected_end.isoformat()) == (None, "", "2024-08-31")
    assert not leica.is_overdue, "an inferred end never makes a commitment overdue"
    assert not Commitment.objects.exclude(due_date=None).exists(), "no stored text gives a dated deadline"


def test_imported_commitments_history_says_they_were_published_and_nothing_else(imported, client):
    """Setting actors, countries and themes on import is not a change readers should see: the public
    history holds the publication (and any assessment), each with its reason, and no correction."""
    from commitments.importing.importer import IMPORT_COMMITMENT_REASON

    commitment = Commitment.objects.get(slug="cooperate-on-returning-terrorist-fighters")
    kinds = [e.kind for e in commitment.public_changes.all()]
    assert kinds.count("published") == 1 and set(kinds) <= {"published", "update_published"}
    page = client.get(commitment.get_absolute_url()).content.decode()
    from .test_public_pages import text

    assert f"Published. Reason: {IMPORT_COMMITMENT_REASON}" in text(page)
    assert "Corrected" not in page


def test_no_commitment_exists_before_it_is_known_to(imported, client):
    """A fresh install: no commitment in a view of a day before any is known, each undated one from its
    source's date or first evidence, and each page says which."""
    assert not Commitment.objects.exclude(date_made=None).exclude(known_since=F("date_made")).exists()
    response = client.get("/commitments/?as_of=1900-01-01")
    assert response.status_code == 200 and response.context["page"].paginator.count == 0
    for c in Commitment.objects.filter(date_made=None).select_related("source"):
        first_evidence = min((e.date for e in c.evidence.all() if e.date), default=None)
        assert c.known_since == (c.source.date or first_evidence), c.slug
        page = client.get(c.get_absolute_url()).content.decode()
        assert "Undated:" in page, c.slug
        if c.known_since is not None:
            assert c in Commitment.objects.public().at(c.known_since)
            assert c not in Commitment.objects.public().at(c.known_since - timedelta(days=1))


def test_the_change_history_of_an_import_is_dated_by_the_data_never_by_the_install(imported):
    """Publications are dated by the day the dataset was compiled, assessments by their ``published_on``:
    midnight of a fixture's day, never the moment the import ran."""
    from django.utils import timezone

    from commitments.models import PublicChange

    meta = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))["meta"]
    changes = list(PublicChange.objects.all())
    assert changes
    for change in changes:
        local = timezone.localtime(change.happened_at)
        assert local.time() == time(0, 0), (change, local)
        if change.kind == "published":
            assert local.date() == meta["compiled_on"], change
