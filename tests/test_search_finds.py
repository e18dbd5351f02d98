"""Search that finds: on the real data, a query finds what a reader would expect (issue 15).

The real fixtures are imported once for the module. Each query is asked through the list's
FilterSet (``CommitmentFilterSet``, public commitments only) and through ``search_ids`` (what the
facet index uses); both must agree. Runs on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.template import Context, Template

from commitments import search_query, search_terms
from commitments.filtersets import CommitmentFilterSet
from commitments.models import Actor, Commitment, Country, Source, StatusUpdate, Theme

from . import factories as f
from .conftest import built_once

FIXTURES = Path(settings.BASE_DIR) / "fixtures"


@pytest.fixture(scope="module")
def real_once(django_db_setup, django_db_blocker):
    with built_once(django_db_blocker, lambda: call_command(
            "import_commitments", str(FIXTURES / "commitments-sources.yaml"), str(FIXTURES / "assessments.yaml"),
            stdout=StringIO())):
        yield


@pytest.fixture
def real(real_once, db):
    """The imported real data, in this test's own savepoint."""


def found(text: str, **params) -> set[str]:
    rows = set(CommitmentFilterSet({"q": text, **params}).qs.values_list("slug", flat=True))
    public = set(Commitment.objects.public().values_list("pk", flat=True))
    by_ids = set(Commitment.objects.filter(pk__in=set(Commitment.objects.search_ids(text)) & public)
                 .values_list("slug", flat=True))
    assert rows == by_ids, text  # the list and the facet index agree
    return rows


def filed_under(relation: str, **lookup) -> set[str]:
    return set(Commitment.objects.public().filter(**{f"{relation}__{k}": v for k, v in lookup.items()})
               .values_list("slug", flat=True))


def mentioning(*words: str) -> set[str]:
    """Public commitments whose title, quote or a published summary holds one of ``words`` (lower case)."""
    summaries = {}
    for u in StatusUpdate.objects.published().values("commitment_id", "summary"):
        summaries[u["commitment_id"]] = summaries.get(u["commitment_id"], "") + " " + u["summary"]
    return {c.slug for c in Commitment.objects.public()
            if any(w in f"{c.title} {c.quote} {summaries.get(c.pk, '')}".lower() for w in words)}


# (query, what it must find: a function of the data, compared exactly (==) or as a floor (>=)).
MUST_FIND = [
    ("Kazakhstan", "==", lambda: filed_under("countries", slug="kz") | mentioning("kazakhstan")),
    ("kazakhstan", "==", lambda: filed_under("countries", slug="kz") | mentioning("kazakhstan")),
    ("EEAS", ">=", lambda: filed_under("actors", name="EEAS")),
    ("European External Action Service", ">=", lambda: filed_under("actors", name="EEAS")),
    ("returnees", ">=", lambda: filed_under("themes", slug="returnees-reintegration")),
    ("counter-terrorism", ">=", lambda: filed_under("themes", slug="counter-terrorism") | mentioning("counterterror")),
    ("CT", ">=", lambda: filed_under("themes", slug="counter-terrorism") | mentioning("counterterror")),
    ("P/CVE", ">=", lambda: filed_under("themes", slug="p-cve")),
    ("BOMCA", ">=", lambda: mentioning("bomca", "border management programme in central asia")),
    ("FTF", ">=", lambda: mentioning("foreign terrorist fighter", "ftf")),
]


def test_the_real_data_has_what_the_cases_need(real):
    assert len(filed_under("countries", slug="kz")) == 50  # the old search found 5 of them
    assert mentioning("kazakhstan") - filed_under("countries", slug="kz")  # and one names it in passing
    assert len(filed_under("actors", name="EEAS")) == 19
    assert mentioning("foreign terrorist fighter", "ftf")


@pytest.mark.parametrize(("text", "how", "expected"), MUST_FIND, ids=[case[0] for case in MUST_FIND])
def test_a_query_finds_what_a_reader_expects(real, text, how, expected):
    want, got = expected(), found(text)
    assert want, text  # the case tests something
    if how == "==":
        assert got == want
    else:
        assert got >= want, sorted(want - got)


@pytest.mark.parametrize(("one", "other"), [
    ("returnees", "returnee"),
    ("counterterrorism", "counter-terrorism"),
    ("counter terrorism", "counterterrorism"),
    ("CT", "counter-terrorism"),  # the glossary, both ways
    ("P/CVE", "PCVE"),
    ("foreign terrorist fighters", "FTF"),
])
def test_spellings_of_one_term_find_the_same(real, one, other):
    assert found(one) == found(other)
    assert found(one)


def test_sensible_sets_not_everything(real):
    everything = set(Commitment.objects.public().values_list("slug", flat=True))
    for text in ("CT", "FTF", "P/CVE", "EEAS", "returnees"):
        assert found(text) < everything, text
    assert found("FTF") <= found("CT") | found("terrorist")


def test_an_absent_word_finds_nothing(real):
    assert found("zeppelin") == set()
    assert found("Kazakhstan zeppelin") == set()
    assert found("-Kazakhstan") == set()  # exclusions alone look for nothing


def test_exclusion_phrase_and_or(real):
    kz, uz = found("Kazakhstan"), found("Uzbekistan")
    assert found("Kazakhstan -Uzbekistan") == kz - uz
    assert found("Kazakhstan or Uzbekistan") == kz | uz
    assert found('"violent extremism"') <= found("violent extremism")


def test_drafts_are_never_found(real):
    draft = Commitment.objects.public().filter(countries__slug="kz").first()
    Commitment.objects.filter(pk=draft.pk).update(state=Commitment.State.DRAFT)
    assert draft.slug not in found("Kazakhstan")
    assert found("Kazakhstan") == filed_under("countries", slug="kz") | mentioning("kazakhstan")


