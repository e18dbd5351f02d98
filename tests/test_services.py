"""Writes: publishing, withdrawing, the current-status rule, permissions, roles and deletion protection."""

import random
from datetime import date

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import ProtectedError

from commitments import roles, services
from commitments.models import Commitment, Evidence, StatusUpdate
from commitments.querysets import derived_status
from tests import factories

pytestmark = pytest.mark.django_db

ARCHIVE_MESSAGE = "This commitment has published status updates and cannot be deleted; archive it instead."


def stored(commitment) -> tuple[str, date | None, str]:
    """The current status, its date and that date's precision as stored in the database (not in memory)."""
    c = Commitment.objects.get(pk=commitment.pk)
    return c.current_status, c.current_status_date, c.current_status_precision


# --- the current-status rule ------------------------------------------------------------------


def test_publishing_sets_the_current_status_and_date():
    c = factories.commitment()
    u = factories.update(c, status="in_progress", as_of=date(2021, 3, 1))
    assert stored(c) == ("not_assessed", None, "day")
    services.publish_status_update(update=u, user=factories.publisher(), reason=factories.REASON)
    assert stored(c) == ("in_progress", date(2021, 3, 1), "day")
    u.refresh_from_db()
    assert u.is_published


def test_publishing_records_who_and_when():
    c = factories.commitment()
    pub = factories.publisher()
    published = services.publish_status_update(update=factories.update(c), user=pub, reason=factories.REASON)
    assert published.published_by == pub
    assert published.published_at is not None
    assert StatusUpdate.objects.get(pk=published.pk).published_by == pub


def test_an_older_as_of_published_later_does_not_replace_a_newer_one():
    c = factories.commitment()
    pub = factories.publisher()
    newer = factories.update(c, status="achieved", as_of=date(2022, 1, 1))
    older = factories.update(c, status="stalled", as_of=date(2021, 1, 1))
    services.publish_status_update(update=newer, user=pub, reason=factories.REASON)
    services.publish_status_update(update=older, user=pub, reason=factories.REASON)
    assert stored(c) == ("achieved", date(2022, 1, 1), "day")


def test_a_newer_as_of_replaces_an_older_one():
    c = factories.commitment()
    factories.update(c, status="stalled", as_of=date(2021, 1, 1), published=True)
    factories.update(c, status="achieved", as_of=date(2022, 1, 1), published=True)
    assert stored(c) == ("achieved", date(2022, 1, 1), "day")


def test_drafts_never_count():
    c = factories.commitment()
    factories.update(c, status="in_progress", as_of=date(2021, 1, 1), published=True)
    factories.update(c, status="achieved", as_of=date(2022, 1, 1), published=False)
    assert stored(c) == ("in_progress", date(2021, 1, 1), "day")
    d = factories.commitment()
    factories.update(d, status="achieved", as_of=date(2022, 1, 1), published=False)
    assert stored(d) == ("not_assessed", None, "day")


def test_withdrawing_falls_back_to_the_previous_update():
    c = factories.commitment()
    pub = factories.publisher()
    factories.update(c, status="in_progress", as_of=date(2021, 1, 1), published=True)
    latest = factories.update(c, status="achieved", as_of=date(2022, 1, 1), published=True)
    published_at = StatusUpdate.objects.get(pk=latest.pk).published_at
    services.withdraw_status_update(update=latest, user=pub, reason="The report it cited was retracted.")
    assert stored(c) == ("in_progress", date(2021, 1, 1), "day")
    latest.refresh_from_db()
    # Still on the record: its publication is kept, the withdrawal added beside it.
    assert (latest.published_at, latest.withdrawn_by, latest.withdraw_reason) == (
        published_at, pub, "The report it cited was retracted.")
    assert latest.is_withdrawn and not latest.is_published and latest.was_published


def test_withdrawing_the_only_update_returns_to_not_assessed():
    c = factories.commitment()
    only = factories.update(c, status="achieved", as_of=date(2022, 1, 1), published=True)
    services.withdraw_status_update(update=only, user=factories.publisher(), reason="Published in error.")
    assert stored(c) == ("not_assessed", None, "day")


def test_withdrawing_an_older_update_leaves_the_current_status():
    c = factories.commitment()
    older = factories.update(c, status="in_progress", as_of=date(2021, 1, 1), published=True)
    factories.update(c, status="achieved", as_of=date(2022, 1, 1), published=True)
    services.withdraw_status_update(update=older, user=factories.publisher(), reason="Published in error.")
    assert stored(c) == ("achieved", date(2022, 1, 1), "day")


