"""The dump's layout: which tables and columns it has, and how each maps onto the tracker's models."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache as memoize

from django.db import models
from django.db.models import F

from ..licence import LICENSE  # noqa: F401 - the dump's licence, read from here by the dump's modules
from ..models import Actor, Commitment, Country, Evidence, ProgressReport, Source, StatusUpdate, Theme
from ..querysets import public_links

# 2: the CSV's text cells are neutralised as in export.csv; restore reads the JSON.
# 3: dates carry their precision (``<date>_precision``), commitments their expected end and known_since, and
#    status updates their public reason and any withdrawal (withdrawn updates are listed; they count for nothing).
# 4: only the sources, actors, countries and themes a published commitment uses, and no source notes (staff only).
# 5: per-country assessments: a commitment's ``assessment_scope`` and a status update's ``country`` (a slug of
#    countries.json; empty for an update of the whole commitment). Restore derives the status in each country.
FORMAT_VERSION = 5
READABLE_VERSIONS = (1, 2, 3, 4, 5)  # an older dump has the columns of its version (``ADDED_IN``, ``DROPPED_IN``)
# (table, column) -> the format version that added it; columns not named here are in every version.
ADDED_IN = {
    ("sources", "date_precision"): 3,
    ("commitments", "date_made_precision"): 3,
    ("commitments", "due_precision"): 3,
    ("commitments", "expected_end"): 3,
    ("commitments", "expected_end_precision"): 3,
    ("commitments", "expected_end_note"): 3,
    ("commitments", "known_since"): 3,
    ("status_updates", "as_of_precision"): 3,
    ("evidence", "date_precision"): 3,
    ("status_updates", "publish_reason"): 3,
    ("status_updates", "withdrawn_at"): 3,
    ("status_updates", "withdraw_reason"): 3,
    ("commitments", "assessment_scope"): 5,
    ("status_updates", "country"): 5,
}
# (table, column) -> the format version that no longer writes it. An older dump's value is still
# restored: a source's notes (staff only since version 4) go back into the staff-only field.
DROPPED_IN = {
    ("sources", "notes"): 4,
}
PACKAGE = "datapackage.json"
BATCH = 1000
DIALECT = {"delimiter": ",", "lineTerminator": "\r\n", "quoteChar": '"', "doubleQuote": True, "header": True}
# Rows with these models' ids are written with explicit primary keys (PostgreSQL sequences are advanced after).
KEYED_MODELS = (Source, Actor, Country, Theme, Commitment, StatusUpdate, Evidence, ProgressReport)
SYNTHETIC_MODELS = (Source, Actor, Country, Theme, Commitment, StatusUpdate, Evidence)


@dataclass(frozen=True)
class Column:
    name: str  # in the files
    attr: str  # the model attribute (``source_id`` for a foreign key)
    type: str  # Frictionless type: string, integer, date, datetime, boolean, object
    required: bool
    unique: bool = False
    enum: tuple[str, ...] = ()
    description: str = ""

    def descriptor(self) -> dict:
        out = {"name": self.name, "type": self.type}
        if self.description:
            out["description"] = self.description
        constraints = {}
        if self.required:
            constraints["required"] = True
        if self.unique:
            constraints["unique"] = True
        if self.enum:
            constraints["enum"] = list(self.enum)
        if constraints:
            out["constraints"] = constraints
        return out


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    model: type[models.Model]  # a model or an m2m through model
    columns: tuple[Column, ...]
    rows: Callable[[], models.QuerySet]  # what is exported, in a stable order
    primary_key: tuple[str, ...] = ("id",)
    foreign_keys: tuple[tuple[str, str], ...] = ()  # (column, table it references by id; "" = this table)
    # (column, table it references by slug, the model's foreign key attname): its ``attr`` reads the slug.
    slug_keys: tuple[tuple[str, str, str], ...] = ()
    extra: dict = field(default_factory=dict)  # set on every restored instance (e.g. state=published)

    @property
    def csv(self) -> str:
        return f"{self.name}.csv"

    @property
    def json(self) -> str:
        return f"{self.name}.json"

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


def _type(f: models.Field) -> str:
    if f.is_relation or isinstance(f, models.AutoField | models.IntegerField):
        return "integer"
    if isinstance(f, models.BooleanField):
        return "boolean"
    if isinstance(f, models.DateTimeField):  # before DateField, its parent
        return "datetime"
    if isinstance(f, models.DateField):
        return "date"
    if isinstance(f, models.JSONField):
        return "object"
    return "string"


def _columns(model, *names: str, required: tuple[str, ...] = ()) -> tuple[Column, ...]:
    """Columns for model fields; a foreign key is named by its attname (``source_id``)."""
    out = []
    for name in names:
        f = model._meta.get_field(name)
        kind = _type(f)
        out.append(
            Column(
                name=f.attname,
                attr=f.attname,
                type=kind,
                required=f.primary_key or name in required or not (f.null or (kind == "string" and f.blank)),
                unique=f.unique,
                enum=tuple(str(v) for v, _ in f.choices) if f.choices else (),
                description=str(f.help_text),
            )
        )
    return tuple(out)


def _link(name: str, title: str, field_name: str, target: str, target_column: str) -> Table:
    """A many-to-many field of Commitment as a link table of published commitments."""
    through = getattr(Commitment, field_name).through
    if field_name == "related":  # symmetrical: stored both ways, written once (lower id first)
        source_attr, target_attr = "from_commitment_id", "to_commitment_id"

        def rows():
            return public_links(through, "from_commitment", "to_commitment").filter(
                from_commitment_id__lt=F("to_commitment_id"),
            ).order_by(source_attr, target_attr)
    else:
        source_attr, target_attr = "commitment_id", target_column

        def rows():
            return public_links(through).order_by(source_attr, target_attr)

    columns = (
        Column("commitment_id", source_attr, "integer", True),
        Column(target_column, target_attr, "integer", True),
    )
    return Table(
        name=name,
        title=title,
        model=through,
        columns=columns,
        rows=rows,
        primary_key=("commitment_id", target_column),
        foreign_keys=(("commitment_id", "commitments"), (target_column, target)),
    )


@memoize
def tables(version: int = FORMAT_VERSION) -> tuple[Table, ...]:
    """Every table of the dump, in the order it is written and read (referenced tables first).

    ``version``: the tables as a dump of that format version has them (without the columns added
    later, with those dropped since). Sources and taxonomy entries are the public ones (``.public()``:
    used by a published commitment), so the dump names nothing the site would answer 404 for.
    """
    return tuple(
        replace(table, columns=tuple(c for c in table.columns if _in_version(table.name, c.name, version)))
        for table in _tables()
    )


def _in_version(table: str, column: str, version: int) -> bool:
    return ADDED_IN.get((table, column), 1) <= version < DROPPED_IN.get((table, column), FORMAT_VERSION + 1)


def _tables() -> tuple[Table, ...]:
    published = Commitment.State.PUBLISHED
    taxonomy = ("id", "slug", "name", "is_synthetic")
    return (
        Table("sources", "Sources: the documents commitments are quoted from", Source,
              _columns(Source, "id", "slug", "title", "issuer", "date", "date_note", "kind", "url", "notes",
                       "is_synthetic", "date_precision"),
              lambda: Source.objects.public().order_by("id")),
        Table("actors", "Actors: organisations that owe or share commitments", Actor, _columns(Actor, *taxonomy),
              lambda: Actor.objects.public().order_by("id")),
        Table("countries", "Partner countries (slug: ISO 3166-1 alpha-2, lower case)", Country,
              _columns(Country, *taxonomy), lambda: Country.objects.public().order_by("id")),
        Table("themes", "Themes", Theme, _columns(Theme, *taxonomy), lambda: Theme.objects.public().order_by("id")),
        Table("commitments", "Published commitments", Commitment,
              _columns(Commitment, "id", "slug", "title", "quote", "quote_context", "source", "attributed_to",
                       "location", "statement_type", "scope_note", "date_made", "date_note", "due_date", "due_text",
                       "actors_basis", "actors_note", "other_countries", "current_status", "current_status_date",
                       "is_synthetic", "date_made_precision", "due_precision", "expected_end",
                       "expected_end_precision", "expected_end_note", "known_since", "assessment_scope"),
              lambda: Commitment.objects.public().order_by("id"),
              foreign_keys=(("source_id", "sources"), ("attributed_to_id", "sources")),
              extra={"state": published}),
        _link("commitment_actors", "Responsible actors of each commitment", "actors", "actors", "actor_id"),
        _link("commitment_countries", "Partner countries of each commitment", "countries", "countries",
              "country_id"),
        _link("commitment_themes", "Themes of each commitment", "themes", "themes", "theme_id"),
        _link("commitment_related", "Overlapping commitments (each pair once, lower id first)", "related",
              "commitments", "related_id"),
        Table("status_updates", "Published status updates of published commitments (withdrawn ones too: they "
              "count for no status)", StatusUpdate,
              _columns(StatusUpdate, "id", "commitment", "status", "as_of", "summary", "confidence", "publish_reason",
                       "published_at", "withdrawn_at", "withdraw_reason", "is_synthetic", "as_of_precision",
                       required=("published_at",))
              + (Column("country", "country__slug", "string", False,
                        description="The country this update assesses (a slug of countries.json), for a per-country "
                        "commitment only; empty: the update assesses the whole commitment."),),
              lambda: StatusUpdate.objects.public_record().order_by("id"),
              foreign_keys=(("commitment_id", "commitments"),),
              slug_keys=(("country", "countries", "country_id"),)),
        Table("evidence", "Evidence behind the published status updates", Evidence,
              _columns(Evidence, "id", "commitment", "status_update", "title", "publisher", "date", "url",
                       "document", "stance", "description", "quote", "is_synthetic", "date_precision",
                       required=("status_update",)),
              lambda: Evidence.objects.on_record().order_by("id"),
              foreign_keys=(("commitment_id", "commitments"), ("status_update_id", "status_updates"))),
        Table("progress_reports", "Published progress reports, with their frozen snapshot", ProgressReport,
              _columns(ProgressReport, "id", "slug", "title", "period_label", "start", "end", "introduction",
                       "supersedes", "published_at", "snapshot", required=("published_at",)),
              lambda: ProgressReport.objects.published().order_by("id"),
              foreign_keys=(("supersedes_id", ""),),
              extra={"state": ProgressReport.State.PUBLISHED}),
    )
