"""generate_demo_data: deterministic, all synthetic, no status drift, refuses real data, pages render."""

import hashlib
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import models

from commitments import querysets
from commitments.models import Actor, Commitment, Country, Evidence, Source, StatusUpdate, Theme

from . import factories

N, K = 300, 3
MODELS = [Source, Theme, Country, Actor, Commitment, StatusUpdate, Evidence]

pytestmark = pytest.mark.django_db


def generate(*, n: int = N, k: int = K, seed: int = 1, replace: bool = False) -> str:
    args = ["--commitments", str(n), "--updates-per-commitment", str(k), "--seed", str(seed)]
    out = StringIO()
    call_command("generate_demo_data", *args, *(["--replace"] if replace else []), stdout=out)
    return out.getvalue()


def digest() -> str:
    """What must not change for a seed: slugs, statuses, dates and text of every commitment and update."""
    h = hashlib.sha256()
    for row in Commitment.objects.order_by("slug").values_list(
        "slug",
        "title",
        "quote",
        "state",
        "current_status",
        "current_status_date",
        "date_made",
        "due_date",
        "source__slug",
    ):
        h.update(repr(row).encode())
    for row in StatusUpdate.objects.order_by("commitment__slug", "as_of", "published_at", "summary").values_list(
        "commitment__slug", "status", "as_of", "published_at", "summary", "confidence"
    ):
        h.update(repr(row).encode())
    for row in Evidence.objects.order_by("url").values_list("url", "title", "date", "stance"):
        h.update(repr(row).encode())
    for model in (Source, Theme, Country, Actor):
        h.update(repr(list(model.objects.order_by("slug").values_list("slug"))).encode())
    return h.hexdigest()


def counts() -> dict:
    return {m.__name__: m.objects.count() for m in MODELS}


def test_same_seed_same_data_other_seed_other_data():
    generate(seed=7)
    first = digest()
    generate(seed=7, replace=True)
    assert digest() == first
    generate(seed=8, replace=True)
    assert digest() != first


def test_every_row_synthetic_and_counts():
    out = generate()
    assert out.count("\n") == 1 and "300 commitments" in out
    for model in MODELS:
        assert model.objects.exists()
        assert not model.objects.filter(is_synthetic=False).exists(), model
    assert Commitment.objects.count() == N
    assert 0.7 * N * K <= StatusUpdate.objects.count() <= 1.3 * N * K
    assert Evidence.objects.count() >= StatusUpdate.objects.count()
    assert not Evidence.objects.filter(url="").exists()
    assert Country.objects.filter(slug__in=["kz", "kg", "tj", "tm", "uz"]).count() == 5
    assert Commitment.objects.filter(title__startswith="Demo: ").count() == N
    # Drafts exist and are not public.
    assert StatusUpdate.objects.drafts().exists()
    assert StatusUpdate.objects.public().count() < StatusUpdate.objects.count()
    assert Commitment.objects.exclude(state=Commitment.State.PUBLISHED).exists()
    assert Commitment.objects.public().count() < N
    assert not StatusUpdate.objects.public().filter(published_at__isnull=True).exists()
    # Dates: never in the future, never before the commitment was made, due dates after date made.
    assert not StatusUpdate.objects.filter(as_of__gt=date(2025, 12, 31)).exists()
    assert not Commitment.objects.filter(date_made__gt=date(2025, 12, 31)).exists()
    for c in Commitment.objects.exclude(due_date=None):
        assert c.due_date >= c.date_made
    for u in StatusUpdate.objects.select_related("commitment"):
        assert u.as_of >= u.commitment.date_made


def test_current_status_equals_derived_status():
    generate(k=5)
    statuses = set()
    for commitment in Commitment.objects.all():
        derived = querysets.derived_status(commitment=commitment)
        stored = (commitment.current_status, commitment.current_status_date, commitment.current_status_precision)
        assert stored == derived, commitment.slug
        statuses.add(commitment.current_status)
    assert {"not_assessed", "in_progress", "achieved"} <= statuses