def test_same_as_of_the_update_published_last_wins():
    c = factories.commitment()
    pub = factories.publisher()
    first = factories.update(c, status="in_progress", as_of=date(2022, 1, 1))
    second = factories.update(c, status="stalled", as_of=date(2022, 1, 1))
    # Published in the opposite order to creation: the one published last wins, not the newest row.
    services.publish_status_update(update=second, user=pub, reason=factories.REASON)
    services.publish_status_update(update=first, user=pub, reason=factories.REASON)
    assert stored(c) == ("in_progress", date(2022, 1, 1), "day")
    services.withdraw_status_update(update=first, user=pub, reason="Published in error.")
    assert stored(c) == ("stalled", date(2022, 1, 1), "day")
    with pytest.raises(ValidationError, match="stays withdrawn"):  # a withdrawal is final: add a new update
        services.publish_status_update(update=first, user=pub, reason=factories.REASON)
    assert stored(c) == ("stalled", date(2022, 1, 1), "day")


def test_publishing_twice_changes_nothing():
    c = factories.commitment()
    pub = factories.publisher()
    u = factories.update(c, published=True, by=pub)
    first_at = StatusUpdate.objects.get(pk=u.pk).published_at
    again = services.publish_status_update(update=u, user=factories.publisher(), reason=factories.REASON)
    assert again.published_at == first_at
    assert StatusUpdate.objects.get(pk=u.pk).published_by == pub


def test_withdrawing_a_draft_is_refused_and_changes_nothing():
    c = factories.commitment()
    factories.update(c, status="stalled", as_of=date(2021, 1, 1), published=True)
    draft = factories.update(c, status="achieved", as_of=date(2022, 1, 1))
    with pytest.raises(ValidationError, match="Only a published update can be withdrawn"):
        services.withdraw_status_update(update=draft, user=factories.publisher(), reason="Why not.")
    assert stored(c) == ("stalled", date(2021, 1, 1), "day")
    assert StatusUpdate.objects.get(pk=draft.pk).withdrawn_at is None


def test_publish_without_evidence_is_refused_and_nothing_changes():
    c = factories.commitment()
    u = factories.update(c, status="achieved", as_of=date(2022, 1, 1), evidence=0)
    with pytest.raises(ValidationError) as exc:
        services.publish_status_update(update=u, user=factories.publisher(), reason=factories.REASON)
    assert exc.value.messages == ["A status update needs at least one piece of evidence before it can be published."]
    u.refresh_from_db()
    assert u.published_at is None
    assert u.published_by is None
    assert stored(c) == ("not_assessed", None, "day")


def test_publish_with_invalid_evidence_is_refused():
    c = factories.commitment()
    u = factories.update(c, evidence=0)
    Evidence.objects.create(commitment=c, status_update=u, title="No stance", publisher="X", url="https://e.org/")
    with pytest.raises(ValidationError) as exc:
        services.publish_status_update(update=u, user=factories.publisher(), reason=factories.REASON)
    assert exc.value.message_dict == {"stance": ["Say whether this evidence supports or contradicts the status."]}
    assert StatusUpdate.objects.get(pk=u.pk).published_at is None
    assert stored(c) == ("not_assessed", None, "day")


def test_publish_of_an_update_dated_before_the_commitment_is_refused():
    c = factories.commitment(date_made=date(2019, 5, 15))
    u = factories.update(c, as_of=date(2019, 5, 1))
    with pytest.raises(ValidationError) as exc:
        services.publish_status_update(update=u, user=factories.publisher(), reason=factories.REASON)
    assert exc.value.message_dict == {
        "as_of": ["The as-of date (1 May 2019) is before the commitment was made (15 May 2019)."]
    }
    assert stored(c) == ("not_assessed", None, "day")


# --- permissions ------------------------------------------------------------------------------


def test_editor_cannot_publish_an_update():
    c = factories.commitment()
    u = factories.update(c)
    with pytest.raises(PermissionDenied, match="Only publishers can publish status updates."):
        services.publish_status_update(update=u, user=factories.editor(), reason=factories.REASON)
    assert StatusUpdate.objects.get(pk=u.pk).published_at is None
    assert stored(c) == ("not_assessed", None, "day")


