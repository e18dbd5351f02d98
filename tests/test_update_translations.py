"""A published status update and its evidence: their translations are added or corrected through review.

The English summary, status, dates and evidence stay as published (a correction is a withdrawal and a
new update); the Russian texts go in as a pending revision an editor proposes in the admin and a
publisher approves with a public reason (shown in the change history) or rejects.
"""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.text import capfirst

from commitments import revisions, update_translations
from commitments.admin_review import DIVERTED, NOTHING_CHANGED
from commitments.models import Evidence, PublicChange, Revision, StatusUpdate

from . import factories as f
from .conftest import built_once
from .factories import admin_change_url as _change_url
from .factories import logged_in as _client
from .test_query_counts import DETAIL

pytestmark = pytest.mark.django_db

RU_SUMMARY = "Эксперт Зыкворн приступил к работе в секретариате."
RU_DESCRIPTION = "Приказ Зыкворна о назначении эксперта."
RU_QUOTE = "Эксперт назначен приказом Зыкворна."
REASON = "Added the Russian translation of the summary."


class Data:
    """The shared rows: a published commitment with a published update (and its evidence) and a draft update."""

    def __init__(self):
        self.commitment = f.commitment(title="Deploy a P/CVE expert")
        self.update = f.update(self.commitment, status="in_progress", as_of=date(2021, 3, 1), published=True,
                               summary="The expert took up the post in the secretariat.")
        self.update.refresh_from_db()  # as published
        self.evidence = self.update.evidence.get()
        Evidence.objects.filter(pk=self.evidence.pk).update(
            description="The order appointing the expert.", quote="The expert is appointed by order.")
        self.evidence.refresh_from_db()
        self.draft = f.update(self.commitment, status="in_progress", as_of=date(2021, 4, 1))
        self.editor, self.publisher = f.editor(username="eda"), f.publisher(username="pia")
        self.en_page = self.commitment.get_absolute_url()  # read now: after a request to /ru/, reverse gives /ru/
        self.ru_page = f"/ru{self.en_page}"
        self.ru_updates = f"/ru{reverse('commitments:updates')}"


@pytest.fixture(scope="module")
def ns(django_db_setup, django_db_blocker):
    with built_once(django_db_blocker, Data) as data:
        yield data


def _review_url(revision) -> str:
    return reverse("admin:commitments_revision_change", args=[revision.pk])


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def _text(url: str) -> str:
    response = Client().get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def _propose_summary(ns, text=RU_SUMMARY) -> Revision:
    return revisions.propose_revision(instance=ns.update, data={"summary_ru": text, "translation_source_ru": "tracker"},
                                      user=ns.editor)


def test_an_editor_proposes_the_russian_summary_in_the_admin_and_the_public_does_not_see_it(ns):
    editor = _client(ns.editor)
    url = _change_url(ns.update)
    page = editor.get(url)
    fields = page.context["adminform"].form.fields
    # Side by side: the English summary read-only beside its editable Russian column.
    assert {"summary_ru", "translation_source_ru"} <= set(fields)
    assert not {"summary", "status", "as_of", "confidence", "publish_reason"} & set(fields)
    evidence_form = page.context["inline_admin_formsets"][0].formset.forms[0]
    assert set(evidence_form.fields) - {"id", "status_update"} == update_translations.LIMITED[Evidence]

    response = editor.post(url, f.admin_form_data(editor, url) | {"summary_ru": RU_SUMMARY,
                                                                   "translation_source_ru": "tracker"}, follow=True)

    assert response.status_code == 200
    assert DIVERTED in _messages(response)
    revision = Revision.objects.get()
    assert (revision.subject_type, revision.subject_id, revision.review_state, revision.created_by) == (
        "update", ns.update.pk, "pending", ns.editor)
    assert revision.data == {"summary_ru": RU_SUMMARY, "translation_source_ru": "tracker"}
    assert revision.base == {"summary_ru": "", "translation_source_ru": ""}
    assert StatusUpdate.objects.get(pk=ns.update.pk).summary_ru == ""
    assert RU_SUMMARY not in _text(ns.ru_page)
    assert RU_SUMMARY not in _text(ns.ru_updates)
    assert not PublicChange.objects.filter(kind=PublicChange.Kind.REVISED).exists()


