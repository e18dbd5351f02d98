"""The import_commitments command: a good file imports, a second run changes nothing, an edit
updates, a dry run writes nothing, and any bad entry stops the whole import with its line named."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from commitments.models import Actor, Commitment, Country, Evidence, Source, StatusUpdate, Theme
from commitments.status import Status

GOOD = """\
meta:
  compiled_on: 2026-11-22
  countries: {kz: Kazakhstan, kg: Kyrgyzstan}
  themes:
    p-cve: "P/CVE"
    counter-terrorism: "Counter-terrorism"
sources:
  - id: src-a
    title: "Source A"
    issuer: "European Union"
    date: 2019-05-15
    kind: strategy
    url: https://example.org/a
    coverage: "Only the opening could be read."
commitments:
  - id: first-commitment
    source: src-a
    title: "Do the first thing"
    quote: "The EU will do the first thing."
    location: null
    statement_type: pledge
    date_made: 2019-05-15
    actors: [European Union, EEAS]
    actors_basis: stated
    countries: [kz, kg]
    other_countries: [Afghanistan]
    themes: [p-cve]
    target_date: null
    related: [second-commitment]
    status_evidence:
      - date: 2020-01-10
        indicates: under way
        fact: "Work began."
        title: "Report one"
        publisher: "Publisher"
        url: https://example.org/report-1
      - date: null
        indicates: no evidence found
        fact: "No final report was found."
  - id: second-commitment
    source: src-a
    title: "Do the second thing"
    quote: "The EU will do the second thing."
    statement_type: proposal
    date_made: 2019-05-16
    actors: [EEAS]
    actors_basis: inferred
    countries: [kz]
    themes: [counter-terrorism]
    status_evidence: []
assessments:
  - commitment: first-commitment
    status: in_progress
    as_of: 2020-01-10
    confidence: medium
    summary: "Work began in January 2020."
    evidence: [2020-01-10]