def test_editor_cannot_withdraw_an_update():
    c = factories.commitment()
    u = factories.update(c, status="achieved", as_of=date(2022, 1, 1), published=True)
    with pytest.raises(PermissionDenied, match="Only publishers can withdraw status updates."):
        services.withdraw_status_update(update=u, user=factories.editor(), reason="In error.")
    assert StatusUpdate.objects.get(pk=u.pk).withdrawn_at is None
    assert stored(c) == ("achieved", date(2022, 1, 1), "day")


@pytest.mark.parametrize("state", ["published", "archived", "draft"])
def test_editor_cannot_change_a_commitments_state(state):
    c = factories.commitment(state="draft" if state != "draft" else "published")
    before = c.state
    with pytest.raises(PermissionDenied, match="Only publishers can publish or archive commitments."):
        services.set_commitment_state(commitment=c, state=state, user=factories.editor(), reason=factories.REASON)
    assert Commitment.objects.get(pk=c.pk).state == before


def test_staff_without_a_role_cannot_publish():
    u = factories.update(factories.commitment())
    with pytest.raises(PermissionDenied):
        services.publish_status_update(update=u, user=factories.staff(), reason=factories.REASON)


def test_publisher_can_publish_withdraw_and_change_state():
    pub = factories.publisher()
    c = factories.commitment(state=Commitment.State.DRAFT)
    u = factories.update(c, status="stalled", as_of=date(2021, 1, 1))
    services.publish_status_update(update=u, user=pub, reason=factories.REASON)
    assert stored(c) == ("stalled", date(2021, 1, 1), "day")
    services.withdraw_status_update(update=u, user=pub, reason="Published in error.")
    assert stored(c) == ("not_assessed", None, "day")
    for state in ["published", "archived", "published"]:
        returned = services.set_commitment_state(commitment=c, state=state, user=pub, reason=factories.REASON)
        assert returned.state == state
        assert Commitment.objects.get(pk=c.pk).state == state


def test_unknown_commitment_state_is_refused():
    c = factories.commitment(state=Commitment.State.PUBLISHED)
    with pytest.raises(ValidationError) as exc:
        services.set_commitment_state(commitment=c, state="deleted", user=factories.publisher(), reason="x")
    assert exc.value.messages == ["Unknown commitment state 'deleted'."]
    assert Commitment.objects.get(pk=c.pk).state == "published"


def test_archiving_keeps_the_current_status():
    c = factories.commitment()
    factories.update(c, status="achieved", as_of=date(2022, 1, 1), published=True)
    services.set_commitment_state(commitment=c, state="archived", user=factories.publisher(), reason="Out of scope.")
    assert stored(c) == ("achieved", date(2022, 1, 1), "day")


# --- no drift ---------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(8))
def test_current_status_never_drifts_from_the_updates(seed):
    rng = random.Random(seed)
    pub = factories.publisher()
    c = factories.commitment(date_made=date(2019, 5, 15))
    statuses = ["not_started", "in_progress", "stalled", "partially_achieved", "achieved", "abandoned"]
    days = [date(2020, 1, 1), date(2020, 6, 1), date(2021, 1, 1)]  # few days, so as-of ties happen
    updates = [factories.update(c, status=rng.choice(statuses), as_of=rng.choice(days)) for _ in range(5)]
    for _ in range(30):
        u = rng.choice(updates)
        try:  # publishing a withdrawn update or withdrawing a draft is refused, and changes nothing
            if rng.random() < 0.6:
                services.publish_status_update(update=u, user=pub, reason=factories.REASON)
            else:
                services.withdraw_status_update(update=u, user=pub, reason="In error.")
        except ValidationError:
            pass
        if rng.random() < 0.2:  # an editor saves an instance loaded before the publish
            c.title = f"Renamed {rng.random()}"
            c.save()
        expected = derived_status(commitment=c)
        assert stored(c) == expected
        # and the expected value is the rule itself: latest as-of, ties to the one published last
        live = [StatusUpdate.objects.get(pk=x.pk) for x in updates]
        live = [x for x in live if x.published_at is not None and x.withdrawn_at is None]
        if live:
            top = max(live, key=lambda x: (x.as_of, x.published_at, x.pk))
            assert expected == (top.status, top.as_of, top.as_of_precision)
        else:
            assert expected == ("not_assessed", None, "day")


def test_saving_a_stale_instance_does_not_overwrite_the_current_status():
    c = factories.commitment()
    factories.update(c, status="achieved", as_of=date(2022, 1, 1), published=True)
    assert c.current_status == "not_assessed"  # this instance was loaded before the publish
    c.title = "Renamed"
    c.save()
    assert stored(c) == ("achieved", date(2022, 1, 1), "day")
    assert Commitment.objects.get(pk=c.pk).title == "Renamed"