def test_a_publisher_approves_it_with_a_reason_and_the_russian_pages_show_it_with_the_change(ns, synthetic_flag_cached):
    revision = _propose_summary(ns)
    with CaptureQueriesContext(connection) as before_page:
        _text(ns.ru_page)
    with CaptureQueriesContext(connection) as before_updates:
        _text(ns.ru_updates)

    approved = _client(ns.publisher).post(_review_url(revision), {"action": "approve", "reason": REASON})

    assert approved.status_code == 302
    revision.refresh_from_db()
    assert (revision.review_state, revision.reviewed_by, revision.review_reason) == ("approved", ns.publisher, REASON)
    stored = StatusUpdate.objects.get(pk=ns.update.pk)
    assert (stored.summary_ru, stored.translation_source_ru) == (RU_SUMMARY, "tracker")
    assert (stored.summary, stored.status, stored.published_at) == (
        ns.update.summary, ns.update.status, ns.update.published_at)  # the rest as published
    change = PublicChange.objects.get(kind=PublicChange.Kind.REVISED)
    assert (change.subject_type, change.subject_id, change.commitment, change.status_update, change.revision) == (
        "update", ns.update.pk, ns.commitment, stored, revision)
    summary = next(c for c in change.changes if c["field"] == "summary_ru")
    assert (summary["old"], summary["new"]) == ("", RU_SUMMARY)
    latest = stored.history.latest("history_date", "history_id")
    assert (latest.history_change_reason, latest.history_user) == (REASON, ns.publisher)

    page = _text(ns.ru_page)
    assert RU_SUMMARY in page
    assert "(перевод трекера)" in page  # who translated it: the tracker (its own, unofficial)
    assert f'id="change-{change.pk}"' in page and REASON in page  # the change history
    assert RU_SUMMARY in _text(ns.ru_updates)
    english = _text(ns.en_page)
    assert ns.update.summary in english and RU_SUMMARY not in english.split('id="changes"')[0]
    # The translation is read with the update: the pages ask nothing more of the database.
    with CaptureQueriesContext(connection) as after_page:
        _text(ns.ru_page)
    with CaptureQueriesContext(connection) as after_updates:
        _text(ns.ru_updates)
    assert len(after_page) == len(before_page) == DETAIL
    assert len(after_updates) == len(before_updates)


def test_the_english_summary_status_and_dates_cannot_be_changed_this_way(ns):
    editor = _client(ns.editor)
    url = _change_url(ns.update)
    # The admin: the fields are read-only, so a posted value is ignored and nothing is proposed.
    data = f.admin_form_data(editor, url) | {"summary": "Rewritten in English.", "status": "achieved"}
    response = editor.post(url, data, follow=True)
    assert NOTHING_CHANGED in _messages(response)
    assert not Revision.objects.exists()
    # The service refuses them, with or without a translation beside them.
    for data in ({"summary": "Rewritten in English."}, {"summary_ru": RU_SUMMARY, "as_of": date(2021, 2, 1)},
                 {"description": "Other words."}):
        instance = ns.evidence if "description" in data else ns.update
        with pytest.raises(ValidationError, match="withdraw the update"):
            revisions.propose_revision(instance=instance, data=data, user=ns.editor)
    # A revision made otherwise (not by the service) is refused when approved, and nothing is applied.
    forged = Revision.objects.create(subject_type="update", subject_id=ns.update.pk, data={"summary": "Forged."},
                                     base={"summary": ns.update.summary}, created_by=ns.editor)
    with pytest.raises(ValidationError, match="withdraw the update"):
        revisions.approve_revision(revision=forged, user=ns.publisher, reason=REASON)
    assert StatusUpdate.objects.get(pk=ns.update.pk).summary == ns.update.summary
    assert not PublicChange.objects.filter(kind=PublicChange.Kind.REVISED).exists()