def test_renames_and_links_keep_the_documents_in_step(real):
    """Triggers: a renamed country, actor, theme or source, and a changed link, are found at once."""
    kz = filed_under("countries", slug="kz")
    Country.objects.filter(slug="kz").update(name="Qazaqstan")  # a raw UPDATE: no save(), no signal
    assert found("Qazaqstan") == kz
    Actor.objects.filter(name="EEAS").update(name="Diplomatic Service Nightjar")
    assert found("nightjar") == filed_under("actors", name="Diplomatic Service Nightjar")
    Theme.objects.filter(slug="trade").update(name="Commerce and kestrels")
    assert found("kestrel") == filed_under("themes", slug="trade")
    source = Source.objects.filter(commitments__state="published").first()
    Source.objects.filter(pk=source.pk).update(title="The heron declaration")
    assert found("heron") >= set(source.commitments.public().values_list("slug", flat=True))
    one = Commitment.objects.get(slug=sorted(kz)[0])
    one.countries.remove(Country.objects.get(slug="kz"))
    assert found("Qazaqstan") == kz - {one.slug}
    one.countries.add(Country.objects.get(slug="kz"))
    assert found("Qazaqstan") == kz


def test_relevance_puts_title_matches_first_and_without_a_search_is_the_default_order(db):
    f.commitment(slug="in-body", title="Aaa plain", quote="A kingfisher was seen.")
    f.commitment(slug="in-title", title="Zzz kingfisher watch", quote="Birds.")
    f.commitment(slug="neither", title="Mmm", quote="Nothing.")
    named = f.commitment(slug="in-name", title="Bbb", quote="Birds.", source=f.source(title="Kingfisher report"))
    rows = list(CommitmentFilterSet({"q": "kingfisher", "sort": "relevance"}).qs.values_list("slug", flat=True))
    assert rows == ["in-title", "in-name", "in-body"]
    by_title = list(CommitmentFilterSet({"q": "kingfisher"}).qs.values_list("slug", flat=True))
    assert by_title == ["in-body", "in-name", "in-title"]  # the default order is unchanged
    assert named.slug in by_title
    everything = list(CommitmentFilterSet({}).qs.values_list("slug", flat=True))
    assert list(CommitmentFilterSet({"sort": "relevance"}).qs.values_list("slug", flat=True)) == everything
    assert list(CommitmentFilterSet({"sort": "relevance", "q": "!!"}).qs) == []
    assert CommitmentFilterSet({"sort": "relevance"}).is_valid()


def test_the_list_offers_relevance_and_marks_the_matches(client, db):
    f.commitment(title="Deploy a counter-terrorism expert", quote="The EU will deploy a CT expert shortly.")
    page = client.get("/commitments/", {"q": "CT", "sort": "relevance"}).content.decode()
    assert '<option value="relevance" selected>' in page
    assert "<mark>counter</mark>-<mark>terrorism</mark>" in page
    assert "a <mark>CT</mark> expert" in page


def _render(text: str, query: str) -> str:
    template = Template("{% marked text %}")
    return template.render(Context({"text": text, "search": search_query.parse(query)}))


def test_highlight_escapes_first_and_never_marks_inside_an_entity():
    title = '<script>alert("x")</script> Returnees & amp; families'
    out = _render(title, "returnee amp script")
    assert "<script>" not in out
    assert "&lt;<mark>script</mark>&gt;" in out
    assert "<mark>Returnees</mark> &amp; <mark>amp</mark>;" in out  # the typed word, not the entity
    assert "&<mark>amp</mark>" not in out
    assert _render("A & B", "amp") == "A &amp; B"


def test_highlight_uses_the_databases_stems_and_the_glossary():
    assert _render("Returnee families", "returnees") == "<mark>Returnee</mark> families"
    marked = _render("counterterrorism and CT", "counter-terrorism")
    assert marked == "<mark>counterterrorism</mark> and <mark>CT</mark>"
    assert _render("the P/CVE theme", "PCVE") == "the <mark>P</mark>/<mark>CVE</mark> theme"
    assert _render("not found", "zeppelin") == "not found"
    assert _render("Kazakhstan -Uzbekistan", "Kazakhstan -Uzbekistan") == "<mark>Kazakhstan</mark> -Uzbekistan"


def test_the_glossary_expands_both_ways_from_one_module():
    ct = search_query.parse("CT").clauses[0].phrases
    assert ("counter", "terrorism") in ct and ("counterterrorism",) in ct
    assert ("ct",) in search_query.parse("counter-terrorism").clauses[0].phrases
    for abbreviation in ("CT", "P/CVE", "PVE", "CVE", "FTF", "BOMCA", "CADAP", "LEICA", "EPCA", "EEAS", "UNOCT",
                         "UNODC", "OSCE"):
        assert search_terms.glossary_term(search_terms.words(abbreviation)) is not None, abbreviation


def test_the_about_page_lists_the_glossary(client, db):
    page = client.get("/about/").content.decode()
    for term in search_terms.GLOSSARY:
        assert term.abbreviations[0] in page and term.long_forms[0] in page


@pytest.mark.parametrize("text", ['"', "*", "AND", "-", "()", "NEAR(", "^", ":", 'a"b', "x -", "or", "-\"a",
                                  "P/", "/CVE", "a--b", "'; DROP TABLE x; --", "(ct OR x) AND NOT y*"])
def test_no_text_is_query_syntax(db, text):
    CommitmentFilterSet({"q": text, "sort": "relevance"}).qs.count()
    list(CommitmentFilterSet({"q": text, "sort": "relevance"}).qs[:5])