def test_refuses_with_real_data_present():
    real = factories.commitment()
    before = counts()
    with pytest.raises(CommandError) as excinfo:
        generate()
    message = str(excinfo.value)
    assert "\n" not in message and "real" in message
    assert counts() == before
    assert list(Commitment.objects.all()) == [real]


def test_refuses_without_replace_and_replace_replaces():
    generate(seed=3)
    slugs = set(Commitment.objects.values_list("slug", flat=True))
    with pytest.raises(CommandError) as excinfo:
        generate(seed=4)
    assert "--replace" in str(excinfo.value) and "\n" not in str(excinfo.value)
    assert set(Commitment.objects.values_list("slug", flat=True)) == slugs
    generate(n=50, seed=4, replace=True)
    assert Commitment.objects.count() == 50
    assert set(Commitment.objects.values_list("slug", flat=True)) != slugs
    assert Source.objects.count() == 10


def test_orm_inserts_work_after_generating():
    generate()
    c = factories.commitment()  # with a new source
    u = factories.update(c, published=True)
    c.themes.add(Theme.objects.first())
    assert c.pk > Commitment.objects.exclude(pk=c.pk).order_by("-pk")[0].pk
    assert u.pk > StatusUpdate.objects.exclude(pk=u.pk).order_by("-pk")[0].pk
    c.refresh_from_db()
    assert c.current_status == "in_progress"


def test_public_pages_render(client):
    generate()
    theme = Theme.objects.filter(commitments__state="published").order_by("slug").first()
    assert client.get("/").status_code == 200
    assert client.get("/commitments/").status_code == 200
    response = client.get(f"/commitments/?theme={theme.slug}&status=in_progress&q=regional")
    assert response.status_code == 200
    c = Commitment.objects.public().filter(status_updates__published_at__isnull=False).order_by("slug").first()
    response = client.get(c.get_absolute_url())
    assert response.status_code == 200
    assert c.title.encode() in response.content or b"Demo:" in response.content


def test_per_country_commitments_and_their_derived_country_statuses():
    """About one in five commitments with two or more countries is assessed per country, some of its countries
    with their own histories; the loaded ``CountryStatus`` rows are exactly what the service derives."""
    from django.db.models import Count

    from commitments import services
    from commitments.models import CountryStatus

    generate(k=4)
    multi = Commitment.objects.annotate(n=Count("countries")).filter(n__gte=2)
    per_country = multi.filter(assessment_scope=Commitment.Scope.PER_COUNTRY)
    assert 0.1 <= per_country.count() / multi.count() <= 0.3
    assert not Commitment.objects.annotate(n=Count("countries")).filter(
        n__lt=2, assessment_scope=Commitment.Scope.PER_COUNTRY).exists()
    country_updates = StatusUpdate.objects.exclude(country=None)
    assert country_updates.exists() and not country_updates.exclude(commitment__in=per_country).exists()
    assert not country_updates.exclude(commitment__countries=models.F("country")).exists()
    assert not CountryStatus.objects.exclude(commitment__in=per_country).exists()
    # Some countries assessed, others not; statuses differ by country.
    rows = list(CountryStatus.objects.values_list("commitment_id", "country_id", "status"))
    assert {c for c, _, _ in rows} < set(per_country.values_list("pk", flat=True))
    assert len(rows) < Commitment.countries.through.objects.filter(commitment__in=per_country).count()
    by_commitment = {}
    for c, _, status in rows:
        by_commitment.setdefault(c, set()).add(status)
    assert any(len(statuses) > 1 for statuses in by_commitment.values())

    def held(commitment):
        return sorted(CountryStatus.objects.filter(commitment=commitment).values_list(
            "pk", "country_id", "status", "status_date", "status_precision", "update_id"))

    for commitment in per_country.order_by("pk")[:40]:
        before = (held(commitment), commitment.current_status, commitment.current_status_date)
        services.refresh_current_status(commitment=commitment)
        commitment.refresh_from_db()
        assert (held(commitment), commitment.current_status, commitment.current_status_date) == before, (
            commitment.slug)
