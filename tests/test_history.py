"""Change history: who changed what, recorded by django-simple-history."""

from datetime import date

import pytest

from commitments import services
from commitments.models import Commitment
from commitments.selectors import public_changes
from tests import factories

pytestmark = pytest.mark.django_db


def edit(commitment, user, **changes):
    for field, value in changes.items():
        setattr(commitment, field, value)
    commitment._history_user = user
    commitment.save()
    del commitment._history_user


def test_creating_a_commitment_records_a_first_entry():
    c = factories.commitment(title="Deploy an expert")
    records = list(c.history.all())
    assert len(records) == 1
    assert records[0].history_type == "+"
    assert records[0].title == "Deploy an expert"


def test_editing_the_title_records_an_entry_with_the_user_and_the_changed_field():
    ed = factories.editor()
    c = factories.commitment(title="Old title")
    edit(c, ed, title="New title")
    new, old = c.history.all()[:2]
    assert c.history.count() == 2
    assert new.history_type == "~"
    assert new.history_user == ed
    assert (old.title, new.title) == ("Old title", "New title")
    delta = new.diff_against(old)
    assert delta.changed_fields == ["title"]
    assert [(ch.field, ch.old, ch.new) for ch in delta.changes] == [("title", "Old title", "New title")]


def test_editing_during_a_request_records_the_request_user():
    # In the admin the history middleware puts the request on HistoricalRecords.context.
    from simple_history.models import HistoricalRecords

    ed = factories.editor()
    c = factories.commitment(title="Old title")
    HistoricalRecords.context.request = type("Request", (), {"user": ed})()
    try:
        c.title = "New title"
        c.save()
    finally:
        del HistoricalRecords.context.request
    assert c.history.first().history_user == ed


def test_changing_themes_is_recorded():
    ed = factories.editor()
    pcve, borders = factories.theme(slug="pcve"), factories.theme(slug="border-management")
    c = factories.commitment()
    c._history_user = ed
    c.themes.add(pcve)
    after_add = c.history.first()
    c.themes.set([borders])
    latest = c.history.first()
    assert c.history.count() >= 3
    assert [t.theme.slug for t in after_add.themes.all()] == ["pcve"]
    assert [t.theme.slug for t in latest.themes.all()] == ["border-management"]
    delta = latest.diff_against(c.history.earliest())
    assert "themes" in delta.changed_fields
    assert latest.history_user == ed


def test_publishing_a_status_update_is_recorded_in_its_history():
    pub = factories.publisher()
    c = factories.commitment()
    u = factories.update(c, status="achieved", as_of=date(2022, 1, 1))
    assert u.history.count() == 1
    services.publish_status_update(update=u, user=pub)
    assert u.history.count() == 2
    new, old = u.history.all()[:2]
    assert old.published_at is None
    assert new.published_at is not None
    assert new.published_by_id == pub.pk
    assert new.history_user == pub
    # Publication changes nothing the editor wrote (published_at is not an editable field).
    assert new.diff_against(old).changed_fields == []
    assert (new.status, new.as_of) == ("achieved", date(2022, 1, 1))


def test_unpublishing_is_recorded_in_the_update_history():
    pub = factories.publisher()
    u = factories.update(factories.commitment(), published=True, by=pub)
    services.unpublish_status_update(update=u, user=pub)
    latest = u.history.first()
    assert u.history.count() == 3
    assert latest.published_at is None
    assert latest.history_user == pub


def test_derived_status_does_not_create_commitment_history():
    pub = factories.publisher()
    c = factories.commitment()
    before = c.history.count()
    first = factories.update(c, status="in_progress", as_of=date(2021, 1, 1), published=True, by=pub)
    factories.update(c, status="achieved", as_of=date(2022, 1, 1), published=True, by=pub)
    services.unpublish_status_update(update=first, user=pub)
    assert Commitment.objects.get(pk=c.pk).current_status == "achieved"
    assert c.history.count() == before


def test_history_does_not_store_derived_fields():
    field_names = {f.name for f in Commitment.history.model._meta.get_fields()}
    assert "title" in field_names
    assert "current_status" not in field_names
    assert "current_status_date" not in field_names


def test_changing_state_is_recorded_with_the_publisher():
    pub = factories.publisher()
    c = factories.commitment(state=Commitment.State.PUBLISHED)
    services.set_commitment_state(commitment=c, state=Commitment.State.ARCHIVED, user=pub)
    latest = c.history.first()
    assert c.history.count() == 2
    assert latest.state == "archived"
    assert latest.history_user == pub
    assert latest.diff_against(c.history.earliest()).changed_fields == ["state"]


def test_public_changes_start_once_the_commitment_is_published():
    ed, pub = factories.editor(), factories.publisher()
    c = factories.commitment(state=Commitment.State.DRAFT, title="Draft title")
    edit(c, ed, title="Better draft title")  # before publication: not public
    services.set_commitment_state(commitment=c, state=Commitment.State.PUBLISHED, user=pub)
    c.refresh_from_db()
    edit(c, ed, due_date=date(2025, 1, 1), due_text="by 2025")
    edit(c, ed, research_note="Internal note")  # not a public field
    changes = public_changes(commitment=c)
    assert [change.fields for change in changes] == [["due date", "due text"]]
