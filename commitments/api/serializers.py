"""The API's resources, field by field: what the OpenAPI document describes and each response carries.

The views build plain dicts from the selectors (``records``); these serializers only render and describe
them, so no field here reads the database.
"""

from __future__ import annotations

from rest_framework import serializers

from ..dates import Precision
from ..models import Commitment, Evidence, Source, StatusUpdate
from ..status import Status


def _precision(**kw):
    return serializers.ChoiceField(choices=Precision.choices, help_text="How precise the date beside it is.", **kw)


class Link(serializers.Serializer):
    """A taxonomy entry named by a commitment."""

    slug = serializers.CharField()
    name = serializers.CharField()
    url = serializers.URLField(help_text="This entry in the API.")
    html_url = serializers.URLField(help_text="Its page on the site.")


class SourceLink(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    url = serializers.URLField(help_text="The source in the API.")
    html_url = serializers.URLField(help_text="Its page on the site.")
    document_url = serializers.CharField(allow_null=True, help_text="The public copy of the document that was read.")


class CountryStatusSerializer(serializers.Serializer):
    """A commitment's status in one of its countries (``country_status``): a regional commitment's one status
    in each, or a per-country commitment's own assessment there ("not_assessed" before the first)."""

    status = serializers.ChoiceField(choices=Status.choices)
    as_of = serializers.DateField(allow_null=True)
    as_of_precision = _precision(allow_null=True)
    regional = serializers.BooleanField(help_text="True: the commitment's one overall status.")
    update = serializers.URLField(allow_null=True, help_text="The update the status comes from, in the API.")
    update_html_url = serializers.URLField(allow_null=True, help_text="That update on the commitment's page.")


class CommitmentSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    url = serializers.URLField(help_text="This commitment in the API.")
    html_url = serializers.URLField(help_text="Its page on the site.")
    updates_url = serializers.URLField(help_text="Its published updates and withdrawals, in the API.")
    status = serializers.ChoiceField(choices=Status.choices, help_text=(
        "Its status (as of `as_of` if given; in the country if exactly one `country` is given)."))
    status_label = serializers.CharField()
    status_as_of = serializers.DateField(allow_null=True)
    status_as_of_precision = _precision(allow_null=True)
    due_date = serializers.DateField(allow_null=True)
    due_precision = _precision(allow_null=True)
    overdue = serializers.BooleanField()
    date_made = serializers.DateField(allow_null=True)
    date_made_precision = _precision(allow_null=True)
    expected_end = serializers.DateField(allow_null=True, help_text="The tracker's inferred end; never a due date.")
    expected_end_precision = _precision(allow_null=True)
    statement_type = serializers.ChoiceField(choices=Commitment._meta.get_field("statement_type").choices)
    themes = Link(many=True)
    countries = Link(many=True)
    actors = Link(many=True)
    source = SourceLink()
    country_status = serializers.DictField(child=CountryStatusSerializer(), help_text=(
        "Each of its countries (by slug) -> its status there."))
    # The research-grade export's columns of the same names (/about/data/).
    # Text, not a second enum of the update's confidence: drf-spectacular would name one choice set twice.
    status_confidence = serializers.CharField(allow_null=True, help_text=(
        f"The tracker's confidence in the assessment the status comes from: {', '.join(StatusUpdate.Confidence)} "
        "(null: not yet assessed)."))
    status_summary = serializers.CharField(allow_null=True, help_text="That assessment's summary.")
    status_update_url = serializers.URLField(allow_null=True, help_text="That assessment on the commitment's page.")
    stale = serializers.BooleanField(help_text="Open and with no assessment for longer than the stale rule allows.")
    quote = serializers.CharField(help_text="Verbatim from the source.")
    location = serializers.CharField(allow_blank=True, help_text="Where in the source.")
    due_text = serializers.CharField(allow_blank=True, help_text="The source's words for the deadline.")
    assessment_scope = serializers.ChoiceField(choices=Commitment._meta.get_field("assessment_scope").choices)


class CommitmentDetailSerializer(CommitmentSerializer):
    quote_context = serializers.CharField(allow_blank=True)


class EvidenceSerializer(serializers.Serializer):
    title = serializers.CharField()
    publisher = serializers.CharField()
    date = serializers.DateField(allow_null=True)
    date_precision = _precision(allow_null=True)
    url = serializers.CharField(allow_null=True)
    stance = serializers.ChoiceField(choices=Evidence.Stance.choices, allow_blank=True)
    indicates = serializers.ChoiceField(choices=Evidence.Indicates.choices, allow_blank=True)
    description = serializers.CharField(allow_blank=True)
    quote = serializers.CharField(allow_blank=True, help_text="Verbatim extract, if any.")


class CommitmentRef(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    url = serializers.URLField()
    html_url = serializers.URLField()


class CountryRef(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class UpdateSerializer(serializers.Serializer):
    """A status update on the public record: published, or withdrawn (then it counts for no status)."""

    id = serializers.IntegerField()
    url = serializers.URLField()
    html_url = serializers.URLField(help_text="The update on its commitment's page.")
    commitment = CommitmentRef()
    country = CountryRef(allow_null=True, help_text="The country it assesses; null: the whole commitment.")
    status = serializers.ChoiceField(choices=Status.choices)
    status_label = serializers.CharField()
    as_of = serializers.DateField()
    as_of_precision = _precision()
    summary = serializers.CharField()
    confidence = serializers.ChoiceField(choices=StatusUpdate._meta.get_field("confidence").choices)
    published_at = serializers.DateTimeField()
    withdrawn = serializers.BooleanField()
    withdrawn_at = serializers.DateTimeField(allow_null=True)
    withdraw_reason = serializers.CharField(allow_blank=True)
    evidence = EvidenceSerializer(many=True)


class StatusCountsSerializer(serializers.Serializer):
    """How many public commitments have each status (every status, zeros included)."""

    def get_fields(self):
        return {slug: serializers.IntegerField() for slug in Status.values}


class EntrySerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField(help_text="Its name (a source: its title).")
    url = serializers.URLField()
    html_url = serializers.URLField()
    commitments_url = serializers.URLField(help_text="Its commitments, in the API.")
    total = serializers.IntegerField(help_text="Its public commitments.")
    status_counts = StatusCountsSerializer(help_text="A country counts each commitment's status in that country.")


class SourceSerializer(EntrySerializer):
    issuer = serializers.CharField()
    date = serializers.DateField(allow_null=True)
    date_precision = _precision(allow_null=True)
    kind = serializers.ChoiceField(choices=Source.Kind.choices)
    document_url = serializers.CharField(allow_null=True)


class ReportSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    period_label = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    published_at = serializers.DateTimeField(allow_null=True)
    introduction = serializers.CharField(allow_blank=True)
    supersedes = serializers.CharField(allow_null=True, help_text="The slug of the report this one corrects.")
    url = serializers.URLField()
    html_url = serializers.URLField()
    pdf_url = serializers.URLField()
    csv_url = serializers.URLField()


class ReportDetailSerializer(ReportSerializer):
    snapshot = serializers.JSONField(help_text="The figures, lists and text frozen when it was published.")


class ParameterErrorItem(serializers.Serializer):
    parameter = serializers.CharField()
    messages = serializers.ListField(child=serializers.CharField())
    valid_values = serializers.ListField(child=serializers.CharField(), required=False)
    valid_values_url = serializers.URLField(required=False, help_text="Where the valid values are listed.")


class ParameterErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = ParameterErrorItem(many=True)


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()
