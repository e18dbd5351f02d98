"""Text search: PostgreSQL full-text search (a GIN-indexed document per commitment), SQLite FTS5."""

from datetime import date

import pytest
from django.db import connection

from commitments.models import Commitment

from . import factories as f

pytestmark = pytest.mark.django_db

ON_POSTGRES = connection.vendor == "postgresql"


@pytest.fixture
def data():
    f.commitment(slug="families", title="Reintegrate returning families", quote="Support for reintegration.")
    f.commitment(slug="borders", title="Border management", quote="Secure the borders of the region.")
    expert = f.commitment(slug="expert", title="Deploy an expert", quote="The EU will deploy an expert.")
    f.update(expert, as_of=date(2020, 1, 1), published=True, summary="The expert was posted to Bishkek.")
    f.update(expert, as_of=date(2020, 2, 1), summary="Draft about Almaty.")


def slugs(text: str) -> set[str]:
    return set(Commitment.objects.search(text).values_list("slug", flat=True))


def test_words_in_title_quote_and_published_summaries(data):
    assert slugs("border") == {"borders"}
    assert slugs("Bishkek") == {"expert"}  # a published update's summary
    assert slugs("Almaty") == set()  # a draft's summary is never searched
    assert slugs("deploy expert") == {"expert"}  # every word must match
    assert slugs("deploy border") == set()


def test_both_databases_stem_and_understand_the_same_syntax(data):
    """Was PostgreSQL only: SQLite now stems English too (FTS5 ``porter``) and reads the same syntax."""
    assert slugs("reintegrating") == {"families"}  # stem of "reintegrate" / "reintegration"
    assert slugs("borders -region") == set()
    assert slugs('"returning families"') == {"families"}
    assert slugs("expert or border") == {"expert", "borders"}


@pytest.mark.skipif(not ON_POSTGRES, reason="the GIN index exists on PostgreSQL only")
def test_postgres_search_uses_the_gin_index(data):
    """The search asks the per-commitment document table, and its GIN index can answer.

    Plain scans are discouraged: on a table this small the planner would rightly read it whole.
    (On the 100,000-commitment benchmark database it picks the GIN index by itself.)
    """
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
    plan = Commitment.objects.search("expert").values("pk").explain()
    assert "commitment_search_document_gin" in plan
    assert slugs("expert") == {"expert"}


def test_search_document_follows_every_write(data):
    """Triggers keep the document current, even for writes that bypass the ORM's save()."""
    from django.utils import timezone

    from commitments.models import StatusUpdate

    expert = Commitment.objects.get(slug="expert")
    draft = StatusUpdate.objects.get(commitment=expert, published_at__isnull=True)
    published = StatusUpdate.objects.get(commitment=expert, published_at__isnull=False)
    Commitment.objects.filter(pk=expert.pk).update(title="Deploy a kingfisher")
    assert slugs("kingfisher") == {"expert"}
    StatusUpdate.objects.filter(pk=draft.pk).update(published_at=timezone.now())
    assert slugs("Almaty") == {"expert"}
    StatusUpdate.objects.filter(pk=draft.pk).update(published_at=None)
    assert slugs("Almaty") == set()
    StatusUpdate.objects.filter(pk=published.pk).update(summary="A heron was seen in Osh.")
    assert slugs("heron") == {"expert"} and slugs("Bishkek") == set()
    StatusUpdate.objects.filter(commitment=expert).delete()
    assert slugs("heron") == set()
    Commitment.objects.filter(pk=expert.pk).delete()
    assert Commitment.objects.search_ids("kingfisher").tolist() == []  # its document went with it


def test_words_match_without_case_and_whole_not_as_prefixes(data):
    """SQLite used to match word prefixes (``reintegrat``); PostgreSQL never did. Both now match whole words
    by their stems, so the two databases find the same."""
    assert slugs("BORDER") == {"borders"}
    assert slugs("reintegrat") == set()
    assert slugs("reintegration") == {"families"}


def test_the_index_follows_every_write(data):
    from commitments import services
    from commitments.models import StatusUpdate

    c = Commitment.objects.get(slug="borders")
    c.title = "Border management with Afghanistan"
    c.save()
    assert slugs("Afghanistan") == {"borders"}
    draft = f.update(c, as_of=date(2021, 1, 1), summary="Patrols resumed in Khorog.")
    assert slugs("Khorog") == set()  # a draft is not searchable
    services.publish_status_update(update=draft, user=None, reason=f.REASON)
    assert slugs("Khorog") == {"borders"}
    withdrawn = StatusUpdate.objects.get(pk=draft.pk)
    services.withdraw_status_update(update=withdrawn, user=f.publisher(), reason="Wrong place.")
    # A withdrawn update stays on the page, readable: its words still find the commitment.
    assert slugs("Khorog") == {"borders"}


def test_text_without_words_matches_nothing_and_never_errors(data):
    for text in ['"', "*", "AND", "-", "()", "NEAR(", "^", ":"]:
        assert slugs(text) <= {"families", "borders", "expert"}
    assert slugs("%%%") == set()
