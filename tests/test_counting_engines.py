"""The two counting engines agree: after any public change, the facet index (once rebuilt) gives the
overview's breakdowns and a taxonomy page's counts that SQL gives, and pages read the same numbers
from either. (The list's facets are held to it in ``test_facet_index``.)"""

from __future__ import annotations

import random
from datetime import date

import pytest
from django.core.exceptions import ValidationError

from commitments import catalogue, counting, facet_index, selectors, services
from commitments.models import Commitment, PublicDataVersion

from . import factories as f
from .conftest import built_once

pytestmark = pytest.mark.django_db(transaction=False)


def world(rng: random.Random):
    themes = [f.theme(slug=f"t{i}", name=f"Theme {i}") for i in range(3)]
    countries = [f.country(slug, slug.upper()) for slug in ("kz", "kg")]
    actors = [f.actor(slug=f"a{i}", name=f"Actor {i}") for i in range(2)]
    sources = [f.source(slug=f"s{i}") for i in range(2)]
    commitments = []
    for i in range(6):
        c = f.commitment(slug=f"c{i}", source=rng.choice(sources), date_made=date(2019, 5, 15))
        c.themes.set(rng.sample(themes, rng.randint(0, 2)))
        c.countries.set(rng.sample(countries, rng.randint(0, 2)))
        c.actors.set(rng.sample(actors, rng.randint(0, 2)))
        commitments.append(c)
    return themes, countries, actors, commitments


def both_engines() -> tuple[tuple, tuple]:
    """(index, SQL): the overview's breakdown and every taxonomy entry's status counts."""
    facet_index.clear()
    catalogue.forget()
    queryset = Commitment.objects.public().at()

    def read():
        overall, by = counting.status_breakdown(queryset, day=None, facets=("theme", "country", "actor", "source"))
        by = {name: sorted(rows, key=lambda r: r["slug"]) for name, rows in by.items()}
        entries = {
            (kind, entry.id): counting.entry_status_counts(
                queryset.filter(**{f"{taxonomy.relation}": entry.id}).at(
                    country=entry.id if kind == "country" else None), kind=kind, entry_id=entry.id)
            for kind, taxonomy in counting.TAXONOMY_FACETS.items()
            for entry in catalogue.load(facets=(kind,))[kind].values()
        }
        numbers = counting.overview_counts(queryset, day=None, on=date.today(), facets=())
        flags = numbers.overdue, numbers.stale
        return overall, by, entries, flags

    sql = read()
    assert facet_index.refresh() is not None
    return read(), sql


@pytest.mark.parametrize("seed", range(5))
def test_the_index_counts_what_sql_counts_after_every_change(seed):
    """Random publishes, withdrawals, archiving and relinking: after each change the rebuilt index's
    breakdowns equal SQL's."""
    rng = random.Random(seed)
    pub = f.publisher()
    themes, countries, actors, commitments = world(rng)
    updates = [f.update(rng.choice(commitments), status=rng.choice(["in_progress", "stalled", "achieved"]),
                        as_of=date(2020, 1, rng.randint(1, 28))) for _ in range(8)]
    for _ in range(25):
        c = rng.choice(commitments)
        action = rng.randrange(5)
        try:  # a refused step (withdrawing a draft, a public commitment back to draft) changes nothing
            if action == 0:
                services.publish_status_update(update=rng.choice(updates), user=pub, reason=f.REASON)
            elif action == 1:
                services.withdraw_status_update(update=rng.choice(updates), user=pub, reason="In error.")
            elif action == 2:
                state = rng.choice([Commitment.State.PUBLISHED, Commitment.State.ARCHIVED, Commitment.State.DRAFT])
                services.set_commitment_state(commitment=c, state=state, user=pub, reason=f.REASON)
            elif action == 3:
                c.themes.set(rng.sample(themes, rng.randint(0, 3)))
            else:
                c.countries.remove(*countries)
        except ValidationError:
            pass
        from commitments import cache
        cache.bump()  # as every service does; the relinking above stands for an approved revision
        index, sql = both_engines()
        assert index == sql


def test_an_out_of_date_index_is_never_read():
    c = f.commitment(slug="one")
    c.themes.set([f.theme(slug="t", name="T")])
    from commitments import cache
    cache.bump()
    assert facet_index.refresh() is not None
    f.update(c, status="achieved", published=True)  # a public change bumps the version
    assert facet_index.current() is None
    assert counting.entry_status_counts(Commitment.objects.public().at(), kind="theme",
                                        entry_id=c.themes.get().pk)["achieved"] == 1


