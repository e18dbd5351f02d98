"""Importing per-country assessments: ``scope``, ``country_updates`` and evidence tagged with its country.

A good file sets the scope, creates and publishes country updates (so ``CountryStatus`` is derived) and
imports again without a change; each refusal names its file and line and imports nothing.
"""

from __future__ import annotations

import pytest

from commitments.models import Commitment, CountryStatus, Evidence, StatusUpdate
from commitments.status import Status

from .test_import import counts, history_counts, line_of, refused, run, write

GOOD = """\
meta:
  compiled_on: 2026-11-22
  countries: {kz: Kazakhstan, kg: Kyrgyzstan, tj: Tajikistan}
  themes: {p-cve: "P/CVE"}
sources:
  - id: src-a
    title: "Source A"
    issuer: "European Union"
    date: 2019-05-15
    kind: strategy
    url: https://example.org/a
commitments:
  - id: returnees
    source: src-a
    title: "Reintegrate returnees"
    quote: "The EU will help reintegrate returnees."
    statement_type: pledge
    date_made: 2019-05-15
    actors: [European Union]
    countries: [kz, kg, tj]
    themes: [p-cve]
    status_evidence:
      - date: 2020-01-10
        indicates: under way
        fact: "A regional meeting was held."
        title: "Regional meeting"
        publisher: "Publisher"
        url: https://example.org/regional
      - date: 2021-03-01
        indicates: under way
        fact: "A centre opened in Kazakhstan."
        title: "Kazakh centre"
        publisher: "Publisher"
        url: https://example.org/kz-centre
        country: kz
      - date: 2022-05-01
        indicates: done
        fact: "Kazakhstan's programme was completed."
        title: "Kazakh programme completed"
        publisher: "Publisher"
        url: https://example.org/kz-done
        country: kz
      - date: 2021-06-01
        indicates: announced
        fact: "Kyrgyzstan announced its plan."
        title: "Kyrgyz plan"
        publisher: "Publisher"
        url: https://example.org/kg-plan
        country: kg
assessments:
  - commitment: returnees
    scope: per_country
    scope_note: "Per country: each country reintegrates its own returnees."
    updates:
      - status: in_progress
        as_of: 2020-01-10
        published_on: 2026-11-23
        confidence: medium
        reason: "A regional meeting was held in January 2020."
        summary: "A regional meeting was held."
        evidence: [2020-01-10]
    country_updates:
      kz:
        - status: in_progress
          as_of: 2021-03-01
          published_on: 2026-12-02
          confidence: medium
          reason: "A centre opened in Kazakhstan in March 2021."
          summary: "A centre opened."
          evidence: [2021-03-01]
        - status: achieved
          as_of: 2022-05-01
          published_on: 2026-12-02
          confidence: high
          reason: "Kazakhstan's programme was completed in May 2022."
          summary: "The programme was completed."
          evidence: [2022-05-01, https://example.org/kz-centre]
      kg:
        - status: not_started
          as_of: 2021-06-01
          published_on: 2026-12-02
          confidence: low
          reason: "Kyrgyzstan announced a plan in June 2021; nothing began."
          summary: "A plan was announced."
          evidence: [2021-06-01]
"""


def country_statuses() -> dict[str, tuple[str, str]]:
    return {r.country.slug: (r.status, r.status_date.isoformat())
            for r in CountryStatus.objects.select_related("country")}


@pytest.mark.django_db
def test_country_updates_import_published_with_their_country_and_derive_the_country_statuses(tmp_path):
    out = run(str(write(tmp_path, GOOD)))
    c = Commitment.objects.get()
    assert c.assessment_scope == Commitment.Scope.PER_COUNTRY
    # The overall status comes from the overall update only, never from a country's.
    assert (c.current_status, c.current_status_date.isoformat()) == (Status.IN_PROGRESS, "2020-01-10")
    assert country_statuses() == {"kz": (Status.ACHIEVED, "2022-05-01"), "kg": (Status.NOT_STARTED, "2021-06-01")}
    updates = {(u.country.slug if u.country else "", u.status): u
               for u in StatusUpdate.objects.select_related("country")}
    assert len(updates) == 4 and all(u.is_published for u in updates.values())
    assert "status updates published: 4" in out
    assert sorted(e.url for e in updates[("kz", Status.ACHIEVED)].evidence.all()) == [
        "https://example.org/kz-centre", "https://example.org/kz-done"]
    assert CountryStatus.objects.get(country__slug="kz").update == updates[("kz", Status.ACHIEVED)]
    # The scope note documents the decision for editors: it is stored nowhere.
    assert not Commitment.objects.filter(scope_note__contains="reintegrates").exists()


