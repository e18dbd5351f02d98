"""No lost edits: two staff members editing the same record at once, each in their own browser."""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from commitments.models import Commitment, StatusUpdate

from . import factories as f

pytestmark = pytest.mark.django_db


def _form_data(client: Client, url: str) -> dict:
    """The change form's current values, as a browser would submit them."""
    response = client.get(url)
    assert response.status_code == 200
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, list):
            data[name] = [str(v) for v in value]
        elif value is None:
            data[name] = ""
        elif isinstance(value, date):
            data[name] = value.isoformat()
        else:
            data[name] = str(value)
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = str(management[name].value() or 0)
        for inline in formset.formset.forms:
            for name in inline.fields:
                value = inline[name].value()
                data[f"{inline.prefix}-{name}"] = "" if value is None else str(value)
    return data


def test_the_second_save_is_refused_with_what_changed_and_keeps_what_was_typed():
    commitment = f.commitment(title="Deploy an expert")
    url = reverse("admin:commitments_commitment_change", args=[commitment.pk])
    ayla, bo = Client(), Client()
    ayla.force_login(f.editor(username="ayla"))
    bo.force_login(f.editor(username="bo"))
    ayla_form, bo_form = _form_data(ayla, url), _form_data(bo, url)  # both open the form

    assert ayla.post(url, ayla_form | {"title": "Deploy a regional CT expert"}).status_code == 302
    refused = bo.post(url, bo_form | {"title": "Deploy an EU security expert", "location": "Final paragraph"})

    assert refused.status_code == 200
    page = refused.content.decode()
    assert "Not saved: while you were editing, ayla saved it" in page
    assert "Deploy a regional CT expert" in page  # what changed meanwhile
    assert 'value="Deploy an EU security expert"' in page and "Final paragraph" in page  # what bo typed
    commitment.refresh_from_db()
    assert commitment.title == "Deploy a regional CT expert" and commitment.location == ""

    # Having seen the message, bo saves again on purpose: now it goes through.
    again = refused.context["adminform"].form.data.copy()
    assert bo.post(url, again).status_code == 302
    commitment.refresh_from_db()
    assert commitment.title == "Deploy an EU security expert" and commitment.location == "Final paragraph"


def test_a_publish_in_between_also_counts_as_a_change():
    commitment = f.commitment(title="Cut terrorism financing")
    url = reverse("admin:commitments_commitment_change", args=[commitment.pk])
    editor = Client()
    editor.force_login(f.editor())
    form = _form_data(editor, url)
    from commitments import services

    services.set_commitment_state(commitment=commitment, state="archived", user=f.publisher())
    refused = editor.post(url, form | {"title": "Cut off terrorism financing"})
    assert refused.status_code == 200 and "Not saved" in refused.content.decode()
    assert Commitment.objects.get(pk=commitment.pk).title == "Cut terrorism financing"


def test_two_editors_on_one_draft_status_update():
    update = f.update(f.commitment(), summary="First words.")
    url = reverse("admin:commitments_statusupdate_change", args=[update.pk])
    one, two = Client(), Client()
    one.force_login(f.editor(username="one"))
    two.force_login(f.editor(username="two"))
    first, second = _form_data(one, url), _form_data(two, url)
    assert one.post(url, first | {"summary": "Summary by one."}).status_code == 302
    refused = two.post(url, second | {"summary": "Summary by two."})
    assert refused.status_code == 200
    assert "one saved it" in refused.content.decode() and "Summary by two." in refused.content.decode()
    assert StatusUpdate.objects.get(pk=update.pk).summary == "Summary by one."


def test_saving_without_a_conflict_just_works_and_raises_the_version():
    commitment = f.commitment()
    url = reverse("admin:commitments_commitment_change", args=[commitment.pk])
    client = Client()
    client.force_login(f.editor())
    before = Commitment.objects.get(pk=commitment.pk).version
    assert client.post(url, _form_data(client, url) | {"title": "Reworded"}).status_code == 302
    assert Commitment.objects.get(pk=commitment.pk).version == before + 1
