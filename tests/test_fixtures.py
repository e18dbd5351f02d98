"""The real data in fixtures/: every quote is checked against the texts shipped beside it, and the
import of both fixture files gives the numbers and statuses the data promises."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command

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


def seed_text(name: str) -> str:
    return (FIXTURES / "sources" / name).read_text(encoding="utf-8")


def passage_file(source_id: str) -> list[tuple[str, str]]:
    """(url, text) pairs of a passage file: blocks separated by a blank line, each led by 'URL: <url>'."""
    text = (FIXTURES / "sources" / "passages" / f"{source_id}.txt").read_text(encoding="utf-8")
    pairs = []
    for block in text.strip("\n").split("\n\n"):
        head, _, body = block.partition("\n")
        assert head.startswith("URL: "), f"{source_id}: a passage block must start with 'URL: '"
        pairs.append((head.removeprefix("URL: "), body))
    return pairs


def test_the_fixture_is_a_verbatim_copy_of_the_shared_dataset():
    shared = Path(settings.BASE_DIR).parent / "shared" / "sources"
    if not shared.is_dir():
        pytest.skip("the shared sources folder is not available here")
    assert DATA_FILE.read_bytes() == (shared / "commitments-sources.yaml").read_bytes()
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
    source = SOURCES[c["source"]]
    texts = []
    for place in c["read_at"]:
        if place.startswith("seed:"):
            assert place == f"seed:{source['seed_file']}", "read from another source's seed"
            texts.append(seed_text(source["seed_file"]))
        elif source.get("passages"):
            texts += [text for url, text in passage_file(source["id"]) if url == place]
    assert texts, f"{cid}: nothing stored at its read_at"
    assert any(c["quote"] in text for text in texts), f"{cid}: quote not found verbatim in its source text"


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
    for a in ASSESSMENTS:
        c = COMMITMENTS[a["commitment"]]
        assert c["statement_type"] != "proposal", "proposals are never assessed"
        if c["date_made"]:
            assert a["as_of"] >= c["date_made"], "an update cannot be older than its commitment"
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
    assert StatusUpdate.objects.count() == len(ASSESSMENTS)
    assert Evidence.objects.count() == sum(
        1 for c in COMMITMENTS.values() for e in c.get("status_evidence") or [] if e["indicates"] != "no evidence found"
    )


def test_every_status_update_is_published_and_backed_by_its_latest_evidence(imported):
    for update in StatusUpdate.objects.all():
        evidence = list(update.evidence.all())
        assert update.is_published
        assert evidence, update.commitment.slug
        assert all(e.stance == Evidence.Stance.SUPPORTS for e in evidence)
        assert all(e.date for e in evidence), "undated evidence cannot back an update"
        assert update.as_of == max(e.date for e in evidence), update.commitment.slug
        assert update.commitment.date_made is None or update.as_of >= update.commitment.date_made


def test_undated_commitments_stay_undated(imported):
    """Five sources are undated: their commitments keep no date made rather than an invented one."""
    undated = set(Commitment.objects.filter(date_made=None).values_list("slug", flat=True))
    assert undated == {slug for slug, c in COMMITMENTS.items() if c.get("date_made") is None}
    assert len(undated) == 5


def test_statuses_after_import(imported):
    statuses = dict(Commitment.objects.values_list("slug", "current_status"))
    assessed = {a["commitment"]: a["status"] for a in ASSESSMENTS}
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
