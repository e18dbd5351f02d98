"""The PublicCount summary: rebuilt after every public change commits, never read when out of date,
and the pages read the same numbers from it as they count live."""

from __future__ import annotations

import random
from datetime import date

import pytest
from django.core.exceptions import ValidationError

from commitments import cache as page_cache
from commitments import public_counts, services
from commitments.models import Commitment, PublicCount, StatusUpdate

from . import factories as f

pytestmark = pytest.mark.django_db(transaction=False)


def as_counts(rows) -> dict:
    return {(facet, entry, status): n for facet, entry, status, n in rows if entry is not None}


def summary_rows() -> dict:
    return {(r.facet, r.entry_id, r.status): r.count for r in PublicCount.objects.all()}


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


@pytest.mark.parametrize("seed", range(5))
def test_the_summary_follows_every_change(seed, django_capture_on_commit_callbacks):
    """Random publishes, withdrawals, archiving and relinking: after each commit the summary is
    current and equals a live count (the rebuild runs on commit, as in production)."""
    rng = random.Random(seed)
    pub = f.publisher()
    with django_capture_on_commit_callbacks(execute=True):
        themes, countries, actors, commitments = world(rng)
        updates = [f.update(rng.choice(commitments), status=rng.choice(["in_progress", "stalled", "achieved"]),
                            as_of=date(2020, 1, rng.randint(1, 28))) for _ in range(8)]
    for _ in range(25):
        c = rng.choice(commitments)
        with django_capture_on_commit_callbacks(execute=True):
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
        assert public_counts.current() is not None, "rebuilt after the commit"
        assert summary_rows() == as_counts(public_counts.live_rows())


def test_an_out_of_date_summary_is_never_read(django_capture_on_commit_callbacks):
    c = f.commitment(slug="one")
    c.themes.set([f.theme(slug="t", name="T")])
    with django_capture_on_commit_callbacks(execute=True):
        page_cache.bump()
    assert public_counts.current() is not None
    f.update(c, status="achieved", published=True)  # no commit here: the rebuild has not run
    assert public_counts.current() is None
    assert public_counts.refresh() is True
    assert public_counts.current()["theme"]  # up to date again


def test_a_rebuild_that_raced_a_change_is_not_marked_current(monkeypatch):
    f.commitment(slug="one")
    page_cache.bump()
    real = public_counts.live_rows

    def counting_while_someone_publishes(**kwargs):
        rows = real(**kwargs)
        page_cache.bump()  # a change commits while the rebuild counts
        return rows

    monkeypatch.setattr(public_counts, "live_rows", counting_while_someone_publishes)
    assert public_counts.refresh() is False
    assert public_counts.current() is None


def pages(client) -> list[bytes]:
    urls = ["/", "/commitments/", "/commitments/?status=in_progress", "/commitments/?status=stalled&expand=theme",
            "/commitments/?theme=pcve", "/commitments/?q=border", "/commitments/?as_of=2021-06-01"]
    return [client.get(url).content for url in urls]


def test_pages_read_the_same_numbers_from_the_summary_as_live(client, settings, django_capture_on_commit_callbacks):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0  # compare fresh renders
    f.catalogue()
    assert public_counts.current() is None
    live = pages(client)
    assert public_counts.refresh() is True and public_counts.current() is not None
    assert pages(client) == live


def test_the_summary_counts_only_public_commitments():
    published = f.commitment(slug="pub")
    draft = f.commitment(slug="draft", state=Commitment.State.DRAFT)
    theme = f.theme(slug="t", name="T")
    published.themes.set([theme])
    draft.themes.set([theme])
    f.update(draft, status="achieved", published=True)
    page_cache.bump()
    public_counts.refresh()
    assert public_counts.current()["theme"] == {theme.pk: {"not_assessed": 1}}
    assert StatusUpdate.objects.filter(commitment=draft).exists()