# --- deletion ---------------------------------------------------------------------------------


def test_deleting_a_commitment_with_a_published_update_is_refused():
    c = factories.commitment()
    published = factories.update(c, as_of=date(2021, 1, 1), published=True)
    factories.update(c, as_of=date(2022, 1, 1))
    with pytest.raises(ProtectedError) as exc:
        c.delete()
    assert exc.value.args[0] == ARCHIVE_MESSAGE
    assert "archive it instead" in str(exc.value)
    assert exc.value.protected_objects == {published}
    assert Commitment.objects.filter(pk=c.pk).exists()
    assert StatusUpdate.objects.filter(commitment=c).count() == 2
    assert Evidence.objects.filter(commitment=c).count() == 2


def test_queryset_delete_of_a_commitment_with_a_published_update_is_refused():
    keep = factories.commitment(slug="has-published")
    factories.update(keep, published=True)
    factories.commitment(slug="no-updates")
    with pytest.raises(ProtectedError) as exc:
        Commitment.objects.filter(slug__in=["has-published", "no-updates"]).delete()
    assert exc.value.args[0] == ARCHIVE_MESSAGE
    assert Commitment.objects.count() == 2
    assert StatusUpdate.objects.count() == 1
    assert Evidence.objects.count() == 1


def test_a_withdrawn_update_still_protects_the_commitment():
    c = factories.commitment()
    u = factories.update(c, published=True)
    services.withdraw_status_update(update=u, user=factories.publisher(), reason="Published in error.")
    with pytest.raises(ProtectedError):  # it stays on the public record
        c.delete()
    with pytest.raises(ProtectedError):
        Commitment.objects.filter(pk=c.pk).delete()
    assert StatusUpdate.objects.filter(pk=u.pk).exists()


def test_a_commitment_with_only_drafts_deletes_with_its_drafts_and_their_evidence():
    c = factories.commitment()
    other = factories.commitment()
    factories.update(c, evidence=2)
    factories.update(c, evidence=1, as_of=date(2021, 1, 1))
    Evidence.objects.create(commitment=c, title="Loose", publisher="X", url="https://example.org/loose")
    kept = factories.update(other, published=True)
    deleted, per_model = c.delete()
    assert per_model["commitments.Commitment"] == 1
    assert per_model["commitments.StatusUpdate"] == 2
    assert per_model["commitments.Evidence"] == 4
    assert not Commitment.objects.filter(pk=c.pk).exists()
    assert list(StatusUpdate.objects.all()) == [kept]
    assert Evidence.objects.count() == 1


def test_queryset_delete_of_commitments_with_only_drafts_succeeds():
    a, b = factories.commitment(), factories.commitment()
    factories.update(a)
    Commitment.objects.filter(pk__in=[a.pk, b.pk]).delete()
    assert not Commitment.objects.exists()
    assert not StatusUpdate.objects.exists()
    assert not Evidence.objects.exists()


# --- roles ------------------------------------------------------------------------------------

PUBLISHER_ONLY = ["commitments.publish_statusupdate", "commitments.publish_commitment", "commitments.delete_commitment"]


def test_the_two_roles_exist():
    assert set(Group.objects.filter(name__in=["Editors", "Publishers"]).values_list("name", flat=True)) == {
        "Editors",
        "Publishers",
    }
    assert (roles.EDITORS, roles.PUBLISHERS) == ("Editors", "Publishers")


@pytest.mark.parametrize("perm", PUBLISHER_ONLY)
def test_editors_lack_publisher_permissions(perm):
    assert not factories.editor().has_perm(perm)


@pytest.mark.parametrize("perm", PUBLISHER_ONLY)
def test_publishers_have_publisher_permissions(perm):
    assert factories.publisher().has_perm(perm)


def test_editors_can_draft():
    ed = factories.editor()
    for perm in ["add_commitment", "change_commitment", "add_statusupdate", "change_statusupdate", "add_evidence"]:
        assert ed.has_perm(f"commitments.{perm}"), perm


def test_publishers_have_every_editor_permission():
    editors = set(Group.objects.get(name="Editors").permissions.values_list("codename", flat=True))
    publishers = set(Group.objects.get(name="Publishers").permissions.values_list("codename", flat=True))
    assert editors < publishers
    assert {"publish_statusupdate", "publish_commitment", "delete_commitment"} <= publishers - editors
