"""The API's resources, field by field: what the OpenAPI document describes and each response carries.

The views build plain dicts from the selectors (``records``); these serializers only render and describe
them, so no field here reads the database.

Other languages (``lang=ru`` or ``Accept-Language: ru``; ``exports.language``): beside a text, its translation
under the text's name with the language's code (``title_ru`` beside ``title``, as in the exports), present only
in a response that asks for that language, and empty where there is no translation (the English field has the
text; nothing is filled in from it). Those fields are optional in the OpenAPI document.
"""

from __future__ import annotations

from rest_framework import serializers

from .. import languages
from ..dates import Precision
from ..models import Commitment, Evidence, Source, StatusUpdate
from ..status import Status


def _precision(**kw):
    return serializers.ChoiceField(choices=Precision.choices, help_text="How precise the date beside it is.", **kw)


def translations(name: str, meaning: str, *, make=None) -> dict[str, serializers.Field]:
    """``<name>_<code>`` for each other language: ``meaning`` in it (a class body's ``locals().update(...)``)."""
    fields = {}
    for code in languages.OTHERS:
        help_text = (f"{meaning} in {languages.NAMES[code]} (empty if not translated). Only with lang={code} or "
                     f"Accept-Language: {code}.")
        fields[f"{name}_{code}"] = make(help_text) if make else serializers.CharField(
            required=False, allow_blank=True, help_text=help_text)
    return fields


def _in_other_language(name: str) -> bool:
    return name.rpartition("_")[2] in languages.OTHERS


class InLanguages(serializers.Serializer):
    """Leaves out another language's fields (``<name>_<code>``) that the record has not (the response did not
    ask for that language); a nullable one would otherwise be written as null."""

    def to_representation(self, instance):
        data = super().to_representation(instance)
        for name in [name for name in data if _in_other_language(name) and name not in instance]:
            del data[name]
        return data


class Link(InLanguages):
    """A taxonomy entry named by a commitment."""

    slug = serializers.CharField()
    name = serializers.CharField()
    locals().update(translations("name", "Its name"))
    url = serializers.URLField(help_text="This entry in the API.")
    html_url = serializers.URLField(help_text="Its page on the site.")


class SourceLink(InLanguages):
    slug = serializers.CharField()
    title = serializers.CharField()
    locals().update(translations("title", "Its title"))
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


class CommitmentSerializer(InLanguages):
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
    # Other languages (the exports' columns of the same names).
    locals().update(translations("title", "The title"))
    locals().update(translations("quote_translation", "A translation of the quote (never the quote itself)"))
    locals().update(translations("quote_translation_source", "Who made that translation", make=lambda help_text: (
        serializers.ChoiceField(choices=[("", ""), *languages.TranslationSource.choices], required=False,
                                allow_blank=True, help_text=f"{help_text} official: with its address; tracker: "
                                "the tracker's own, unofficial; machine: machine-made, not reviewed."))))
    locals().update(translations("quote_translation_url", "The address of the official translation"))
    locals().update(translations("location", "Where in the source"))
    locals().update(translations("status_label", "The status as the site shows it"))
    locals().update(translations("status_summary", "The summary of the assessment the status comes from (null: "
                                 "not assessed)", make=lambda help_text: serializers.CharField(
                                     required=False, allow_blank=True, allow_null=True, help_text=help_text)))


class CommitmentDetailSerializer(CommitmentSerializer):
    quote_context = serializers.CharField(allow_blank=True)
    locals().update(translations("quote_context", "The quote's context"))


class EvidenceSerializer(InLanguages):
    title = serializers.CharField()
    publisher = serializers.CharField()
    date = serializers.DateField(allow_null=True)
    date_precision = _precision(allow_null=True)
    url = serializers.CharField(allow_null=True)
    stance = serializers.ChoiceField(choices=Evidence.Stance.choices, allow_blank=True)
    indicates = serializers.ChoiceField(choices=Evidence.Indicates.choices, allow_blank=True)
    description = serializers.CharField(allow_blank=True)
    quote = serializers.CharField(allow_blank=True, help_text="Verbatim extract, if any.")
    locals().update(translations("description", "What it shows"))
    locals().update(translations("quote_translation", "A translation of the extract (never the extract itself)"))
    locals().update(translations("quote_translation_source", "Who made that translation (official, tracker or "
                                 "machine)"))
    locals().update(translations("quote_translation_url", "The address of the official translation"))


class CommitmentRef(InLanguages):
    slug = serializers.CharField()
    title = serializers.CharField()
    locals().update(translations("title", "Its title"))
    url = serializers.URLField()
    html_url = serializers.URLField()


class CountryRef(InLanguages):
    slug = serializers.CharField()
    name = serializers.CharField()
    locals().update(translations("name", "Its name"))


class UpdateSerializer(InLanguages):
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
    locals().update(translations("status_label", "The status as the site shows it"))
    locals().update(translations("summary", "The summary"))


class StatusCountsSerializer(serializers.Serializer):
    """How many public commitments have each status (every status, zeros included)."""

    def get_fields(self):
        return {slug: serializers.IntegerField() for slug in Status.values}


class EntrySerializer(InLanguages):
    slug = serializers.CharField()
    name = serializers.CharField(help_text="Its name (a source: its title).")
    locals().update(translations("name", "Its name (a source: its title)"))
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


class ReportSerializer(InLanguages):
    slug = serializers.CharField()
    title = serializers.CharField()
    locals().update(translations("title", "Its title"))
    locals().update(translations("introduction", "The publisher's introduction"))
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
    locals().update(translations("html_url", "Its page", make=lambda help_text: serializers.URLField(
        required=False, help_text=help_text.replace(" (empty if not translated)", ""))))
    locals().update(translations("pdf_url", "Its PDF", make=lambda help_text: serializers.URLField(
        required=False, help_text=help_text.replace(" (empty if not translated)", ""))))


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