def test_a_rejection_keeps_the_text_for_the_editor(ns):
    revision = _propose_summary(ns)

    rejected = _client(ns.publisher).post(_review_url(revision), {"action": "reject", "reason": "Say “secretariat”."})

    assert rejected.status_code == 302
    revision.refresh_from_db()
    assert revision.review_state == "rejected" and revision.data["summary_ru"] == RU_SUMMARY
    assert StatusUpdate.objects.get(pk=ns.update.pk).summary_ru == ""
    assert RU_SUMMARY not in _text(ns.ru_page)
    editor = _client(ns.editor)
    review = editor.get(_review_url(revision))
    assert review.status_code == 200
    assert "Say “secretariat”." in review.content.decode()
    rows = {str(row["label"]): row["proposed"] for row in review.context["rows"]}
    with translation.override(review.wsgi_request.LANGUAGE_CODE):  # the admin's labels are in its language
        label = capfirst(str(StatusUpdate._meta.get_field("summary_ru").verbose_name))
    assert rows[label] == RU_SUMMARY
    # The editor opens a new edit from it: the form starts from the rejected text.
    prefilled = editor.get(review.context["prefill_url"])
    assert prefilled.context["adminform"].form["summary_ru"].value() == RU_SUMMARY


def test_only_publishers_approve_and_a_draft_update_saves_its_translation_directly(ns):
    revision = _propose_summary(ns)
    with pytest.raises(PermissionDenied):
        revisions.approve_revision(revision=revision, user=ns.editor, reason=REASON)
    assert _client(ns.editor).post(_review_url(revision), {"action": "approve", "reason": REASON}).status_code == 403
    assert not revisions.needs_review(ns.draft)
    editor = _client(ns.editor)
    url = _change_url(ns.draft)
    editor.post(url, f.admin_form_data(editor, url) | {"summary_ru": RU_SUMMARY, "translation_source_ru": "tracker"})
    assert StatusUpdate.objects.get(pk=ns.draft.pk).summary_ru == RU_SUMMARY
    assert Revision.objects.count() == 1


def test_the_evidence_translations_are_proposed_from_the_update_page_and_approved_alike(ns):
    editor = _client(ns.editor)
    url = _change_url(ns.update)
    data = f.admin_form_data(editor, url)
    prefix = next(key for key in data if key.endswith("-0-description_ru")).removesuffix("-0-description_ru")
    item = {f"{prefix}-0-{name}": value for name, value in {
        "description_ru": RU_DESCRIPTION, "translation_source_ru": "tracker",
        "quote_translation_ru": RU_QUOTE, "quote_translation_source_ru": "tracker"}.items()}

    # A translation needs its provenance: the inline says so, and nothing is proposed.
    refused = editor.post(url, data | item | {f"{prefix}-0-quote_translation_source_ru": ""})
    assert refused.status_code == 200 and "Say who made this translation." in refused.content.decode()
    assert not Revision.objects.exists()

    response = editor.post(url, data | item | {"summary_ru": RU_SUMMARY, "translation_source_ru": "tracker"},
                           follow=True)

    assert any("Saved as 2 revisions pending a publisher's review" in m for m in _messages(response))
    update_revision, evidence_revision = Revision.objects.order_by("id")
    assert (update_revision.subject_type, evidence_revision.subject_type) == ("update", "evidence")
    assert evidence_revision.data == {"description_ru": RU_DESCRIPTION, "translation_source_ru": "tracker",
                                      "quote_translation_ru": RU_QUOTE, "quote_translation_source_ru": "tracker",
                                      "quote_translation_url_ru": ""}
    assert RU_DESCRIPTION not in _text(ns.ru_page)
    # The update's page says it is waiting; its review page opens the update (the evidence has no page).
    assert any(f"revision #{evidence_revision.pk}" in m for m in _messages(editor.get(url)))
    review = editor.get(_review_url(evidence_revision))
    assert (review.context["edit_url"], review.context["prefill_url"]) == (url, None)
    assert {RU_DESCRIPTION, RU_QUOTE} <= {row["proposed"] for row in review.context["rows"]}

    revisions.approve_revision(revision=evidence_revision, user=ns.publisher, reason=REASON)

    page = _text(ns.ru_page)
    assert RU_DESCRIPTION in page and RU_QUOTE in page
    assert ns.evidence.quote in page  # the verbatim original stays beside its translation
    change = PublicChange.objects.get(kind=PublicChange.Kind.REVISED)
    assert (change.subject_type, change.commitment, change.status_update) == ("evidence", ns.commitment, ns.update)
    assert "(перевод его доказательств)" in page  # the change log names what changed, in Russian
    queue = _client(ns.publisher).get(reverse("admin:commitments_revision_changelist"))
    names = {r.pk: r.subject_name for r in queue.context["cl"].result_list}
    assert names == {update_revision.pk: ns.commitment.title, evidence_revision.pk: ns.evidence.title}
