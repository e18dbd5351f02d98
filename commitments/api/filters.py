"""The API's filters: the list page's ``CommitmentFilterSet`` for commitments (the same contract), and
``UpdateFilterSet`` for updates. A refused value is a 400 naming the parameter and its valid values."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from .. import catalogue as public_catalogue
from .. import country_status
from ..filtersets import (
    DATE_FORMAT_ERROR,
    FIRST_DAY,
    ISO_DATE,
    LAST_DUE_DAY,
    SlugMultipleChoiceFilter,
    _status_choice_error,
)
from ..models import Commitment, StatusUpdate
from ..status import Status
from ..taxonomy import TAXONOMY_FACETS, link_table
from .errors import ParameterError

# A slug filter's values are strings (its choices, the catalogue's slugs, are read per request).
extend_schema_field(OpenApiTypes.STR)(SlugMultipleChoiceFilter)

SLUG_FACETS = {"commitment": "commitments", **{name: {"theme": "themes", "country": "countries", "actor": "actors",
                                                        "source": "sources"}[name] for name in TAXONOMY_FACETS}}


def describe_errors(filterset, request) -> list[dict]:
    """Each refused parameter, its messages, and its valid values (a slug: the API list that has them)."""
    out = []
    for name, messages in filterset.errors.items():
        field = filterset.form.fields.get(name)
        error = {"parameter": name, "messages": [str(m) for m in messages]}
        if name in SLUG_FACETS:
            error["valid_values_url"] = request.build_absolute_uri(reverse(f"api:{SLUG_FACETS[name]}"))
        elif isinstance(field, forms.ChoiceField):
            error["valid_values"] = [str(value) for value, _ in field.choices if value != ""]
        out.append(error)
    return out


class ContractFilterBackend(DjangoFilterBackend):
    """``DjangoFilterBackend`` with our error body; the view keeps the bound FilterSet (its sort, its as-of day)."""

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            raise ParameterError(describe_errors(filterset, request))
        view.filterset = filterset
        return filterset.qs


DATE_ERROR = f"{DATE_FORMAT_ERROR} Dates can be from 1 January 1900 to 31 December 2100."


class UpdateFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        for name in ("as_of_after", "as_of_before"):
            day = cleaned.get(name)
            if day and not FIRST_DAY <= day <= LAST_DUE_DAY:
                self.add_error(name, DATE_ERROR)
        after, before = cleaned.get("as_of_after"), cleaned.get("as_of_before")
        if after and before and after > before:
            self.add_error("as_of_before", "as_of_before must not be earlier than as_of_after.")
        return cleaned


class UpdateFilterSet(django_filters.FilterSet):
    """The updates on the public record (published and withdrawn) of public commitments."""

    commitment = django_filters.MultipleChoiceFilter(
        label="Commitment", method="by_commitment",
        help_text="A public commitment's slug (repeat for several).",
        error_messages={"invalid_choice": "No public commitment has the slug “%(value)s”."},
    )
    country = django_filters.MultipleChoiceFilter(
        label="Country", method="by_country",
        help_text=("A country's slug (repeat for several): its own updates of per-country commitments and the "
                   "overall updates of regional ones, as on the site's /updates/ page."),
        error_messages={"invalid_choice": "No public country has the slug “%(value)s”."},
    )
    status = django_filters.MultipleChoiceFilter(
        label="Status", choices=Status.choices, error_messages={"invalid_choice": _status_choice_error()},
    )
    withdrawn = django_filters.ChoiceFilter(
        label="Withdrawn", choices=[("0", "Published only"), ("1", "Withdrawn only")], method="by_withdrawn",
    )
    as_of_after = django_filters.DateFilter(
        field_name="as_of", lookup_expr="gte", input_formats=ISO_DATE, label="As of on or after",
        error_messages={"invalid": DATE_ERROR},
    )
    as_of_before = django_filters.DateFilter(
        field_name="as_of", lookup_expr="lte", input_formats=ISO_DATE, label="As of on or before",
        error_messages={"invalid": DATE_ERROR},
    )

    class Meta:
        model = StatusUpdate
        fields: list[str] = []
        form = UpdateFilterForm

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        if "country" in self.data:
            self.form.fields["country"].choices = [
                (slug, e.label) for slug, e in public_catalogue.load(facets=("country",))["country"].items()]
        if "commitment" in self.data:
            given = self.data.getlist("commitment") if hasattr(self.data, "getlist") else [self.data["commitment"]]
            asked = [slug[:100] for slug in given if "\x00" not in slug]  # PostgreSQL refuses NUL in text
            known = Commitment.objects.public().filter(slug__in=asked).values_list("slug", flat=True)
            self.form.fields["commitment"].choices = [(slug, slug) for slug in known]

    def by_commitment(self, queryset, name, value):
        return queryset.filter(commitment__slug__in=value) if value else queryset

    def by_country(self, queryset, name, value):
        if not value:
            return queryset
        entries = public_catalogue.load(facets=("country",))["country"]
        ids = [entries[slug].id for slug in value]
        # Of commitments filed under one of them (the feed gets these from the list's country filter) ...
        filed = link_table("countries")[0].objects.filter(commitment=OuterRef("commitment_id"), country__in=ids)
        # ... the updates that describe one of them (``country_status``).
        return queryset.filter(Exists(filed)).filter(country_status.describes_q(ids))

    def by_withdrawn(self, queryset, name, value):
        if value == "1":
            return queryset.filter(withdrawn_at__isnull=False)
        if value == "0":
            return queryset.filter(withdrawn_at__isnull=True)
        return queryset