@pytest.mark.django_db
def test_importing_the_same_file_again_changes_nothing(tmp_path):
    path = str(write(tmp_path, GOOD))
    run(path)
    before = (counts(), history_counts(), sorted(CountryStatus.objects.values_list("pk", "status", "update_id")))
    assert "Nothing to change" in run(path)
    after = (counts(), history_counts(), sorted(CountryStatus.objects.values_list("pk", "status", "update_id")))
    assert before == after


@pytest.mark.django_db
def test_an_overall_and_a_country_update_with_the_same_status_and_date_are_two_updates(tmp_path):
    text = GOOD.replace("""          as_of: 2021-03-01
          published_on: 2026-12-02""", """          as_of: 2020-01-10
          published_on: 2026-12-02""").replace("evidence: [2021-03-01]", "evidence: [https://example.org/kz-early]")
    text = text.replace("""      - date: 2021-03-01
        indicates: under way""", """      - date: 2020-01-10
        indicates: under way
        fact: "An early Kazakh activity."
        title: "Kazakh early"
        publisher: "Publisher"
        url: https://example.org/kz-early
        country: kz
      - date: 2021-03-01
        indicates: under way""")
    text = text.replace("        evidence: [2020-01-10]\n", "        evidence: [https://example.org/regional]\n")
    path = str(write(tmp_path, text))
    run(path)
    assert StatusUpdate.objects.filter(status=Status.IN_PROGRESS, as_of="2020-01-10").count() == 2
    assert "Nothing to change" in run(path)


@pytest.mark.django_db
def test_a_per_country_commitment_may_leave_its_overall_status_unassessed(tmp_path):
    text = GOOD.replace("""    updates:
      - status: in_progress
        as_of: 2020-01-10
        published_on: 2026-11-23
        confidence: medium
        reason: "A regional meeting was held in January 2020."
        summary: "A regional meeting was held."
        evidence: [2020-01-10]
""", "    updates: []\n")
    run(str(write(tmp_path, text)))
    assert Commitment.objects.get().current_status == Status.NOT_ASSESSED
    assert set(country_statuses()) == {"kz", "kg"}
    assert Evidence.objects.get(url="https://example.org/regional").status_update is None


@pytest.mark.django_db
def test_an_evidence_item_may_be_cited_by_its_id_where_its_page_and_date_name_two(tmp_path):
    """Two items from one page on one day cannot be told apart by date or url: an ``id`` names each."""
    text = GOOD.replace("""        url: https://example.org/kz-centre
        country: kz""", """        url: https://example.org/kz-news
        country: kz
        id: kz-centre
      - date: 2021-03-01
        indicates: under way
        fact: "Equipment was delivered to Tajikistan."
        title: "Tajik equipment"
        publisher: "Publisher"
        url: https://example.org/kz-news
        country: tj
        id: tj-equipment""").replace("evidence: [2022-05-01, https://example.org/kz-centre]", "evidence: [2022-05-01]")
    text = text.replace("          evidence: [2021-03-01]\n", "          evidence: [kz-centre]\n")
    text += """      tj:
        - status: in_progress
          as_of: 2021-03-01
          published_on: 2026-12-02
          confidence: low
          reason: "Equipment was delivered to Tajikistan in March 2021."
          summary: "Equipment was delivered."
          evidence: [tj-equipment]
"""
    run(str(write(tmp_path, text)))
    tj = StatusUpdate.objects.get(country__slug="tj")
    assert [e.title for e in tj.evidence.all()] == ["Tajik equipment"]
    assert [e.title for e in StatusUpdate.objects.get(country__slug="kz", status="in_progress").evidence.all()] == [
        "Kazakh centre"]


