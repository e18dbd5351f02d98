"""Model invariants: the validation messages staff see in the admin, and the database constraints behind them."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from commitments.models import Actor, Commitment, Country, Evidence, Source, StatusUpdate, Theme
from tests import factories

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def errors_of(instance) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as exc:
        instance.full_clean()
    return exc.value.message_dict


def draft_update(commitment, **kw) -> StatusUpdate:
    values = {"commitment": commitment, "status": "in_progress", "as_of": date(2020, 1, 1), "summary": "Summary."}
    return StatusUpdate(**(values | kw))


def evidence(commitment, **kw) -> Evidence:
    values = {"commitment": commitment, "title": "Report", "publisher": "EEAS", "url": "https://example.org/r"}
    return Evidence(**(values | kw))


# --- commitments ------------------------------------------------------------------------------


def test_a_valid_commitment_passes_validation():
    c = factories.commitment(due_date=date(2021, 1, 1))
    c.full_clean()  # does not raise


def test_due_date_before_date_made_is_explained_beside_the_due_date():
    c = factories.commitment(date_made=date(2019, 5, 15))
    c.due_date = date(2019, 5, 14)
    assert errors_of(c) == {
        "due_date": ["The due date (14 May 2019) cannot be before the date the commitment was made (15 May 2019)."]
    }


def test_due_date_on_the_date_made_is_allowed():
    c = factories.commitment(date_made=date(2019, 5, 15), due_date=date(2019, 5, 15))
    c.full_clean()
    assert Commitment.objects.get(pk=c.pk).due_date == date(2019, 5, 15)


def test_database_refuses_a_due_date_before_the_date_made():
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.commitment(date_made=date(2019, 5, 15), due_date=date(2019, 5, 14))
    assert not Commitment.objects.filter(due_date=date(2019, 5, 14)).exists()


def test_database_refuses_an_update_that_moves_the_due_date_before_the_date_made():
    c = factories.commitment(date_made=date(2019, 5, 15), due_date=date(2020, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Commitment.objects.filter(pk=c.pk).update(due_date=date(2019, 1, 1))
    assert Commitment.objects.get(pk=c.pk).due_date == date(2020, 1, 1)


def test_commitment_url_uses_its_slug():
    c = factories.commitment(slug="expert-for-the-region")
    assert c.get_absolute_url() == "/commitments/expert-for-the-region/"
    assert str(c) == c.title


def test_commitment_is_overdue_property_uses_today():
    today = timezone.localdate()
    made = today - timedelta(days=400)
    assert factories.commitment(date_made=made, due_date=today - DAY).is_overdue is True
    assert factories.commitment(date_made=made, due_date=today).is_overdue is False
    assert factories.commitment(date_made=made).is_overdue is False


def test_new_commitment_is_a_draft_and_not_assessed():
    c = Commitment.objects.create(
        slug="new", title="New", quote="Quote.", source=factories.source(), date_made=date(2019, 5, 15)
    )
    c.refresh_from_db()
    assert (c.state, c.current_status, c.current_status_date) == ("draft", "not_assessed", None)


# --- status updates ---------------------------------------------------------------------------


def test_as_of_today_is_allowed():
    c = factories.commitment()
    draft_update(c, as_of=timezone.localdate()).full_clean()


def test_as_of_in_the_future_is_refused():
    c = factories.commitment()
    tomorrow = timezone.localdate() + DAY
    assert errors_of(draft_update(c, as_of=tomorrow)) == {
        "as_of": [
            f"The as-of date ({tomorrow.day} {tomorrow:%B %Y}) is in the future; "
            "an assessment can only describe the past or today."
        ]
    }


def test_as_of_before_the_commitment_was_made_is_refused():
    c = factories.commitment(date_made=date(2019, 5, 15))
    assert errors_of(draft_update(c, as_of=date(2019, 5, 14))) == {
        "as_of": ["The as-of date (14 May 2019) is before the commitment was made (15 May 2019)."]
    }
    draft_update(c, as_of=date(2019, 5, 15)).full_clean()  # the same day is fine


def test_an_update_cannot_claim_not_assessed():
    c = factories.commitment()
    errors = errors_of(draft_update(c, status="not_assessed"))
    assert list(errors) == ["status"]
    assert "not a valid choice" in errors["status"][0]


def test_status_update_str_names_status_and_date():
    c = factories.commitment()
    assert str(draft_update(c, status="stalled", as_of=date(2021, 3, 4))) == "Stalled as of 4 March 2021"
    # As precise as it is known: a month-precision as-of date is not a made-up first of the month.
    assert str(draft_update(c, status="stalled", as_of=date(2021, 3, 1), as_of_precision="month")) == (
        "Stalled as of March 2021")


# --- evidence ---------------------------------------------------------------------------------


def test_evidence_with_a_url_or_a_document_is_valid():
    c = factories.commitment()
    evidence(c).full_clean()
    doc = evidence(c, url="", document=SimpleUploadedFile("report.pdf", b"%PDF-1.4"))
    doc.full_clean()


def test_evidence_without_url_or_document_is_refused():
    c = factories.commitment()
    assert errors_of(evidence(c, url="")) == {"url": ["Give the evidence a URL or upload a document."]}


def test_database_refuses_evidence_without_url_or_document():
    c = factories.commitment()
    with pytest.raises(IntegrityError), transaction.atomic():
        Evidence.objects.create(commitment=c, title="Report", publisher="EEAS")
    assert not Evidence.objects.exists()


def test_evidence_dated_in_the_future_is_refused():
    c = factories.commitment()
    assert errors_of(evidence(c, date=timezone.localdate() + DAY)) == {"date": ["The evidence date is in the future."]}


def test_evidence_on_an_update_needs_a_stance():
    c = factories.commitment()
    u = factories.update(c, evidence=0)
    assert errors_of(evidence(c, status_update=u)) == {
        "stance": ["Say whether this evidence supports or contradicts the status."]
    }
    evidence(c, status_update=u, stance=Evidence.Stance.CONTRADICTS).full_clean()


def test_evidence_without_an_update_needs_no_stance():
    c = factories.commitment()
    evidence(c, status_update=None, stance="").full_clean()


def test_evidence_cannot_point_to_an_update_of_another_commitment():
    c, other = factories.commitment(), factories.commitment()
    u = factories.update(other, evidence=0)
    assert errors_of(evidence(c, status_update=u, stance=Evidence.Stance.SUPPORTS)) == {
        "status_update": ["This update belongs to a different commitment."]
    }


def test_evidence_errors_are_reported_together():
    c, other = factories.commitment(), factories.commitment()
    u = factories.update(other, evidence=0)
    errors = errors_of(evidence(c, status_update=u, url=""))
    assert set(errors) == {"url", "stance", "status_update"}


# --- unique slugs -----------------------------------------------------------------------------


def test_duplicate_commitment_slug_message():
    factories.commitment(slug="taken")
    c = Commitment(slug="taken", title="T", quote="Q.", source=factories.source(), date_made=date(2019, 5, 15))
    assert errors_of(c) == {"slug": ["A commitment with this slug already exists; choose another slug."]}


def test_duplicate_theme_slug_message():
    factories.theme(slug="pcve")
    assert errors_of(Theme(slug="pcve", name="P/CVE again")) == {
        "slug": ["A theme with this slug already exists; choose another slug."]
    }


def test_duplicate_actor_slug_message():
    factories.actor(slug="eeas")
    assert errors_of(Actor(slug="eeas", name="EEAS again")) == {
        "slug": ["An actor with this slug already exists; choose another slug."]
    }


def test_duplicate_actor_slug_is_refused_beside_the_slug():
    factories.actor(slug="eeas")
    errors = errors_of(Actor(slug="eeas", name="EEAS again"))
    assert list(errors) == ["slug"]
    assert errors["slug"][0].endswith("actor with this slug already exists; choose another slug.")


def test_duplicate_source_slug_message():
    factories.source(slug="strategy-2019")
    s = Source(slug="strategy-2019", title="Again", issuer="EU", kind=Source.Kind.STRATEGY)
    assert errors_of(s) == {"slug": ["A source with this slug already exists; choose another slug."]}


def test_duplicate_country_slug_message():
    factories.country("kz", "Kazakhstan")
    assert errors_of(Country(slug="kz", name="Kazakhstan again")) == {
        "slug": ["A country with this slug already exists; choose another slug."]
    }


def test_renaming_keeps_own_slug_valid():
    c = factories.commitment(slug="mine")
    c.title = "Renamed"
    c.full_clean()


# --- country slugs ----------------------------------------------------------------------------

COUNTRY_SLUG_MESSAGE = "The slug is the country's ISO 3166-1 alpha-2 code: two lower-case letters, e.g. kz."


@pytest.mark.parametrize("slug", ["kz", "kg", "tj", "tm", "uz"])
def test_iso_country_slugs_are_valid(slug):
    Country(slug=slug, name=slug.upper()).full_clean()


@pytest.mark.parametrize("slug", ["KZ", "Kz", "k1", "k-", "1z"])
def test_country_slug_must_be_two_lower_case_letters(slug):
    assert errors_of(Country(slug=slug, name="Somewhere")) == {"slug": [COUNTRY_SLUG_MESSAGE]}


@pytest.mark.parametrize("slug", ["k", "kaz"])
def test_country_slug_of_the_wrong_length_is_refused(slug):
    errors = errors_of(Country(slug=slug, name="Somewhere"))
    assert list(errors) == ["slug"]


def test_database_refuses_an_upper_case_country_slug():
    with pytest.raises(IntegrityError), transaction.atomic():
        Country.objects.create(slug="KZ", name="Kazakhstan")
    assert not Country.objects.filter(name="Kazakhstan").exists()
