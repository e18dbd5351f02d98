"""The staff admin, driven through the test client as an editor and as a publisher."""

import io
import zipfile
from datetime import date
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from commitments.admin_actions import APPLY
from commitments.models import Commitment, Evidence, PublicChange, StatusUpdate
from commitments.public_log import REASON_REQUIRED

from . import factories as f

pytestmark = pytest.mark.django_db

UPDATE_ADD = reverse("admin:commitments_statusupdate_add")
REASON = "Training reports from all five countries confirm it."
COMMITMENT_ADD = reverse("admin:commitments_commitment_add")


def _login(client, user):
    client.force_login(user)
    return client


def _action(client, changelist, action: str, pks, reason: str | None = None, **kw):
    """Choose a bulk action; with ``reason``, also post its intermediate page back with that public reason."""
    data = {"action": action, "_selected_action": list(pks)}
    if reason is not None:
        data |= {APPLY: "1", "reason": reason}
    return client.post(changelist, data, **kw)


def _evidence_formset(items: list[dict], prefix: str = "evidence") -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(items)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, item in enumerate(items):
        for key, value in item.items():
            data[f"{prefix}-{i}-{key}"] = value
    return data


def _update_post(commitment, *, evidence: list[dict], **extra) -> dict:
    return {
        "commitment": str(commitment.pk),
        "status": "in_progress",
        "as_of": "2024-03-01",
        "confidence": "medium",
        "summary": "Training under way in all five countries.",
        **_evidence_formset(evidence),
        **extra,
    }


GOOD_EVIDENCE = {
    "stance": "supports",
    "title": "Steering committee report",
    "publisher": "Project LEICA",
    "date": "2024-02-20",
    "url": "https://example.org/report",
    "indicates": "under way",  # what an "in progress" rating needs
}


def _commitment_post(**overrides) -> dict:
    source = f.source()
    data = {
        "title": "Deploy an expert",
        "slug": "deploy-an-expert",
        "quote": "The EU will deploy an expert.",
        "quote_context": "",
        "statement_type": "pledge",
        "scope_note": "",
        "source": str(source.pk),
        "location": "Final paragraph",
        "date_made": "2019-05-15",
        "date_note": "",
        "due_date": "",
        "due_text": "shortly",
        "actors_basis": "stated",
        "actors_note": "",
        "other_countries": "",
        "countries_note": "",
        "assessment_scope": "regional",
        "research_note": "",
        # the two inlines, empty
        "status_updates-TOTAL_FORMS": "0", "status_updates-INITIAL_FORMS": "0",
        "status_updates-MIN_NUM_FORMS": "0", "status_updates-MAX_NUM_FORMS": "1000",
        "evidence-TOTAL_FORMS": "0", "evidence-INITIAL_FORMS": "0",
        "evidence-MIN_NUM_FORMS": "0", "evidence-MAX_NUM_FORMS": "1000",
    }
    return data | overrides


def test_editor_adds_a_commitment_as_a_draft(client):
    _login(client, f.editor())
    response = client.post(COMMITMENT_ADD, _commitment_post())
    assert response.status_code == 302, response.context["adminform"].form.errors
    commitment = Commitment.objects.get(slug="deploy-an-expert")
    assert commitment.state == Commitment.State.DRAFT
    assert not Commitment.objects.public().exists()