"""

MODELS = (Country, Theme, Actor, Source, Commitment, Evidence, StatusUpdate)


def write(tmp_path: Path, text: str, name: str = "data.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(*args: str) -> str:
    out = StringIO()
    call_command("import_commitments", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in MODELS}


def history_counts() -> dict[str, int]:
    return {m.__name__: m.history.count() for m in (Source, Commitment, Evidence, StatusUpdate)}


def line_of(text: str, marker: str, occurrence: int = 1) -> int:
    lines = [n for n, line in enumerate(text.splitlines(), 1) if marker in line]
    return lines[occurrence - 1]


@pytest.mark.django_db
def test_a_good_file_imports(tmp_path):
    out = run(str(write(tmp_path, GOOD)))
    assert counts() == {"Country": 2, "Theme": 2, "Actor": 2, "Source": 1, "Commitment": 2, "Evidence": 1,
                        "StatusUpdate": 1}
    assert "commitments: 2 created, 0 updated, 0 unchanged" in out
    first = Commitment.objects.get(slug="first-commitment")
    assert first.state == Commitment.State.PUBLISHED
    assert first.current_status == Status.IN_PROGRESS
    assert first.other_countries == "Afghanistan"
    assert first.research_note == "No final report was found."
    assert set(first.actors.values_list("slug", flat=True)) == {"european-union", "eeas"}
    assert list(Commitment.objects.get(slug="second-commitment").related.all()) == [first]
    assert "Coverage: Only the opening could be read." in Source.objects.get().notes
    update = StatusUpdate.objects.get()
    assert update.is_published and update.published_by is None
    assert update.evidence.get().stance == Evidence.Stance.SUPPORTS


@pytest.mark.django_db
def test_running_again_changes_nothing(tmp_path):
    path = str(write(tmp_path, GOOD))
    run(path)
    before, history = counts(), history_counts()
    out = run(path)
    assert counts() == before
    assert history_counts() == history, "an unchanged row must not get a new history record"
    assert "Nothing to change" in out


@pytest.mark.django_db
def test_an_edited_file_updates_the_changed_rows_and_keeps_the_state(tmp_path):
    run(str(write(tmp_path, GOOD)))
    Commitment.objects.filter(slug="first-commitment").update(state=Commitment.State.ARCHIVED)
    out = run(str(write(tmp_path, GOOD.replace("Do the first thing", "Do the first thing, edited"))))
    first = Commitment.objects.get(slug="first-commitment")
    assert first.title == "Do the first thing, edited"
    assert first.state == Commitment.State.ARCHIVED, "staff archived it; the import must not republish it"
    assert Commitment.objects.count() == 2
    assert "commitments: 0 created, 1 updated, 1 unchanged" in out


@pytest.mark.django_db
def test_assessments_may_come_in_a_second_file(tmp_path):
    data, _, assessments = GOOD.partition("assessments:\n")
    run(str(write(tmp_path, data)), str(write(tmp_path, "assessments:\n" + assessments, "assessments.yaml")))
    assert StatusUpdate.objects.published().count() == 1


@pytest.mark.django_db
def test_dry_run_writes_nothing(tmp_path):
    out = run(str(write(tmp_path, GOOD)), "--dry-run")
    assert "commitments: 2 created" in out
    assert "Dry run" in out
    assert set(counts().values()) == {0}


@pytest.mark.django_db
def test_if_empty_skips_when_commitments_exist(tmp_path):
    run(str(write(tmp_path, GOOD)))
    out = run(str(write(tmp_path, GOOD.replace("Do the first thing", "Overwritten"))), "--if-empty")
    assert "Skipped" in out
    assert Commitment.objects.filter(title="Overwritten").count() == 0


@pytest.mark.django_db
def test_if_empty_imports_into_an_empty_database(tmp_path):
    run(str(write(tmp_path, GOOD)), "--if-empty")
    assert Commitment.objects.count() == 2


# Each bad file: (replace this, with that), the text expected in the error, the marker of its line.
BAD = {
    "syntax error": (
        ("themes: [counter-terrorism]", "themes: [counter-terrorism"), "YAML syntax error", None),
    "bad date": (
        ("date_made: 2019-05-16", "date_made: 2019-13-45"),
        "commitment 'second-commitment': 'date_made' is not a valid date", "date_made: 2019-13-45"),
    "unknown theme": (
        ("themes: [counter-terrorism]", "themes: [nope]"),
        "commitment 'second-commitment': unknown theme 'nope'", "themes: [nope]"),
    "duplicate id": (
        ("- id: second-commitment", "- id: first-commitment"),
        "commitment 'first-commitment': duplicate id", ("- id: first-commitment", 2)),
    "missing quote": (
        ('    quote: "The EU will do the second thing."\n', ""),
        "commitment 'second-commitment': missing required field 'quote'", "- id: second-commitment"),
    "unknown commitment in an assessment": (
        ("- commitment: first-commitment", "- commitment: no-such-thing"),
        "assessment for 'no-such-thing': unknown commitment 'no-such-thing'", "- commitment: no-such-thing"),
    "unknown statement type": (
        ("statement_type: proposal", "statement_type: promise"),
        "commitment 'second-commitment': unknown statement_type 'promise'", "statement_type: promise"),
    "evidence without url": (
        ("        url: https://example.org/report-1\n", ""),
        "commitment 'first-commitment': status_evidence #1: evidence needs a 'url'", "- date: 2020-01-10"),
    "as_of before the commitment": (
        ("as_of: 2020-01-10", "as_of: 2018-01-10"),
        "assessment for 'first-commitment': as_of 2018-01-10 is before the commitment was made",
        "- commitment: first-commitment"),
    "model validation (bad slug)": (
        ("- id: second-commitment", "- id: Second Commitment!"),
        "commitment 'Second Commitment!': slug:", "- id: Second Commitment!"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_imports_nothing_and_names_the_line(tmp_path, case):
    (old, new), expected, marker = BAD[case]
    assert old in GOOD
    text = GOOD.replace(old, new)
    if case == "model validation (bad slug)":
        text = text.replace("related: [second-commitment]", "related: []")
    path = write(tmp_path, text)
    err = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import_commitments", str(path), stdout=StringIO(), stderr=err)
    message = str(raised.value)
    assert message.startswith("Nothing imported: ") and f"in {path} (first: line " in message
    assert "\n" not in message
    assert expected in err.getvalue()
    if marker:
        marker, occurrence = marker if isinstance(marker, tuple) else (marker, 1)
        assert f"{path} line {line_of(text, marker, occurrence)}: {expected}" in err.getvalue()
    assert set(counts().values()) == {0}, "a bad entry after good ones must still import nothing"


@pytest.mark.django_db
def test_a_missing_file_is_an_error_not_a_traceback(tmp_path):
    with pytest.raises(CommandError, match="file not found"):
        call_command("import_commitments", str(tmp_path / "nope.yaml"), stdout=StringIO(), stderr=StringIO())


@pytest.mark.django_db
def test_real_data_is_never_imported_beside_synthetic_data(tmp_path):
    from . import factories

    factories.commitment(slug="demo", is_synthetic=True)
    with pytest.raises(CommandError, match="synthetic demo data") as exc:
        run(str(write(tmp_path, GOOD)))
    assert "\n" not in str(exc.value)
    assert list(Commitment.objects.values_list("slug", flat=True)) == ["demo"]
