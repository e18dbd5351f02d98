"""The domain: sources, taxonomies, commitments, status updates and their evidence.

Models hold invariants (constraints, ``clean()`` for cross-field rules); workflow lives in
``services.py``, visibility and read questions in the QuerySets (``querysets.py``).
"""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from . import uploads
from .country_status import PER_COUNTRY, REGIONAL
from .dates import END, PRECISION_HELP, START, Precision, clean_dated, period_end, render
from .languages import CODES, OTHERS, TranslationSource, per_language, translation_source_fields
from .querysets import (
    ARCHIVED,
    DRAFT,
    PUBLISHED,
    PUBLISHED_DELETE_MESSAGE,
    CommitmentQuerySet,
    EntryQuerySet,
    EvidenceQuerySet,
    ProgressReportQuerySet,
    SourceQuerySet,
    StatusUpdateQuerySet,
    on_record_q,
    published_q,
)
from .status import ASSESSABLE, Status, is_overdue

SYNTHETIC_HELP = _("Made by generate_demo_data for demos and benchmarks; never mixed with real data.")
SLUG_HELP = _("Lower-case letters, digits and hyphens; part of the public URL, so change it only with care.")


def quote_language_field() -> models.CharField:
    return models.CharField(
        _("quote language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE,
        db_default=settings.LANGUAGE_CODE,
        help_text=_("The language the quote is in, as its source gives it. The quote is never translated in place."),
    )


def quote_translation_fields() -> dict[str, models.Field]:
    """A translation of the quote per language, shown beside it, with who made it (and, if official, where)."""
    return {
        **per_language(
            "quote_translation",
            models.TextField(
                _("quote translation"),
                help_text=_("A translation of the quote into this language, shown beside the verbatim original."),
            ),
            codes=CODES,
        ),
        **per_language(
            "quote_translation_source",
            models.CharField(
                _("translation made by"),
                max_length=10,
                choices=TranslationSource.choices,
                help_text=_("Who made the translation: official, the tracker's own, or machine-made."),
            ),
            codes=CODES,
        ),
        **per_language(
            "quote_translation_url",
            models.URLField(
                _("official translation URL"),
                max_length=1000,
                help_text=_("For an official translation: the public address of the official text."),
            ),
            codes=CODES,
        ),
    }


def clean_quote_translations(obj: models.Model) -> dict[str, str]:
    """Errors of a quote's translations: each needs its provenance, an official one its URL, and none may
    be in the quote's own language (the original is shown as it is)."""
    errors = {}
    for code in CODES:
        text = (getattr(obj, f"quote_translation_{code}") or "").strip()
        source = getattr(obj, f"quote_translation_source_{code}")
        url = getattr(obj, f"quote_translation_url_{code}")
        if text and not (obj.quote or "").strip():
            errors[f"quote_translation_{code}"] = gettext("There is no quote to translate.")
        elif text and code == obj.quote_language:
            errors[f"quote_translation_{code}"] = gettext(
                "The quote is already in this language: it is shown as it is."
            )
        elif text and not source:
            errors[f"quote_translation_source_{code}"] = gettext("Say who made this translation.")
        elif source and not text:
            errors[f"quote_translation_{code}"] = gettext("Give the translation, or clear who made it.")
        elif source == TranslationSource.OFFICIAL and not url:
            errors[f"quote_translation_url_{code}"] = gettext(
                "An official translation needs the address of the official text."
            )
        elif url and source != TranslationSource.OFFICIAL:
            errors[f"quote_translation_url_{code}"] = gettext("Only an official translation has an address.")
    return errors


def precision_field(**overrides) -> models.CharField:
    """The ``<date field>_precision`` sibling of a date field (see ``dates``)."""
    options = {"help_text": PRECISION_HELP} | overrides
    return models.CharField(
        max_length=5, choices=Precision.choices, default=Precision.DAY, db_default=Precision.DAY, **options
    )


# One sentence per model: a translation cannot put "a"/"an" and a noun together.
_UNIQUE_SLUG = {
    "country": _("A country with this slug already exists; choose another slug."),
    "theme": _("A theme with this slug already exists; choose another slug."),
    "actor": _("An actor with this slug already exists; choose another slug."),
    "source": _("A source with this slug already exists; choose another slug."),
    "commitment": _("A commitment with this slug already exists; choose another slug."),
    "report": _("A report with this slug already exists; choose another slug."),
}


def _unique_slug(noun: str) -> dict:
    return {"unique": _UNIQUE_SLUG[noun]}


def save_with_version(instance: models.Model, save, *args, **kwargs) -> None:
    """Save with ``version`` one above the stored one (read from the database, not a stale copy).

    Optimistic concurrency: the admin compares the version a form was opened with against the
    stored one (under a row lock), so a colleague's save in between is never silently overwritten.
    """
    if not instance._state.adding and instance.pk is not None and not kwargs.get("force_insert"):
        stored = type(instance).objects.filter(pk=instance.pk).values_list("version", flat=True).first()
        instance.version = (stored or 0) + 1
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = [*kwargs["update_fields"], "version"]
    save(*args, **kwargs)


class Taxonomy(models.Model):
    """A named entry that commitments are filed under; its slug is its public URL."""

    slug = models.SlugField(_("slug"), max_length=100, unique=True, help_text=SLUG_HELP)
    name = models.CharField(pgettext_lazy("a taxonomy entry's", "name"), max_length=200)
    locals().update(per_language("name", models.CharField(max_length=200), label=name.verbose_name))
    is_synthetic = models.BooleanField(_("is synthetic"), default=False, editable=False, help_text=SYNTHETIC_HELP)

    objects = EntryQuerySet.as_manager()

    # The texts that have a column per language (commitments/languages.py), and who translated them.
    TRANSLATED_FIELDS = ("name",)
    locals().update(translation_source_fields())

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Country(Taxonomy):
    """A partner country; the slug is its ISO 3166-1 alpha-2 code in lower case (``kz``)."""

    slug = models.SlugField(
        _("slug"),
        max_length=2,
        unique=True,
        help_text=_("ISO 3166-1 alpha-2 code in lower case, e.g. kz."),
        error_messages=_unique_slug("country"),
    )

    class Meta(Taxonomy.Meta):
        verbose_name = _("country")
        verbose_name_plural = _("countries")
        constraints = [
            models.CheckConstraint(condition=Q(slug__regex=r"^[a-z]{2}$"), name="country_slug_iso_alpha2"),
        ]

    def clean(self) -> None:
        super().clean()
        # Said beside the field in words: the check constraint's own message only names the constraint.
        if self.slug and not re.fullmatch(r"[a-z]{2}", self.slug):
            raise ValidationError(
                {"slug": gettext("The slug is the country's ISO 3166-1 alpha-2 code: two lower-case letters, e.g. kz.")}
            )


class Theme(Taxonomy):
    """A policy theme, e.g. P/CVE or border management."""

    slug = models.SlugField(
        _("slug"), max_length=100, unique=True, help_text=SLUG_HELP, error_messages=_unique_slug("theme")
    )

    class Meta(Taxonomy.Meta):
        verbose_name = _("theme")
        verbose_name_plural = _("themes")


class Actor(Taxonomy):
    """An organisation that owes or shares a commitment (EEAS, a government, the OSCE …)."""

    slug = models.SlugField(
        _("slug"), max_length=100, unique=True, help_text=SLUG_HELP, error_messages=_unique_slug("actor")
    )

    class Meta(Taxonomy.Meta):
        verbose_name = _("actor")
        verbose_name_plural = _("actors")


class EditedRecord(models.Model):
    """The audit fields of a record staff edit in the admin: its version (optimistic concurrency,
    see ``save_with_version``), when it was made and last changed, and whether it is demo data."""

    version = models.PositiveIntegerField(
        _("version"),
        default=1,
        db_default=1,  # rows bulk-loaded without it (generate_demo_data) start at 1 too
        editable=False,
        help_text=_("Raised by every save; the admin refuses a save based on an older version."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    is_synthetic = models.BooleanField(_("is synthetic"), default=False, editable=False, help_text=SYNTHETIC_HELP)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class PublishedRecord(models.Model):
    """The audit fields of a record a publisher makes public: who made it, who published it and when."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("created by"),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("published by"),
    )

    class Meta:
        abstract = True


class Source(models.Model):
    """A document that contains commitments: a strategy, conclusions, a statement, a report."""

    class Kind(models.TextChoices):
        STRATEGY = "strategy", _("Strategy")
        CONFERENCE_STATEMENT = "conference statement", _("Conference statement")
        NEWS_REPORT = "news report", _("News report")
        COUNCIL_CONCLUSIONS = "council conclusions", _("Council conclusions")
        DECLARATION = "declaration", _("Declaration")
        PROGRAMME_DOCUMENT = "programme document", _("Programme document")

    slug = models.SlugField(
        _("slug"), max_length=100, unique=True, help_text=SLUG_HELP, error_messages=_unique_slug("source")
    )
    title = models.CharField(_("title"), max_length=500)
    locals().update(per_language("title", models.CharField(max_length=500)))
    issuer = models.CharField(_("issuer"), max_length=300, help_text=_("Who issued or published the document."))
    date = models.DateField(_("date"), null=True, blank=True, help_text=_("Date of the document; empty if undated."))
    date_precision = precision_field(verbose_name=_("date precision"))
    date_note = models.TextField(
        _("date note"), blank=True, help_text=_("Say here when the date is inferred or approximate.")
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    url = models.URLField(
        _("URL"), max_length=1000, blank=True, help_text=_("Public address of the copy that was read.")
    )
    notes = models.TextField(
        _("notes"), blank=True, help_text=_("Coverage: what could and could not be read. Staff only, never public.")
    )
    is_synthetic = models.BooleanField(_("is synthetic"), default=False, editable=False, help_text=SYNTHETIC_HELP)

    objects = SourceQuerySet.as_manager()

    # The texts that have a column per language (commitments/languages.py), and who translated them.
    TRANSLATED_FIELDS = ("title",)
    locals().update(translation_source_fields())
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        ordering = ["-date", "title"]

    def __str__(self) -> str:
        return self.title


class Commitment(EditedRecord):
    """What was promised: a verbatim quote from a source, with who owes it and by when.

    ``current_status`` and ``current_status_date`` are derived from the latest published
    status update (by as-of date) and written only by ``services.refresh_current_status``.
    """

    class State(models.TextChoices):
        DRAFT = DRAFT, _("Draft (staff only)")
        PUBLISHED = PUBLISHED, _("Published")
        ARCHIVED = ARCHIVED, _("Archived (withdrawn from public view)")

    class StatementType(models.TextChoices):
        PLEDGE = "pledge", _("Pledge")
        AGREEMENT = "agreement", _("Agreement")
        STATED_PRIORITY = "stated-priority", _("Stated priority")
        PROGRAMME_OBJECTIVE = "programme-objective", _("Programme objective")
        PROPOSAL = "proposal", _("Proposal")

    class ActorsBasis(models.TextChoices):
        STATED = "stated", _("Stated in the text")
        INFERRED = "inferred", _("Inferred by the tracker")

    class Scope(models.TextChoices):
        """How a commitment is assessed (``country_status`` holds the rule that follows from it)."""

        REGIONAL = REGIONAL, _("Regional: one assessment for the whole commitment")
        PER_COUNTRY = PER_COUNTRY, _("Per country: assessed in each of its countries")

    slug = models.SlugField(
        _("slug"), max_length=100, unique=True, help_text=SLUG_HELP, error_messages=_unique_slug("commitment")
    )
    title = models.CharField(_("title"), max_length=200, help_text=_("In our own words; short and plain."))
    locals().update(per_language("title", models.CharField(max_length=200, help_text=title.help_text)))
    quote = models.TextField(
        _("quote"), help_text=_("Verbatim from the source, character for character. Never paraphrase here.")
    )
    quote_language = quote_language_field()
    locals().update(quote_translation_fields())
    quote_context = models.TextField(
        _("quote context"), blank=True, help_text=_("Our gloss on the words around the quote (optional).")
    )
    locals().update(per_language("quote_context", models.TextField()))
    source = models.ForeignKey(
        Source,
        on_delete=models.PROTECT,
        related_name="commitments",
        help_text=_("The document the quote is taken from."),
        verbose_name=_("source"),
    )
    attributed_to = models.ForeignKey(
        Source,
        verbose_name=_("attributed to"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attributed_commitments",
        help_text=_("The document the source says the commitment belongs to, if not the source itself."),
    )
    location = models.CharField(
        _("location"), max_length=300, blank=True, help_text=_("Section or paragraph in the source, if known.")
    )
    locals().update(per_language("location", models.CharField(max_length=300)))
    statement_type = models.CharField(
        _("statement type"),
        max_length=30,
        choices=StatementType.choices,
        default=StatementType.PLEDGE,
        help_text=_("A proposal or stated priority is not a promise to deliver."),
    )
    scope_note = models.TextField(
        _("scope note"),
        blank=True,
        help_text=_("Set when the statement is general policy, not specific to the region."),
    )
    date_made = models.DateField(
        _("date made"),
        null=True,
        blank=True,
        help_text=_("When the commitment was made. Leave empty if the source is undated, and say so in the date note."),
    )
    date_made_precision = precision_field(verbose_name=_("date made precision"))
    date_note = models.TextField(_("date note"), blank=True, help_text=_("Say here when the date is inferred."))
    known_since = models.DateField(
        _("known since"),
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "Derived: the earliest day the commitment is known to exist (the date made, else its "
            "source's date, else its first evidence). Absent from any as-of view before it."
        ),
    )
    due_date = models.DateField(
        _("due date"),
        null=True,
        blank=True,
        help_text=_(
            "Only if the source states one, and only with the source's own wording of it below. "
            "A month or year is stored as its last day."
        ),
    )
    due_precision = precision_field(verbose_name=_("due precision"))
    due_text = models.CharField(
        _("due text"),
        max_length=200,
        blank=True,
        help_text=_('The source\'s own words for the deadline, verbatim (e.g. "by 2025"); required with a due date.'),
    )
    expected_end = models.DateField(
        _("expected end"),
        null=True,
        blank=True,
        help_text=_(
            "An inferred end, e.g. the end date of the programme the objective belongs to. Shown as "
            "such; never makes the commitment overdue. A month or year is stored as its last day."
        ),
    )
    expected_end_precision = precision_field(verbose_name=_("expected end precision"))
    expected_end_note = models.CharField(
        _("expected end note"),
        max_length=300,
        blank=True,
        default="",
        db_default="",
        help_text=_("Where the inferred end comes from (our words)."),
    )
    actors = models.ManyToManyField(Actor, verbose_name=_("actors"), related_name="commitments", blank=True)
    actors_basis = models.CharField(
        _("actors basis"), max_length=10, choices=ActorsBasis.choices, default=ActorsBasis.STATED
    )
    actors_note = models.TextField(_("actors note"), blank=True)
    countries = models.ManyToManyField(Country, verbose_name=_("countries"), related_name="commitments", blank=True)
    other_countries = models.CharField(
        _("other countries"),
        max_length=200,
        blank=True,
        help_text=_("Partner countries outside the list, e.g. Afghanistan."),
    )
    countries_note = models.TextField(_("countries note"), blank=True)
    assessment_scope = models.CharField(
        _("scope of assessment"),
        max_length=12,
        choices=Scope.choices,
        default=Scope.REGIONAL,
        db_default=Scope.REGIONAL,
        help_text=_(
            "Regional: every country shows the one overall status (labelled “regional”). Per country: "
            "each country shows only its own country updates’ status, “Not yet assessed” until it has one; the "
            "overall status is assessed separately (never averaged)."
        ),
    )
    themes = models.ManyToManyField(Theme, verbose_name=_("themes"), related_name="commitments", blank=True)
    related = models.ManyToManyField(
        "self", verbose_name=_("related"), blank=True, help_text=_("Overlapping commitments.")
    )
    research_note = models.TextField(
        _("research note"),
        blank=True,
        help_text=_("What was looked for and not found, e.g. no source confirming delivery."),
    )
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=State.choices,
        default=State.DRAFT,
        help_text=_("Only published commitments are shown to the public. Publishers publish and archive."),
    )
    current_status = models.CharField(
        _("current status"),
        max_length=20,
        choices=Status.choices,
        default=Status.NOT_ASSESSED,
        editable=False,
        help_text=_("Derived: status of the latest published update by as-of date."),
    )
    current_status_date = models.DateField(
        _("current status date"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Derived: as-of date of the latest published update."),
    )
    current_status_precision = precision_field(
        verbose_name=_("current status precision"),
        editable=False,
        help_text=_("Derived: how precise that as-of date is (it is shown, and exported, at its precision)."),
    )

    objects = CommitmentQuerySet.as_manager()

    # The texts that have a column per language (commitments/languages.py), and who translated them.
    TRANSLATED_FIELDS = ("title", "quote_context", "location")
    locals().update(translation_source_fields())
    history = HistoricalRecords(
        excluded_fields=["current_status", "current_status_date", "current_status_precision", "updated_at"],
        m2m_fields=[actors, countries, themes],
    )

    class Meta:
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        ordering = ["title"]
        indexes = [
            models.Index(fields=["state", "current_status"], name="commitment_state_status_idx"),
            models.Index(fields=["due_date"], name="commitment_due_date_idx"),
            models.Index(fields=["state", "title"], name="commitment_state_title_idx"),
            models.Index(fields=["state", "current_status_date"], name="commitment_state_updated_idx"),
            # The overview's overdue and stale sections, rows and counts, from the index alone. Not
            # partial indexes: SQLite cannot match their condition against a query's parameters.
            models.Index(fields=["state", "due_date", "title", "current_status"], name="commitment_state_due_idx"),
            models.Index(
                fields=["state", "current_status_date", "date_made", "title", "current_status"],
                name="commitment_state_assessed_idx",
            ),
            # Facet counts look commitments up by id (from a link table or the search) to test their
            # state, status, source and dates: this answers those lookups without reading the wide row.
            models.Index(
                fields=["id", "state", "current_status", "source", "due_date", "current_status_date", "date_made"],
                name="commitment_facet_probe_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_date__isnull=True) | Q(due_date__gte=models.F("date_made")),
                name="commitment_due_not_before_made",
                violation_error_message=_("The due date cannot be before the date the commitment was made."),
            ),
            models.CheckConstraint(
                condition=Q(due_date__isnull=True) | ~Q(due_text=""),
                name="commitment_due_date_has_text",
                violation_error_message=_("A due date needs the source's own wording of the deadline (due text)."),
            ),
        ]
        permissions = [("publish_commitment", "Can publish or archive a commitment")]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        # The derived fields are written only by services.refresh_current_status (with .update()):
        # saving an instance loaded before a publish must not write its stale status back.
        existing = not self._state.adding and self.pk is not None and not kwargs.get("force_insert")
        if existing and not args and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name for f in self._meta.concrete_fields if not f.primary_key and f.name not in DERIVED_FIELDS
            ]
        save_with_version(self, super().save, *args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("commitments:detail", args=[self.slug])

    def delete(self, *args, **kwargs):
        Commitment.objects.filter(pk=self.pk).refuse_delete_if_published()
        return super().delete(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.due_date and self.date_made and self.due_date < self.date_made:
            errors["due_date"] = gettext(
                "The due date (%(due)s) cannot be before the date the commitment was made (%(made)s)."
            ) % {"due": render(self.due_date), "made": render(self.date_made)}
        elif self.due_date and not self.due_text.strip():
            errors["due_text"] = gettext(
                "A due date needs the source's own words for the deadline, quoted verbatim. If the "
                "deadline is inferred (e.g. a programme's end date), use “expected end” instead."
            )
        if (
            self.pk
            and self.assessment_scope == self.Scope.REGIONAL
            and self.status_updates.on_record().exclude(country=None).exists()
        ):
            errors["assessment_scope"] = gettext(
                "This commitment has published country updates, so it stays assessed per country "
                "(a regional scope would hide them); withdraw them first if they were wrong."
            )
        errors.update(clean_quote_translations(self))
        for field, bound in (("date_made", START), ("due_date", END), ("expected_end", END)):
            precision_field = "due_precision" if field == "due_date" else f"{field}_precision"
            message = clean_dated(getattr(self, field), getattr(self, precision_field), bound)
            if message:
                errors.setdefault(field, message)
        if errors:
            raise ValidationError(errors)

    @property
    def is_overdue(self) -> bool:
        return is_overdue(status=self.current_status, due_date=self.due_date, on=timezone.localdate())


DERIVED_FIELDS = ("current_status", "current_status_date", "current_status_precision")


def protect_published(collector, field, sub_objs, using):
    """on_delete for a commitment's updates: refuse if any is published, else cascade.

    A commitment with published updates (withdrawn ones too) is part of the public record: archive it instead.
    """
    published = [u for u in sub_objs if u.was_published]
    if published:
        raise models.ProtectedError(PUBLISHED_DELETE_MESSAGE, set(published))
    models.CASCADE(collector, field, sub_objs, using)


class StatusUpdate(EditedRecord, PublishedRecord):
    """A dated assessment of one commitment. A draft until a publisher publishes it.

    Updates are append-only in spirit: a later update supersedes an earlier one; published
    updates are not edited (withdraw, with a public reason, or add a newer one).
    """

    class Confidence(models.TextChoices):
        HIGH = "high", _("High")
        MEDIUM = "medium", _("Medium")
        LOW = "low", _("Low")

    commitment = models.ForeignKey(
        Commitment, verbose_name=_("commitment"), on_delete=protect_published, related_name="status_updates"
    )
    country = models.ForeignKey(
        Country,
        verbose_name=_("country"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="status_updates",
        help_text=_(
            "Empty: the overall assessment. A country: this update describes that country only, with "
            "evidence about it (per-country commitments only, one of their countries)."
        ),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ASSESSABLE,
        help_text=_("Rate outcomes, not intentions: an announcement is not delivery."),
    )
    as_of = models.DateField(
        _("as of"),
        help_text=_("The day the assessment describes; not in the future. A month or year is stored as its first day."),
    )
    as_of_precision = precision_field(verbose_name=_("as of precision"))
    summary = models.TextField(_("summary"), help_text=_("What happened, in our own words, and why this status."))
    locals().update(per_language("summary", models.TextField()))
    confidence = models.CharField(_("confidence"), max_length=10, choices=Confidence.choices, default=Confidence.MEDIUM)
    publish_reason = models.CharField(
        _("publish reason"),
        max_length=300,
        blank=True,
        default="",
        db_default="",
        help_text=_("Public: why this status, in a sentence (required to publish). Shown in the change history."),
    )
    withdrawn_at = models.DateTimeField(
        _("withdrawn at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "Set when a publisher withdraws a published update: it stays on the public page as "
            "withdrawn, with its reason, and counts for no status."
        ),
    )
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("withdrawn by"),
    )
    withdraw_reason = models.CharField(
        _("withdraw reason"),
        max_length=300,
        blank=True,
        default="",
        db_default="",
        editable=False,
        help_text=_("Public: why the update was withdrawn."),
    )

    objects = StatusUpdateQuerySet.as_manager()

    # The texts that have a column per language (commitments/languages.py), and who translated them.
    TRANSLATED_FIELDS = ("summary",)
    locals().update(translation_source_fields())
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("status update")
        verbose_name_plural = _("status updates")
        ordering = ["-as_of", "-published_at", "-id"]
        indexes = [
            # The status-as-of-a-day lookup (latest published update by as-of date, ties to the
            # latest published): one index seek per commitment, status read from the index on PostgreSQL.
            models.Index(
                "commitment",
                models.F("as_of").desc(),
                models.F("published_at").desc(),
                models.F("id").desc(),
                name="update_effective_idx",
                condition=published_q(),
            ),
            # The same per (commitment, country) for country updates (``country_status``).
            models.Index(
                "commitment",
                "country",
                models.F("as_of").desc(),
                models.F("published_at").desc(),
                models.F("id").desc(),
                name="update_country_effective_idx",
                condition=published_q() & Q(country__isnull=False),
            ),
            models.Index(fields=["published_at"], name="update_published_at_idx"),
            # The feed's withdrawal entries, newest first: a few rows among a million updates.
            models.Index(
                fields=["-withdrawn_at"], name="update_withdrawn_at_idx", condition=Q(withdrawn_at__isnull=False)
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | on_record_q(),
                name="update_withdrawn_only_if_published",
                violation_error_message=_("Only a published update can be withdrawn."),
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | ~Q(withdraw_reason=""),
                name="update_withdrawal_has_reason",
                violation_error_message=_("A withdrawal needs a public reason."),
            ),
        ]
        permissions = [("publish_statusupdate", "Can publish or withdraw a status update")]

    def __str__(self) -> str:
        if not self.as_of:
            return gettext("New status update")
        # "Achieved as of July 2022"
        return gettext("%(status)s as of %(date)s") % {
            "status": self.get_status_display(),
            "date": render(self.as_of, self.as_of_precision),
        }

    def save(self, *args, **kwargs) -> None:
        save_with_version(self, super().save, *args, **kwargs)

    @property
    def is_published(self) -> bool:
        """Python's ``StatusUpdate.objects.published()``, for one update already loaded: published and
        not withdrawn, so it counts."""
        return self.published_at is not None and self.withdrawn_at is None

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def was_published(self) -> bool:
        """Part of the public record: published, withdrawn or not (``StatusUpdate.objects.on_record()``)."""
        return self.published_at is not None

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.as_of and self.as_of > timezone.localdate():
            errors["as_of"] = gettext(
                "The as-of date (%(date)s) is in the future; an assessment can only describe the past or today."
            ) % {"date": render(self.as_of)}
        # An as-of month or year is before the date made only if all of it is ("as of September 2019" may
        # describe a commitment made on 11 September 2019).
        if (
            self.as_of
            and self.commitment_id
            and self.commitment.date_made
            and period_end(self.as_of, self.as_of_precision) < self.commitment.date_made
        ):
            errors["as_of"] = gettext("The as-of date (%(as_of)s) is before the commitment was made (%(made)s).") % {
                "as_of": render(self.as_of, self.as_of_precision),
                "made": render(self.commitment.date_made, self.commitment.date_made_precision),
            }
        message = clean_dated(self.as_of, self.as_of_precision, START)
        if message:
            errors.setdefault("as_of", message)
        if self.country_id and self.commitment_id:
            if self.commitment.assessment_scope != Commitment.Scope.PER_COUNTRY:
                errors["country"] = gettext(
                    "Only a commitment assessed per country takes country updates; this one is regional "
                    "(its one status is every country's). Change its scope first, or leave the country empty."
                )
            elif not self.commitment.countries.filter(pk=self.country_id).exists():
                errors["country"] = gettext("That country is not one of this commitment's countries.")
        if errors:
            raise ValidationError(errors)


class CountryStatus(models.Model):
    """Derived: a per-country commitment's current status in one country, from the latest published update
    for that country (by as-of date). Written only by ``services.refresh_current_status``; a row exists only
    where such an update does. The rule that reads it (regional commitments show their overall status, a
    country with no row is "not assessed") is in ``country_status``.
    """

    commitment = models.ForeignKey(
        Commitment, verbose_name=_("commitment"), on_delete=models.CASCADE, related_name="country_statuses"
    )
    country = models.ForeignKey(Country, verbose_name=_("country"), on_delete=models.CASCADE, related_name="+")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    status_date = models.DateField(
        _("status date"),
    )
    status_precision = precision_field(verbose_name=_("status precision"))
    update = models.ForeignKey(
        "StatusUpdate",
        verbose_name=_("update"),
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("The latest published update for this country."),
    )

    class Meta:
        verbose_name = _("country status")
        verbose_name_plural = _("country statuses")
        constraints = [
            models.UniqueConstraint(fields=["commitment", "country"], name="country_status_unique"),
        ]
        indexes = [models.Index(fields=["country", "status"], name="country_status_country_idx")]

    def __str__(self) -> str:
        return f"{self.commitment_id} in {self.country_id}: {self.status}"


class Evidence(models.Model):
    """A document or page bearing on whether a commitment was delivered.

    Evidence attached to a status update supports or contradicts that update's status.
    Evidence attached only to the commitment is material for an editor to judge, not a rating.
    """

    class Stance(models.TextChoices):
        SUPPORTS = "supports", _("Supports the status")
        CONTRADICTS = "contradicts", _("Contradicts the status")

    class Indicates(models.TextChoices):
        ANNOUNCED = "announced", _("Announced")
        UNDER_WAY = "under way", _("Under way")
        DONE = "done", _("Done")
        NOT_BEGUN = "not begun", _("Not begun")
        DROPPED = "dropped", _("Dropped")
        CONTEXT = "context", _("Context")

    commitment = models.ForeignKey(
        Commitment, verbose_name=_("commitment"), on_delete=models.CASCADE, related_name="evidence"
    )
    status_update = models.ForeignKey(
        StatusUpdate,
        verbose_name=_("status update"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="evidence",
        help_text=_("The update this evidence backs; empty for evidence not yet used in an assessment."),
    )
    title = models.CharField(_("title"), max_length=500)
    publisher = models.CharField(_("publisher"), max_length=300)
    date = models.DateField(
        _("date"), null=True, blank=True, help_text=_("Date of the document or event; empty if undated.")
    )
    date_precision = precision_field(verbose_name=_("date precision"))
    url = models.URLField(_("URL"), max_length=1000, blank=True)
    document = models.FileField(
        _("document"),
        upload_to="evidence/%Y/",
        blank=True,
        validators=uploads.DOCUMENT_VALIDATORS,
        help_text=_(
            "Upload a copy when there is no stable URL: PDF, an image (PNG, JPEG, GIF, WebP), an office "
            "document (docx, xlsx, pptx, odt, ods, odp, doc, xls) or plain text (txt, csv)."
        ),
    )
    stance = models.CharField(
        _("stance"),
        max_length=12,
        choices=Stance.choices,
        blank=True,
        help_text=_("Required when attached to a status update."),
    )
    indicates = models.CharField(
        _("indicates"),
        max_length=12,
        choices=Indicates.choices,
        blank=True,
        help_text=_("What the evidence shows, before any rating."),
    )
    description = models.TextField(
        _("description"), blank=True, help_text=_("What the evidence shows, in our own words.")
    )
    locals().update(per_language("description", models.TextField()))
    quote = models.TextField(_("quote"), blank=True, help_text=_("Optional verbatim extract."))
    quote_language = quote_language_field()
    locals().update(quote_translation_fields())
    note = models.TextField(_("note"), blank=True)
    is_synthetic = models.BooleanField(_("is synthetic"), default=False, editable=False, help_text=SYNTHETIC_HELP)

    objects = EvidenceQuerySet.as_manager()

    # The texts that have a column per language (commitments/languages.py), and who translated them.
    TRANSLATED_FIELDS = ("description",)
    locals().update(translation_source_fields())
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["-date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(url="") | ~Q(document=""),
                name="evidence_url_or_document",
                violation_error_message=_("Give the evidence a URL or upload a document."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        errors = {}
        if not self.url and not self.document:
            errors["url"] = gettext("Give the evidence a URL or upload a document.")
        if self.quote or any(getattr(self, f"quote_translation_{code}") for code in CODES):
            errors.update(clean_quote_translations(self))
        if self.date and self.date > timezone.localdate():
            errors["date"] = gettext("The evidence date is in the future.")
        message = clean_dated(self.date, self.date_precision, START)
        if message:
            errors.setdefault("date", message)
        if self.status_update_id:
            if not self.stance:
                errors["stance"] = gettext("Say whether this evidence supports or contradicts the status.")
            if self.commitment_id and self.status_update.commitment_id != self.commitment_id:
                errors["status_update"] = gettext("This update belongs to a different commitment.")
        if errors:
            raise ValidationError(errors)


class ProgressReport(PublishedRecord):
    """A progress report for a period: a snapshot of the figures, frozen when published.

    The snapshot (plain JSON built by ``reports.snapshot.build_snapshot``) is what every rendering
    (HTML, PDF, CSV) reads; once published it never changes. A correction is a new report
    that names the one it supersedes.
    """

    class State(models.TextChoices):
        DRAFT = DRAFT, _("Draft (staff only)")
        PUBLISHED = PUBLISHED, _("Published")

    slug = models.SlugField(
        _("slug"), max_length=100, unique=True, help_text=SLUG_HELP, error_messages=_unique_slug("report")
    )
    title = models.CharField(_("title"), max_length=200)
    locals().update(per_language("title", models.CharField(max_length=200)))
    period_label = models.CharField(_("period label"), max_length=100, help_text=_("e.g. 2026 Q3"))
    start = models.DateField(_("start"), help_text=_("First day of the period."))
    end = models.DateField(_("end"), help_text=_("Last day of the period."))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT, editable=False)
    snapshot = models.JSONField(
        _("snapshot"), default=dict, editable=False, help_text=_("The figures, lists and text of the report.")
    )
    introduction = models.TextField(
        _("introduction"), blank=True, help_text=_("Optional words of the publisher, shown before the figures.")
    )
    locals().update(per_language("introduction", models.TextField()))
    supersedes = models.ForeignKey(
        "self",
        verbose_name=_("supersedes"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        help_text=_("The published report this one corrects."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # The published report's PDF, rendered once from the snapshot and stored (``reports.pdf_store``): empty
    # for drafts, and until the first request for a report published before PDFs were stored.
    pdf = models.BinaryField(_("pdf"), blank=True, default=b"", editable=False)
    pdf_sha256 = models.CharField(_("pdf sha256"), max_length=64, blank=True, default="", editable=False)
    # The same in each other language, from the same snapshot (rendered on the first request for it).
    locals().update(per_language("pdf", models.BinaryField(blank=True, default=b"", editable=False)))
    locals().update(per_language("pdf_sha256", models.CharField(max_length=64, blank=True, default="",
                                                                editable=False)))

    objects = ProgressReportQuerySet.as_manager()

    # The texts that have a column per language (commitments/languages.py), and who translated them.
    TRANSLATED_FIELDS = ("title", "introduction")
    locals().update(translation_source_fields())
    PDF_FIELDS = ("pdf", "pdf_sha256", *(f"{name}_{code}" for code in OTHERS for name in ("pdf", "pdf_sha256")))
    history = HistoricalRecords(excluded_fields=["snapshot", *PDF_FIELDS])

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["-end", "-published_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gte=models.F("start")),
                name="report_end_not_before_start",
                violation_error_message=_("The period cannot end before it starts."),
            ),
        ]
        indexes = [models.Index(fields=["state", "end"], name="report_state_end_idx")]
        permissions = [("publish_progressreport", "Can publish a progress report")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("reports:detail", args=[self.slug])

    @property
    def is_published(self) -> bool:
        """Python's ``ProgressReport.objects.published()``, for one report already loaded."""
        return self.state == self.State.PUBLISHED

    def clean(self) -> None:
        super().clean()
        if self.start and self.end and self.end < self.start:
            raise ValidationError({"end": gettext("The period cannot end before it starts.")})
        if self.supersedes_id and self.supersedes_id == self.pk:
            raise ValidationError({"supersedes": gettext("A report cannot supersede itself.")})
        if self.supersedes and not self.supersedes.is_published:
            raise ValidationError({"supersedes": gettext("Only a published report can be superseded.")})


class PublicDataVersion(models.Model):
    """One row whose token changes whenever anything readers can see may have changed.

    Cached pages are keyed by it, so a publish invalidates every cached page in every process
    (it is read from the database, not from a per-process cache). A random token rather than a
    counter, so a restored backup or a rolled-back transaction can never reuse a key for other
    data. Changed by ``cache.bump``.
    """

    token = models.CharField(max_length=32, default="")

    class Meta:
        verbose_name = _("public data version")
        verbose_name_plural = _("public data versions")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="public_data_version_singleton")]

    def __str__(self) -> str:
        return f"public data version {self.token}"


class Revision(models.Model):
    """A proposed change to published content, held for a publisher's review.

    An edit of a public commitment, source, actor, theme or country (or of the translations of a
    published status update or its evidence) is not applied: its new values
    are stored here (``data``: field name -> value as the admin form gives it, many-to-many fields as
    lists of primary keys) and the public keeps seeing the published version. A publisher approves
    it (``services`` applies it, with a public reason) or rejects it (with a reason the editor sees).
    Nothing typed is lost: a rejected revision keeps its data, and the editor can start from it.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Pending review")
        APPROVED = "approved", _("Approved and applied")
        REJECTED = "rejected", _("Rejected")

    class Subject(models.TextChoices):
        COMMITMENT = "commitment", _("Commitment")
        SOURCE = "source", _("Source")
        ACTOR = "actor", _("Actor")
        THEME = "theme", _("Theme")
        COUNTRY = "country", _("Country")
        # A published update and its evidence: their translations only (``update_translations``).
        UPDATE = "update", _("Status update")
        EVIDENCE = "evidence", _("Evidence")

    subject_type = models.CharField(_("subject type"), max_length=12, choices=Subject.choices)
    subject_id = models.PositiveBigIntegerField(
        _("subject id"), help_text=_("The primary key of the record it changes.")
    )
    data = models.JSONField(_("data"), help_text=_("The proposed values, field by field (many-to-many: lists of ids)."))
    base = models.JSONField(
        _("base"),
        default=dict,
        help_text=_("The published values the editor started from, for the diff and conflicts."),
    )
    base_version = models.PositiveIntegerField(
        _("base version"),
        null=True,
        blank=True,
        help_text=_("The record's version when the edit began (records that have one)."),
    )
    note = models.TextField(_("note"), blank=True, help_text=_("The editor's note to the publisher (staff only)."))
    review_state = models.CharField(_("review state"), max_length=10, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    review_reason = models.CharField(
        _("review reason"),
        max_length=300,
        blank=True,
        help_text=_("Approved: the public reason shown in the change history. Rejected: why, for the editor."),
    )

    class Meta:
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["review_state", "created_at"], name="revision_state_idx"),
            models.Index(fields=["subject_type", "subject_id", "review_state"], name="revision_subject_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(review_state="pending") | (Q(reviewed_at__isnull=False) & ~Q(review_reason="")),
                name="revision_reviewed_with_reason",
                violation_error_message=_("A reviewed revision needs a reason."),
            ),
        ]
        permissions = [("review_revision", "Can approve or reject a revision of published content")]

    def __str__(self) -> str:
        return f"{self.get_subject_type_display()} #{self.subject_id}: {self.get_review_state_display().lower()}"


class PublicChange(models.Model):
    """One entry of the public change history: what changed in public data, when, and why.

    Written by ``services`` in the same transaction as the change itself (publishing a commitment or
    an update, approving a revision, withdrawing an update, archiving), never by hand. Append-only:
    a correction is a new entry. ``changes`` lists the fields changed, each as
    ``{"field", "label", "old", "new"}``; ``old``/``new`` are filled only for the words readers cite
    (a commitment's quote and title, a source's title and URL, a taxonomy entry's name).
    """

    class Kind(models.TextChoices):
        PUBLISHED = "published", _("Published")
        REVISED = "revised", _("Corrected")
        UPDATE_PUBLISHED = "update_published", _("Status assessed")
        UPDATE_WITHDRAWN = "update_withdrawn", _("Assessment withdrawn")
        ARCHIVED = "archived", _("Archived")
        RESTORED = "restored", _("Restored")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    subject_type = models.CharField(_("subject type"), max_length=12, choices=Revision.Subject.choices)
    subject_id = models.PositiveBigIntegerField(
        _("subject id"),
    )
    commitment = models.ForeignKey(
        Commitment,
        verbose_name=_("commitment"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="public_changes",
        help_text=_("The commitment it concerns, when it concerns one."),
    )
    status_update = models.ForeignKey(
        StatusUpdate,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="public_changes",
        verbose_name=_("status update"),
    )
    revision = models.ForeignKey(
        Revision, verbose_name=_("revision"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    happened_at = models.DateTimeField(_("happened at"), help_text=_("When the change became public."))
    reason = models.CharField(_("reason"), max_length=300, help_text=_("Public: why, in a sentence."))
    changes = models.JSONField(_("changes"), default=list, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
        help_text=_("Staff only: who made it public."),
    )

    class Meta:
        verbose_name = _("public change")
        verbose_name_plural = _("public changes")
        ordering = ["-happened_at", "-id"]
        indexes = [
            models.Index(fields=["commitment", "-happened_at"], name="public_change_commitment_idx"),
            models.Index(fields=["subject_type", "subject_id", "-happened_at"], name="public_change_subject_idx"),
            models.Index(fields=["-happened_at"], name="public_change_recent_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="public_change_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.subject_type} #{self.subject_id} on {self.happened_at:%Y-%m-%d}"
