"""A status needs evidence of the right kind: the rules (``status.EVIDENCE_RULES``), the publish service
that applies them, the admin that says a refusal beside the evidence, and the methodology page."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from commitments import services
from commitments import status as rules
from commitments.models import Evidence, StatusUpdate
from commitments.status import Status

from . import factories

pytestmark = pytest.mark.django_db

AS_OF = date(2024, 3, 1)
DAY = date(2024, 2, 20)
SUPPORTS, CONTRADICTS = "supports", "contradicts"

# Per status: evidence that is not enough (each alone), and evidence that is.
CASES = {
    Status.NOT_STARTED: (
        [(SUPPORTS, "announced", None), (SUPPORTS, "under way", DAY), (CONTRADICTS, "announced", DAY)],
        [(SUPPORTS, "announced", DAY), (SUPPORTS, "not begun", DAY)],
    ),
    Status.IN_PROGRESS: (
        [(SUPPORTS, "announced", DAY), (SUPPORTS, "context", DAY), (CONTRADICTS, "under way", DAY)],
        [(SUPPORTS, "under way", None), (SUPPORTS, "done", DAY)],
    ),
    Status.STALLED: (
        [(SUPPORTS, "announced", DAY), (SUPPORTS, "not begun", DAY)],
        [(SUPPORTS, "under way", DAY), (SUPPORTS, "done", None)],
    ),
    Status.PARTIALLY_ACHIEVED: (
        [(SUPPORTS, "announced", DAY), (SUPPORTS, "", DAY)],
        [(SUPPORTS, "under way", DAY), (SUPPORTS, "done", DAY)],
    ),
    Status.ACHIEVED: (
        [(SUPPORTS, "under way", DAY), (SUPPORTS, "announced", DAY), (CONTRADICTS, "done", DAY)],
        [(SUPPORTS, "done", None), (SUPPORTS, "done", DAY)],
    ),
    Status.ABANDONED: (
        [(SUPPORTS, "dropped", None), (SUPPORTS, "not begun", DAY), (SUPPORTS, "announced", DAY)],
        [(SUPPORTS, "dropped", DAY)],
    ),
}


def test_every_assessable_status_has_a_rule_and_every_rule_is_tested():
    assert set(rules.EVIDENCE_RULES) == {slug for slug, _ in rules.ASSESSABLE} == set(CASES)
    assert [r.slug for r in rules.evidence_rules()] == [s for s in Status.values if s != Status.NOT_ASSESSED]


@pytest.mark.parametrize("status", CASES)
def test_the_rule_refuses_the_wrong_kind_and_accepts_the_right_one(status):
    refused, accepted = CASES[status]
    for item in refused:
        problems = rules.evidence_problems(status=status, as_of=AS_OF, items=[item])
        assert problems == [f"“{Status(status).label}” needs evidence of the right kind. "
                            f"{rules.EVIDENCE_RULES[status].statement}"], item
    for item in accepted:
        assert rules.evidence_problems(status=status, as_of=AS_OF, items=[item]) == [], item
        # A contradicting item beside the right one does not spoil it.
        assert rules.evidence_problems(status=status, as_of=AS_OF, items=[item, (CONTRADICTS, "context", DAY)]) == []


def test_an_announcement_alone_supports_nothing_beyond_not_started():
    announced = [(SUPPORTS, "announced", DAY)]
    allowed = {s for s in CASES if not rules.evidence_problems(status=s, as_of=AS_OF, items=announced)}
    assert allowed == {Status.NOT_STARTED}


def test_evidence_later_than_the_as_of_date_is_a_problem_whatever_its_stance():
    for stance in (SUPPORTS, CONTRADICTS):
        items = [(SUPPORTS, "done", DAY), (stance, "context", date(2024, 3, 2))]
        assert rules.evidence_problems(status="achieved", as_of=AS_OF, items=items) == [
            f"Evidence dated 2 March 2024 is later than the as-of date (1 March 2024). {rules.EVIDENCE_DATE_RULE}"
        ]
    assert rules.evidence_problems(status="achieved", as_of=AS_OF, items=[(SUPPORTS, "done", AS_OF)]) == []


def test_an_as_of_month_allows_evidence_from_anywhere_in_that_month():
    """As of "March 2024" (stored as 1 March): evidence of 31 March is not later, of 1 April is."""
    march = dict(status="achieved", as_of=date(2024, 3, 1), as_of_precision="month")
    assert rules.evidence_problems(**march, items=[(SUPPORTS, "done", date(2024, 3, 31))]) == []
    problems = rules.evidence_problems(**march, items=[(SUPPORTS, "done", date(2024, 4, 1), "month")])
    assert problems == [f"Evidence dated April 2024 is later than the as-of date (March 2024). "
                        f"{rules.EVIDENCE_DATE_RULE}"]


# --- the publish service -----------------------------------------------------------------------


def _update(status: str, items: list[tuple], as_of: date = AS_OF) -> StatusUpdate:
    c = factories.commitment()
    u = factories.update(c, status=status, as_of=as_of, evidence=0)
    for i, (stance, indicates, day) in enumerate(items):
        Evidence.objects.create(commitment=c, status_update=u, title=f"E{i}", publisher="P", date=day,
                                url=f"https://example.org/{i}", stance=stance, indicates=indicates)
    return u


@pytest.mark.parametrize("status", CASES)
def test_publishing_against_the_rule_is_refused_with_the_message(status):
    refused, accepted = CASES[status]
    u = _update(status, refused)
    with pytest.raises(ValidationError) as exc:
        services.publish_status_update(update=u, user=factories.publisher())
    assert exc.value.message_dict["evidence"] == [
        f"“{Status(status).label}” needs evidence of the right kind. {rules.EVIDENCE_RULES[status].statement}"]
    u.refresh_from_db()
    assert not u.is_published and u.commitment.current_status == Status.NOT_ASSESSED
    good = _update(status, accepted)
    services.publish_status_update(update=good, user=factories.publisher())
    good.refresh_from_db()
    assert good.is_published


def test_publishing_with_evidence_later_than_the_as_of_date_is_refused():
    u = _update("achieved", [(SUPPORTS, "done", AS_OF), (CONTRADICTS, "context", date(2024, 3, 2))])
    with pytest.raises(ValidationError) as exc:
        services.publish_status_update(update=u, user=None)
    assert exc.value.message_dict["evidence"][0].startswith("Evidence dated 2 March 2024 is later than the as-of date")


# --- the admin ---------------------------------------------------------------------------------

UPDATE_ADD = reverse("admin:commitments_statusupdate_add")


def _post(commitment, *, status: str, evidence: list[dict], publish: bool = True) -> dict:
    data = {"commitment": str(commitment.pk), "status": status, "as_of": "2024-03-01", "as_of_precision": "day",
            "confidence": "medium", "summary": "What happened.", "evidence-TOTAL_FORMS": str(len(evidence)),
            "evidence-INITIAL_FORMS": "0", "evidence-MIN_NUM_FORMS": "0", "evidence-MAX_NUM_FORMS": "1000"}
    for i, item in enumerate(evidence):
        values = {"stance": "supports", "title": "Report", "publisher": "P", "date": "2024-02-20",
                  "date_precision": "day", "url": f"https://example.org/{i}"} | item
        data |= {f"evidence-{i}-{k}": v for k, v in values.items()}
    return data | ({"_publish": "1"} if publish else {})


def _evidence_errors(response) -> list[str]:
    formsets = [f for f in response.context["inline_admin_formsets"] if f.formset.prefix == "evidence"]
    return list(formsets[0].formset.non_form_errors())


@pytest.mark.parametrize("status", CASES)
def test_the_admin_says_a_refusal_beside_the_evidence_and_keeps_what_was_typed(client, status):
    stance, indicates, day = CASES[status][0][0]
    client.force_login(factories.publisher())
    commitment = factories.commitment()
    item = {"stance": stance, "indicates": indicates, "date": day.isoformat() if day else ""}
    response = client.post(UPDATE_ADD, _post(commitment, status=status, evidence=[item]))
    assert response.status_code == 200
    errors = _evidence_errors(response)
    assert errors[0].startswith("Not published, and not saved yet")
    assert rules.EVIDENCE_RULES[status].statement in errors[1]
    page = response.content.decode()
    # Said inside the evidence inline (its fieldset group), not only at the top of the page.
    inline = page[page.index('id="evidence-group"'):]
    assert "needs evidence of the right kind" in inline[: inline.index('id="evidence-0"')]
    assert "What happened." in page  # nothing typed is lost
    assert not StatusUpdate.objects.exists()


def test_the_admin_publishes_when_the_evidence_is_of_the_right_kind(client):
    client.force_login(factories.publisher())
    commitment = factories.commitment()
    response = client.post(UPDATE_ADD, _post(commitment, status="achieved", evidence=[{"indicates": "done"}]))
    assert response.status_code == 302
    assert StatusUpdate.objects.get().is_published


def test_the_admin_refuses_evidence_dated_after_the_as_of_date(client):
    client.force_login(factories.publisher())
    evidence = [{"indicates": "done"}, {"indicates": "context", "stance": "contradicts", "date": "2024-03-02"}]
    response = client.post(UPDATE_ADD, _post(factories.commitment(), status="achieved", evidence=evidence))
    assert any("later than the as-of date" in e for e in _evidence_errors(response))


def test_saving_a_draft_is_not_checked_against_the_rule(client):
    """Only publishing is: an editor may draft an update and its evidence in any order."""
    client.force_login(factories.editor())
    commitment = factories.commitment()
    response = client.post(UPDATE_ADD, _post(commitment, status="achieved", evidence=[{"indicates": "announced"}]))
    assert response.status_code == 302  # an editor's "publish" is refused by the service, after saving
    update = StatusUpdate.objects.get()
    assert not update.is_published and update.evidence.get().indicates == "announced"


def test_bulk_publish_names_the_rule_an_update_fails(client):
    client.force_login(factories.publisher())
    u = _update("in_progress", [(SUPPORTS, "announced", DAY)])
    changelist = reverse("admin:commitments_statusupdate_changelist")
    response = client.post(changelist, {"action": "publish_updates", "_selected_action": [u.pk]}, follow=True)
    said = " ".join(str(m) for m in response.context["messages"])
    assert rules.EVIDENCE_RULES["in_progress"].statement in said
    u.refresh_from_db()
    assert not u.is_published


def test_the_rules_are_shown_to_staff_beside_the_status_choices(client):
    client.force_login(factories.editor())
    page = client.get(UPDATE_ADD).content.decode()
    help_start = page.index('id="id_status_helptext"')
    help_text = page[help_start: page.index("</div>", help_start)]
    for rule in rules.evidence_rules():
        assert rule.label in help_text
        assert rule.statement.replace("’", "&#x27;") in help_text or rule.statement in help_text


# --- the methodology page ----------------------------------------------------------------------


def test_the_methodology_page_shows_the_scale_the_rules_and_how_dates_are_read(client):
    from .test_public_pages import text

    response = client.get(reverse("commitments:methodology"))
    assert response.status_code == 200
    words = text(response.content.decode())
    for info in rules.scale():
        assert info.label in words and info.definition in words
    for rule in rules.evidence_rules():
        assert rule.statement in words
    assert rules.EVIDENCE_DATE_RULE in words
    assert "not overdue on 15 July 2022, only from 1 August 2022" in words
    assert "known to exist" in words and "expected end" in words
    # Linked from every page.
    assert f'href="{reverse("commitments:methodology")}"' in client.get("/").content.decode()