def test_due_date_before_date_made_is_shown_beside_the_field_and_input_is_kept(client):
    _login(client, f.editor())
    response = client.post(COMMITMENT_ADD, _commitment_post(due_date="2019-01-01"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "cannot be before the date the commitment was made" in errors["due_date"][0]
    assert "The EU will deploy an expert." in response.content.decode()  # nothing typed is lost
    assert not Commitment.objects.exists()


def test_duplicate_slug_gets_a_clear_message(client):
    f.commitment(slug="deploy-an-expert")
    _login(client, f.editor())
    response = client.post(COMMITMENT_ADD, _commitment_post())
    assert response.status_code == 200
    assert "A commitment with this slug already exists" in response.content.decode()


def test_editor_drafts_an_update_with_evidence_but_cannot_publish_it(client):
    commitment = f.commitment()
    _login(client, f.editor())
    form_page = client.get(UPDATE_ADD + f"?commitment={commitment.pk}")
    assert "Save and publish" not in form_page.content.decode()

    response = client.post(UPDATE_ADD, _update_post(commitment, evidence=[GOOD_EVIDENCE], _publish="1"), follow=True)
    assert response.status_code == 200
    update = StatusUpdate.objects.get()
    assert not update.is_published
    assert "Only publishers can publish" in response.content.decode()
    assert update.evidence.get().commitment == commitment  # evidence filed under the update's commitment
    commitment.refresh_from_db()
    assert commitment.current_status == "not_assessed"


def test_publisher_saves_and_publishes_in_one_step(client):
    commitment = f.commitment()
    publisher = f.publisher()
    _login(client, publisher)
    assert "Save and publish" in client.get(UPDATE_ADD).content.decode()
    post = _update_post(commitment, evidence=[GOOD_EVIDENCE], _publish="1", publish_reason=REASON)
    response = client.post(UPDATE_ADD, post, follow=True)
    assert response.status_code == 200
    update = StatusUpdate.objects.get()
    assert update.is_published and update.published_by == publisher
    assert update.publish_reason == REASON
    entry = PublicChange.objects.get(status_update=update)
    assert (entry.kind, entry.reason, entry.commitment) == ("update_published", REASON, commitment)
    assert update.history.first().history_change_reason == REASON  # "Change reason" in the admin's history
    commitment.refresh_from_db()
    assert (commitment.current_status, commitment.current_status_date) == ("in_progress", date(2024, 3, 1))


def test_save_and_publish_without_a_reason_shows_the_error_beside_the_field_and_keeps_the_text(client):
    commitment = f.commitment()
    _login(client, f.publisher())
    post = _update_post(commitment, evidence=[GOOD_EVIDENCE], _publish="1", publish_reason="   ",
                        summary="My carefully typed summary.")
    response = client.post(UPDATE_ADD, post)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors == {"publish_reason": [REASON_REQUIRED]}
    page = response.content.decode()
    assert "My carefully typed summary." in page and "Publish reason" in page
    assert not StatusUpdate.objects.exists() and not PublicChange.objects.exists()
    # A plain save needs no reason: a draft may have none yet.
    response = client.post(UPDATE_ADD, _update_post(commitment, evidence=[GOOD_EVIDENCE]))
    assert response.status_code == 302 and StatusUpdate.objects.drafts().count() == 1


def test_publishing_without_evidence_keeps_the_draft_and_says_why(client):
    commitment = f.commitment()
    _login(client, f.publisher())
    post = _update_post(commitment, evidence=[], _publish="1", publish_reason=REASON)
    response = client.post(UPDATE_ADD, post, follow=True)
    update = StatusUpdate.objects.get()  # saved: nothing typed is lost
    assert update.publish_reason == REASON
    assert update.summary == "Training under way in all five countries."
    assert not update.is_published
    assert "needs at least one piece of evidence" in response.content.decode()


def test_future_as_of_date_is_refused_beside_the_field(client):
    commitment = f.commitment()
    _login(client, f.editor())
    response = client.post(UPDATE_ADD, _update_post(commitment, evidence=[GOOD_EVIDENCE], as_of="2999-01-01"))
    assert response.status_code == 200
    assert "is in the future" in response.context["adminform"].form.errors["as_of"][0]
    assert not StatusUpdate.objects.exists()


def test_evidence_without_url_or_document_is_refused(client):
    commitment = f.commitment()
    _login(client, f.editor())
    bad = GOOD_EVIDENCE | {"url": ""}
    response = client.post(UPDATE_ADD, _update_post(commitment, evidence=[bad]))
    assert response.status_code == 200
    assert "Give the evidence a URL or upload a document." in response.content.decode()
    assert not StatusUpdate.objects.exists() and not Evidence.objects.exists()


def test_publish_actions_are_offered_to_publishers_only(client):
    changelist = reverse("admin:commitments_statusupdate_changelist")
    _login(client, f.editor())
    actions = dict(client.get(changelist).context["action_form"].fields["action"].choices)
    assert "publish_updates" not in actions and "withdraw_updates" not in actions

    draft = f.update(f.commitment())
    response = _action(client, changelist, "publish_updates", [draft.pk], reason=REASON)
    draft.refresh_from_db()
    assert not draft.is_published
    assert response.status_code in (200, 302)

    client.force_login(f.publisher())
    actions = dict(client.get(changelist).context["action_form"].fields["action"].choices)
    assert "publish_updates" in actions and "withdraw_updates" in actions
    # The action first asks for the public reason, on a page carrying the selection.
    page = _action(client, changelist, "publish_updates", [draft.pk])
    assert page.status_code == 200 and page.template_name == "admin/commitments/reason_action.html"
    assert f'name="_selected_action" value="{draft.pk}"' in page.content.decode()
    draft.refresh_from_db()
    assert not draft.is_published
    _action(client, changelist, "publish_updates", [draft.pk], reason=REASON)
    draft.refresh_from_db()
    assert draft.is_published and draft.publish_reason == REASON


def test_published_update_is_read_only_and_cannot_be_deleted(client):
    commitment = f.commitment()
    update = f.update(commitment, status="stalled", published=True)
    _login(client, f.publisher())
    url = reverse("admin:commitments_statusupdate_change", args=[update.pk])
    client.post(url, _update_post(commitment, evidence=[], status="achieved"))
    update.refresh_from_db()
    assert update.status == "stalled"
    delete = client.post(reverse("admin:commitments_statusupdate_delete", args=[update.pk]), {"post": "yes"})
    assert delete.status_code == 403
    assert StatusUpdate.objects.filter(pk=update.pk).exists()


def test_deleting_a_commitment_with_published_updates_is_refused_with_advice(client):
    commitment = f.commitment()
    f.update(commitment, published=True)
    _login(client, f.publisher())
    url = reverse("admin:commitments_commitment_delete", args=[commitment.pk])
    page = client.get(url, follow=True).content.decode()
    assert "Archive it instead" in page
    client.post(url, {"post": "yes"})
    assert Commitment.objects.filter(pk=commitment.pk).exists()


def test_editor_cannot_delete_or_archive_commitments(client):
    commitment = f.commitment()
    _login(client, f.editor())
    delete_url = reverse("admin:commitments_commitment_delete", args=[commitment.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    changelist = reverse("admin:commitments_commitment_changelist")
    _action(client, changelist, "archive_commitments", [commitment.pk], reason="Out of scope.")
    commitment.refresh_from_db()
    assert commitment.state == Commitment.State.PUBLISHED


def test_publisher_archives_a_commitment_and_it_leaves_the_public_view(client):
    commitment = f.commitment()
    f.update(commitment, published=True)
    _login(client, f.publisher())
    changelist = reverse("admin:commitments_commitment_changelist")
    _action(client, changelist, "archive_commitments", [commitment.pk], reason="A duplicate of another commitment.")
    commitment.refresh_from_db()
    assert commitment.state == Commitment.State.ARCHIVED
    assert not Commitment.objects.public().exists()
    gone = client.get(commitment.get_absolute_url())
    assert gone.status_code == 410 and "A duplicate of another commitment." in gone.content.decode()


def test_commitment_history_page_shows_who_changed_what(client):
    editor = f.editor(username="ayla")
    _login(client, editor)
    client.post(COMMITMENT_ADD, _commitment_post())
    commitment = Commitment.objects.get()
    change_url = reverse("admin:commitments_commitment_change", args=[commitment.pk])
    data = _commitment_post(title="Deploy a regional CT expert", source=str(commitment.source_id))
    data["seen_version"] = str(commitment.version)  # the version the form was opened with
    response = client.post(change_url, data)
    assert response.status_code == 302
    history = client.get(reverse("admin:commitments_commitment_history", args=[commitment.pk])).content.decode()
    assert "ayla" in history
    assert "Deploy a regional CT expert" in history


@pytest.mark.parametrize(
    "query", ["", "?overdue=1", "?overdue=0", "?stale=1", "?current_status__exact=in_progress", "?q=expert"]
)
def test_commitment_changelist_filters_load(client, query):
    overdue = f.commitment(title="Overdue one", due_date=date(2020, 1, 1))
    f.commitment(title="Not due", due_date=date(2999, 1, 1))
    _login(client, f.editor())
    response = client.get(reverse("admin:commitments_commitment_changelist") + query)
    assert response.status_code == 200
    if query == "?overdue=1":
        assert [c.pk for c in response.context["cl"].result_list] == [overdue.pk]


def test_autocomplete_for_themes_answers_editors(client):
    f.theme(name="Border management", slug="border-management")
    _login(client, f.editor())
    response = client.get(
        reverse("admin:autocomplete"),
        {"term": "border", "app_label": "commitments", "model_name": "commitment", "field_name": "themes"},
    )
    assert response.status_code == 200
    assert response.json()["results"][0]["text"] == "Border management"


# --- uploaded evidence documents ------------------------------------------------------------


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            # OpenDocument stores its mimetype first and uncompressed.
            compress = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            archive.writestr(name, data, compress_type=compress)
    return buffer.getvalue()


def _image(kind: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "teal").save(buffer, kind)
    return buffer.getvalue()


def _odf(kind: str) -> bytes:
    return _zip({"mimetype": f"application/vnd.oasis.opendocument.{kind}".encode(), "content.xml": b"<x/>"})


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="4"/></svg>'

ACCEPTED = {
    "report.pdf": PDF,
    "photo.png": _image("PNG"),
    "photo.jpg": _image("JPEG"),
    "photo.jpeg": _image("JPEG"),
    "chart.gif": _image("GIF"),
    "chart.webp": _image("WEBP"),
    "minutes.docx": _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"}),
    "budget.xlsx": _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<x/>"}),
    "slides.pptx": _zip({"[Content_Types].xml": b"<Types/>", "ppt/presentation.xml": b"<p/>"}),
    "minutes.odt": _odf("text"),
    "budget.ods": _odf("spreadsheet"),
    "slides.odp": _odf("presentation"),
    "minutes.doc": OLE2,
    "budget.xls": OLE2,
    "notes.txt": "Réunion du comité: 3 < 5 and 7 > 2.\n".encode(),
    "figures.csv": b"country,trained\nkz,12\n",
}

REFUSED = {
    "page.html": (HTML, "not accepted"),
    "drawing.svg": (SVG, "not accepted"),
    "report.pdf": (HTML, "its content is not a PDF file"),  # HTML renamed
    "photo.png": (SVG, "its content is not a PNG image file"),
    "notes.txt": (HTML, "its content is not a plain text file"),  # a browser that sniffs would render it
    "minutes.docx": (_zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<x/>"}), "not a Word document"),
    "minutes.odt": (_odf("spreadsheet"), "not a OpenDocument text file"),
    "figures.csv": (b"\x00\x01\x02binary", "not a CSV text file"),
    "report": (PDF, "not accepted"),
    "setup.exe": (b"MZ\x90\x00", "not accepted"),
}


def _evidence_with(name: str, content: bytes) -> dict:
    return GOOD_EVIDENCE | {"url": "", "document": SimpleUploadedFile(name, content)}


def _stored_files(settings) -> list[Path]:
    return [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]


def test_each_documented_document_type_is_accepted(client, settings):
    # One form with one evidence item per type: a single admin request for all of them.
    commitment = f.commitment()
    _login(client, f.editor())
    evidence = [_evidence_with(name, content) for name, content in ACCEPTED.items()]
    response = client.post(UPDATE_ADD, _update_post(commitment, evidence=evidence))
    assert response.status_code == 302, response.content.decode()[:2000]
    stored = {Path(e.document.name).suffix: e.document.read() for e in Evidence.objects.all()}
    assert stored == {Path(name).suffix: content for name, content in ACCEPTED.items()}
    assert all(e.document.name.startswith("evidence/") for e in Evidence.objects.all())


def test_other_types_and_renamed_files_are_refused_beside_the_field(client, settings):
    commitment = f.commitment()
    _login(client, f.editor())
    evidence = [_evidence_with(name, content) for name, (content, _) in REFUSED.items()]
    response = client.post(UPDATE_ADD, _update_post(commitment, evidence=evidence))
    assert response.status_code == 200
    (formset,) = response.context["inline_admin_formsets"]
    for form, (name, (_, message)) in zip(formset.formset.forms, REFUSED.items(), strict=True):
        assert message in " ".join(form.errors.get("document", [])), name
    assert "Steering committee report" in response.content.decode()  # what was typed is kept
    assert not StatusUpdate.objects.exists() and not Evidence.objects.exists()
    assert _stored_files(settings) == []


def test_a_file_over_the_size_limit_is_refused(client, settings):
    assert settings.MAX_UPLOAD_MB == 20  # the default
    commitment = f.commitment()
    _login(client, f.editor())
    big = PDF + bytes(21 * 1024 * 1024)
    response = client.post(UPDATE_ADD, _update_post(commitment, evidence=[_evidence_with("big.pdf", big)]))
    assert response.status_code == 200
    (formset,) = response.context["inline_admin_formsets"]
    assert "This file is 21.0 MB; the largest accepted is 20 MB." in formset.formset.forms[0].errors["document"]
    assert not Evidence.objects.exists() and _stored_files(settings) == []


def test_the_commitment_form_refuses_a_bad_upload_too(client, settings):
    _login(client, f.editor())
    data = _commitment_post() | {
        "evidence-TOTAL_FORMS": "1",
        "evidence-0-title": "Leaked page",
        "evidence-0-publisher": "Someone",
        "evidence-0-document": SimpleUploadedFile("page.pdf", HTML),
    }
    response = client.post(COMMITMENT_ADD, data)
    assert response.status_code == 200
    assert "its content is not a PDF file" in response.content.decode()
    assert not Commitment.objects.exists() and _stored_files(settings) == []


# --- bulk actions: one message per refusal, one count of the successes -----------------------


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_bulk_publish_names_each_refused_update_and_counts_the_published(client):
    commitment = f.commitment(title="Border management")
    ready = [f.update(commitment, as_of=date(2020, 1, d)) for d in (1, 2)]
    bare = f.update(commitment, as_of=date(2020, 1, 3), evidence=0)
    changelist = reverse("admin:commitments_statusupdate_changelist")
    response = _action(_login(client, f.publisher()), changelist, "publish_updates", [u.pk for u in [*ready, bare]],
                       reason=REASON, follow=True)
    assert _messages(response) == [
        f"Border management: {bare}: A status update needs at least one piece of evidence before it can be published.",
        "Published 2 status updates.",
    ]
    assert StatusUpdate.objects.published().count() == 2


def test_bulk_commitment_state_counts_in_the_singular_for_one(client):
    draft = f.commitment(state=Commitment.State.DRAFT)
    changelist = reverse("admin:commitments_commitment_changelist")
    response = _action(_login(client, f.publisher()), changelist, "publish_commitments", [draft.pk],
                       reason="Added to the tracker.", follow=True)
    assert _messages(response) == ["Published 1 commitment."]


def test_a_bulk_action_with_an_empty_reason_stays_on_its_page_with_the_error(client):
    commitment = f.commitment(title="Border management")
    update = f.update(commitment, status="achieved", published=True)
    changelist = reverse("admin:commitments_statusupdate_changelist")
    response = _action(_login(client, f.publisher()), changelist, "withdraw_updates", [update.pk], reason="  ")
    assert response.status_code == 200
    page = response.content.decode()
    assert REASON_REQUIRED in page
    assert f'name="_selected_action" value="{update.pk}"' in page  # the selection is kept for the retry
    assert StatusUpdate.objects.get(pk=update.pk).withdrawn_at is None
    response = _action(client, changelist, "withdraw_updates", [update.pk], reason="The report was retracted.",
                       follow=True)
    assert _messages(response) == ["Withdrew 1 status update."]
    update.refresh_from_db()
    assert (update.is_withdrawn, update.withdraw_reason) == (True, "The report was retracted.")
    assert update.history.first().history_change_reason == "The report was retracted."


def test_a_withdrawn_update_is_read_only_cannot_be_deleted_nor_published_again(client):
    update = f.update(f.commitment(), status="achieved", published=True)
    from commitments import services

    services.withdraw_status_update(update=update, user=None, reason="Published in error.")
    _login(client, f.publisher())
    url = reverse("admin:commitments_statusupdate_change", args=[update.pk])
    page = client.get(url).content.decode()
    assert "Save and publish" not in page and "Withdrawn" in page and "Published in error." in page
    delete_url = reverse("admin:commitments_statusupdate_delete", args=[update.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    changelist = reverse("admin:commitments_statusupdate_changelist")
    response = _action(client, changelist, "publish_updates", [update.pk], reason=REASON, follow=True)
    assert "stays withdrawn" in " ".join(_messages(response))
    assert StatusUpdate.objects.get(pk=update.pk).is_withdrawn
