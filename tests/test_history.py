"""Change history: who changed what, recorded by django-simple-history (staff), and the public change
history read from ``PublicChange`` (date, kind, reason, old and new cited words)."""

from datetime import date

import pytest

from commitments import public_log, services
from commitments.models import Commitment, PublicChange
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
    services.publish_status_update(update=u, user=pub, reason="Delivered, says the final report.")
    assert u.history.count() == 2
    new, old = u.history.all()[:2]
    assert old.published_at is None
    assert new.published_at is not None
    assert new.published_by_id == pub.pk
    assert new.history_user == pub
    assert new.history_change_reason == "Delivered, says the final report."
    # Publication changes only the public reason, of what an editor can write (published_at is not editable).
    assert new.diff_against(old).changed_fields == ["publish_reason"]
    assert (new.status, new.as_of) == ("achieved", date(2022, 1, 1))


def test_withdrawing_is_recorded_in_the_update_history_with_its_reason():
    pub = factories.publisher()
    u = factories.update(factories.commitment(), published=True, by=pub)
    services.withdraw_status_update(update=u, user=pub, reason="The source was misread.")
    latest = u.history.first()
    assert u.history.count() == 3
    assert latest.published_at is not None and latest.withdrawn_at is not None
    assert (latest.history_user, latest.history_change_reason) == (pub, "The source was misread.")


def test_derived_status_does_not_create_commitment_history():
    pub = factories.publisher()
    c = factories.commitment()
    before = c.history.count()
    first = factories.update(c, status="in_progress", as_of=date(2021, 1, 1), published=True, by=pub)
    factories.update(c, status="achieved", as_of=date(2022, 1, 1), published=True, by=pub)
    services.withdraw_status_update(update=first, user=pub, reason="Published in error.")
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
    services.set_commitment_state(commitment=c, state=Commitment.State.ARCHIVED, user=pub, reason="Out of scope.")
    latest = c.history.first()
    assert c.history.count() == 2
    assert latest.state == "archived"
    assert (latest.history_user, latest.history_change_reason) == (pub, "Out of scope.")
    assert latest.diff_against(c.history.earliest()).changed_fields == ["state"]


def test_public_changes_start_once_the_commitment_is_published():
    ed, pub = factories.editor(), factories.publisher()
    c = factories.commitment(state=Commitment.State.DRAFT, title="Draft title")
    edit(c, ed, title="Better draft title")  # before publication: not public, not listed
    services.set_commitment_state(commitment=c, state=Commitment.State.PUBLISHED, user=pub, reason="Added.")
    assert [(e.kind, e.reason) for e in public_changes(commitment=c)] == [("published", "Added.")]


def _revise(c, *, reason: str, when=None, **new):
    """What approving a revision writes (H1's ``approve_revision``): the change and its public entry."""
    old = {name: getattr(c, name) for name in new}
    changes = public_log.field_changes(subject="commitment", model=Commitment, old=old, new=new)
    for name, value in new.items():
        setattr(c, name, value)
    c.save()
    return public_log.record(kind=PublicChange.Kind.REVISED, subject=c, reason=reason, changes=changes, when=when)


def test_public_changes_list_every_entry_newest_first_with_reasons_and_cited_words():
    from datetime import UTC, datetime

    pub = factories.publisher()
    c = factories.commitment(state=Commitment.State.DRAFT, title="Deploy an expert", quote="The EU will deploy.")
    services.set_commitment_state(commitment=c, state=Commitment.State.PUBLISHED, user=pub, reason="Added.")
    u = factories.update(c, status="in_progress", as_of=date(2020, 1, 1), published=True, by=pub,
                         reason="Expert recruited.")
    _revise(c, reason="The quote was cut short.", quote="The EU will deploy a CT expert.",
            scope_note="General policy.", when=datetime(2030, 1, 1, tzinfo=UTC))
    services.withdraw_status_update(update=u, user=pub, reason="The recruitment fell through.")
    entries = public_changes(commitment=c)
    assert [(e.kind, e.reason) for e in entries] == [
        ("revised", "The quote was cut short."),
        ("update_withdrawn", "The recruitment fell through."),
        ("update_published", "Expert recruited."),
        ("published", "Added."),
    ]
    assert entries[0].changes == [
        {"field": "quote", "label": "Quote", "old": "The EU will deploy.", "new": "The EU will deploy a CT expert."},
        {"field": "scope_note", "label": "Scope note", "old": None, "new": None},  # named, words not shown
    ]
    assert entries[1].status_update == u


def test_public_changes_include_corrections_of_its_source_and_nothing_of_other_commitments():
    pub = factories.publisher()
    src = factories.source(title="Old source title")
    c = factories.commitment(source=src)
    other = factories.commitment(source=factories.source())
    factories.update(other, published=True, by=pub)
    changes = public_log.field_changes(subject="source", model=type(src), old={"title": "Old source title"},
                                       new={"title": "New source title"})
    public_log.record(kind=PublicChange.Kind.REVISED, subject=src, reason="Official title.", changes=changes)
    (entry,) = public_changes(commitment=c)
    assert (entry.kind, entry.subject_type, entry.reason) == ("revised", "source", "Official title.")
    assert (entry.changes[0]["old"], entry.changes[0]["new"]) == ("Old source title", "New source title")