@pytest.mark.django_db
def test_two_items_of_one_page_and_day_cited_by_their_date_are_ambiguous(tmp_path):
    text = GOOD.replace("""        url: https://example.org/kz-centre
        country: kz""", """        url: https://example.org/kz-centre
        country: kz
      - date: 2021-03-01
        indicates: under way
        fact: "Equipment was delivered to Kazakhstan."
        title: "Kazakh equipment"
        publisher: "Publisher"
        url: https://example.org/kz-centre
        country: kz""")
    path = write(tmp_path, text)
    _, problems = refused(path)
    assert (f"{path} line {line_of(text, 'evidence: [2021-03-01]')}: assessment for 'returnees': kz update #1: "
            "2021-03-01 names 2 evidence items of 'returnees'; name one by its url (or give it an id)") in problems


REGIONAL = GOOD.replace("    scope: per_country\n", "")

# (name, text, the marker of the line the problem names, its occurrence, the message's words)
CASES = [
    ("country updates on a regional commitment", REGIONAL, "country_updates:", 1,
     "'country_updates' are given for a regional commitment"),
    ("no overall update on a regional commitment",
     GOOD.replace("    scope: per_country\n", "").replace("    country_updates:", "    country_updates_gone:")
     .split("    updates:")[0] + "    updates: []\n", "updates: []", 1,
     "only a commitment with 'scope: per_country' may give none"),
    ("an unknown scope", GOOD.replace("scope: per_country", "scope: national"), "scope: national", 1,
     "unknown scope 'national' (one of: regional, per_country)"),
    ("a country not among the commitment's countries",
     GOOD.replace("countries: [kz, kg, tj]", "countries: [kz, tj]"), "      kg:", 1,
     "country 'kg' is not one of the commitment's countries (kz, tj)"),
    ("evidence about another country",
     GOOD.replace("          evidence: [2021-06-01]", "          evidence: [2021-06-01, 2021-03-01]"),
     "evidence: [2021-06-01, 2021-03-01]", 1,
     "evidence 2021-03-01 is about 'kz': a country update for 'kg' rests only on items marked 'country: kg'"),
    ("evidence about no single country",
     GOOD.replace("          evidence: [2021-03-01]", "          evidence: [2021-03-01, 2020-01-10]"),
     "evidence: [2021-03-01, 2020-01-10]", 1,
     "evidence 2020-01-10 is not tagged with one country: a country update for 'kz' rests only on items"),
    ("an evidence item tagged with a country not among the commitment's",
     GOOD.replace("        country: kg\n", "        country: uz\n"), "country: uz", 1,
     "country 'uz' is not one of the commitment's countries (kz, kg, tj)"),
    ("a country's updates out of order",
     GOOD.replace("          as_of: 2022-05-01", "          as_of: 2021-02-01")
     .replace("evidence: [2022-05-01, https://example.org/kz-centre]", "evidence: [2020-01-10]"),
     "- status: achieved", 1, "updates go oldest first: as_of 2021-02-01 is earlier than the previous update's"),
    ("a country update as of before the commitment was made",
     GOOD.replace("          as_of: 2021-06-01", "          as_of: 2019-01-01"), "- status: not_started", 1,
     "as_of 2019-01-01 is before the commitment was made"),
    ("a country's updates that are not a list",
     GOOD.split("      kg:")[0] + "      kg: not_started\n", "kg: not_started", 1,
     "'kg' must list at least one status update for that country"),
    ("an evidence id that is a date",
     GOOD.replace("        country: kg\n", "        country: kg\n        id: \"2021-06\"\n"), "id: \"2021-06\"", 1,
     "id '2021-06' must be a name, not a date or an address"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "text", "marker", "occurrence", "words"), CASES, ids=[c[0] for c in CASES])
def test_each_refusal_names_its_file_and_line_and_imports_nothing(tmp_path, name, text, marker, occurrence, words):
    path = write(tmp_path, text)
    _, problems = refused(path)
    assert f"{path} line {line_of(text, marker, occurrence)}: " in problems
    assert words in problems, problems


@pytest.mark.django_db
def test_a_per_country_commitment_with_published_country_updates_cannot_be_made_regional_again(tmp_path):
    run(str(write(tmp_path, GOOD)))
    path = write(tmp_path, REGIONAL.split("    country_updates:")[0], "regional.yaml")
    before = (counts(), Commitment.objects.get().assessment_scope)
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        run(str(path))
    assert (counts(), Commitment.objects.get().assessment_scope) == before