def pages(client) -> list[bytes]:
    urls = ["/", "/?country=kg", "/commitments/", "/commitments/?status=in_progress",
            "/commitments/?status=stalled&expand=theme",
            "/commitments/?theme=pcve", "/commitments/?q=border", "/commitments/?as_of=2021-06-01",
            "/themes/pcve/", "/countries/kg/"]
    return [client.get(url).content for url in urls]


def test_pages_read_the_same_numbers_from_the_index_as_from_sql(client, settings):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0  # compare fresh renders
    f.catalogue()
    facet_index.disconnect()
    try:
        facet_index.clear()
        in_sql = pages(client)
        assert facet_index.refresh() is not None
        assert pages(client) == in_sql
    finally:
        facet_index.connect()


def test_the_index_counts_only_public_commitments():
    published = f.commitment(slug="pub")
    draft = f.commitment(slug="draft", state=Commitment.State.DRAFT)
    theme = f.theme(slug="t", name="T")
    published.themes.set([theme])
    draft.themes.set([theme])
    f.update(draft, status="achieved", published=True)
    PublicDataVersion.objects.update_or_create(pk=1, defaults={"token": "x"})
    index = facet_index.refresh()
    assert index.status_counts(index.linked_to("theme", [theme.pk])) == dict.fromkeys(index.status_counts(), 0) | {
        "not_assessed": 1}


# Titles that tie, differ in case only or carry accents (as ``test_list_plans``): the index's order is the database's.
TITLES = ["Border posts", "border posts", "Éducation", "education", "Zeta", "alpha", "Alpha", "_under", "10 x", "9 x"]
ON = date(2025, 6, 1)  # the stale cutoff is 1 September 2024
ASSESSED = [date(2024, 1, 10), date(2024, 9, 1), date(2024, 9, 2), date(2025, 5, 30)]
MADE = [None, date(2019, 5, 15), date(2023, 2, 1), date(2024, 12, 1)]
DUE = [None, date(2025, 1, 15), date(2025, 3, 1), date(2026, 1, 1)]  # none before a date made


def sections_world() -> None:
    """Public commitments whose sections' keys tie (dates, then titles), some undated, some not yet assessed."""
    rng = random.Random(18)
    src = f.source(slug="s")
    statuses = [s for s in facet_index.STATUS_CODES if s != "not_assessed"]
    for i in range(120):
        assessed = rng.random() < 0.8
        f.commitment(title=rng.choice(TITLES), source=src, date_made=rng.choice(MADE), due_date=rng.choice(DUE),
                     current_status=rng.choice(statuses) if assessed else "not_assessed",
                     current_status_date=rng.choice(ASSESSED) if assessed else None,
                     state=Commitment.State.DRAFT if i % 15 == 0 else Commitment.State.PUBLISHED)
    from commitments import cache
    cache.bump()


@pytest.fixture(scope="class")
def sections_data(django_db_setup, django_db_blocker):
    with built_once(django_db_blocker, sections_world):
        yield


@pytest.fixture
def sections_index(sections_data):
    return facet_index.refresh()


class TestTheOverviewSections:
    """The index gives each of the overview's sections the rows the SQL gives, in its order (issue 18)."""

    @pytest.mark.parametrize("limit", [8, 200])
    def test_the_index_orders_each_section_as_sql(self, sections_index, limit):
        queryset = Commitment.objects.public().at()
        in_sql = {name: list(rows.values_list("pk", flat=True)[:limit])
                  for name, rows in selectors.overview_sections(queryset, on=ON, current=True).items()}
        in_index = {name: ids.tolist() for name, ids in sections_index.overview_sections(ON, limit).items()}
        assert in_index == in_sql
        assert all(len(ids) > 20 for ids in in_sql.values()) or limit == 8  # every section long, with ties

    def test_the_overview_shows_the_same_rows_from_either(self, sections_index):
        queryset = Commitment.objects.public().at()
        assert facet_index.current() is sections_index
        from_index = selectors.overview(queryset=queryset, on=ON, current=True)
        facet_index.clear()
        try:
            from_sql = selectors.overview(queryset=queryset, on=ON, current=True)
        finally:
            assert facet_index.refresh() is not None
        for name in ("recent", "overdue", "stale"):
            assert [(c.pk, c.eff_status, c.eff_status_precision) for c in from_index[name]] == [
                (c.pk, c.eff_status, c.eff_status_precision) for c in from_sql[name]], name
            assert len(from_index[name]) == 8
