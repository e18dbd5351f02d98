"""The list's export (``/commitments/export.csv`` and ``.json``): its columns, declared once, and its records.

Rows come from ``CommitmentFilterSet`` exactly as on the list page, in one streamed query (values, no model
instances; taxonomies aggregated in SQL: flat memory). Each chunk of ``CHUNK`` rows then reads, in one
query each, the status in each of its countries (``selectors.matrix_cells``: the rule of ``country_status``,
as the compliance matrix reads it) and the confidence and summary of the updates its statuses come from.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from django.db.models import BooleanField, CharField, ExpressionWrapper, F, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_noop

from .. import country_status, languages, selectors
from .. import status as rules
from ..aggregates import split, with_lists
from ..dates import Precision
from ..models import Actor, Commitment, Country, StatusUpdate, Theme
from ..status import Status
from .columns import JSON, LANG_NOTE, Column, Export
from .streaming import batches

CHUNK = 1000  # rows per fetch
NOT_ASSESSED = country_status.NOT_ASSESSED
PRECISIONS = tuple(Precision.values)
STATUSES = tuple(Status.values)
with translation.override(languages.DEFAULT):  # the schema's English labels, whatever language imports this
    STATUS_LABELS = tuple(str(label) for _, label in Status.choices)

_COUNTRY_STATUS_SCHEMA = {
    "type": "object",
    "additionalProperties": {
        "type": "object",
        "properties": {
            "status": {"type": "string", "enum": list(STATUSES)},
            "as_of": {"type": ["string", "null"], "format": "date"},
            "update_url": {"type": ["string", "null"], "format": "uri"},
        },
        "required": ["status", "as_of", "update_url"],
        "additionalProperties": False,
    },
}


def _in_language(code: str) -> tuple[Column, ...]:
    """The columns ``lang=<code>`` adds (``language``): the texts in that language, each empty where it has none
    (the English column beside it has the text; nothing is filled in from it)."""
    name = languages.NAMES[code]
    only = f"Only with lang={code} (or under /{code}/)."

    def text(column: str, meaning: str, example, **kw) -> Column:
        return Column(f"{column}_{code}", kw.pop("type", "string"), f"{meaning} {only}", example, added_in=3,
                      language=code, **kw)

    sources = tuple(languages.TranslationSource.values)
    return (
        text("title", f"The title in {name} (empty if it has no translation yet).", "Направить эксперта по КТ"),
        text("quote_translation", f"A translation of the quote into {name}, never the quote itself (empty if none; "
             "empty too when the quote is in that language already, see quote_translation_source).",
             "ЕС направит в регион эксперта по безопасности и борьбе с терроризмом."),
        text("quote_translation_source", "Who made that translation: official (with its address), tracker (the "
             "tracker's own, unofficial) or machine (machine-made, not reviewed); empty without one.", "tracker",
             enum=("", *sources), safe=True),
        text("quote_translation_url", "The address of the official translation (official ones only; else empty).",
             ""),
        text("location", f"Where in the source the quote is, in {name} (empty if not translated).", "Раздел 3.2"),
        text("source_title", f"The source document's title in {name} (empty if not translated).",
             "ЕС и Центральная Азия"),
        text("theme_names", f"Names of its themes in {name}, in the order of themes (an empty item: not translated).",
             ["Предупреждение насильственного экстремизма"], type="list"),
        text("country_names", f"Names of its countries in {name}, in the order of countries (an empty item: not "
             "translated).", ["Киргизия", "Казахстан"], type="list"),
        text("actor_names", f"Names of its actors in {name}, in the order of actors (an empty item: not "
             "translated).", ["ЕСВД"], type="list"),
        text("status_label", f"The status as the site shows it in {name}.", "Выполнено", safe=True),
        text("status_summary", f"The summary of the assessment the status comes from, in {name}; null when not "
             "assessed, empty when not translated.", "Эксперт работает в Бишкеке с марта 2022 года.", nullable=True),
    )


# The columns in order. Researchers' scripts read them by position: a new column goes at the end (before the
# CSV's ``status_<code>`` columns, whose number follows the public countries), never between two others.
COLUMN_LIST = (
    Column("slug", "string", "The commitment's permanent identifier: its page is /commitments/<slug>/.",
           "deploy-ct-expert"),
    Column("title", "string", "A short title in the tracker's own words (the quote is the commitment's text).",
           "Deploy a dedicated CT expert"),
    Column("status", "string", "The status (a slug of the status scale, see /methodology/): the overall status, or "
           "with exactly one country chosen the status in that country; on the as_of day if one is given.",
           "achieved", enum=STATUSES, safe=True),
    Column("status_label", "string", "The status as the site shows it.", "Achieved",
           enum=STATUS_LABELS, safe=True),
    Column("status_as_of", "date", "The as-of date of the assessment the status comes from; null when not "
           "assessed. As precise as status_as_of_precision says (a month is stored as its first day).",
           "2022-03-01", nullable=True),
    Column("due_date", "date", "The deadline the source states, if any (a month or year is stored as its last "
           "day: see due_precision).", "2020-12-31", nullable=True),
    Column("overdue", "boolean", "Past its due date (on the as_of day, else today) and neither achieved nor "
           "abandoned.", False),
    Column("date_made", "date", "When the commitment was made, if known.", "2019-05-15", nullable=True),
    Column("statement_type", "string", "What kind of statement it is: a proposal or a stated priority is not a "
           "promise to deliver.", "pledge", enum=tuple(Commitment.StatementType.values)),
    Column("themes", "list", "Slugs of its themes, in alphabetical order.", ["pcve"]),
    Column("countries", "list", "Slugs of its partner countries (ISO 3166-1 alpha-2, lower case), in "
           "alphabetical order.", ["kg", "kz"]),
    Column("actors", "list", "Names of the actors responsible for it, in alphabetical order.", ["EEAS"]),
    Column("source", "string", "The slug of the source document the quote is taken from "
           "(/sources/<slug>/).", "eu-strategy-2019"),
    Column("source_url", "string", "The public address of the copy of the source that was read (empty if none).",
           "https://example.org/strategy-2019"),
    Column("url", "url", "The commitment's page on the tracker.", "https://tracker.example/commitments/deploy-ct-expert/",
           safe=True),
    Column("due_precision", "string", "How precise due_date is (day, month or year); null without a due date.",
           "day", enum=PRECISIONS, nullable=True, safe=True),
    Column("date_made_precision", "string", "How precise date_made is; null without one.", "day",
           enum=PRECISIONS, nullable=True, safe=True),
    Column("expected_end", "date", "The tracker's inferred end (e.g. of a programme): never a due date.",
           None, nullable=True),
    Column("expected_end_precision", "string", "How precise expected_end is; null without one.", None,
           enum=PRECISIONS, nullable=True, safe=True),
    Column("status_as_of_precision", "string", "How precise status_as_of is; null when not assessed.", "day",
           enum=PRECISIONS, nullable=True, safe=True),
    # Added in export format version 2 (research-grade exports).
    Column("quote", "string", "The commitment's words, verbatim from the source.",
           "The EU will deploy a dedicated counter-terrorism expert to the region.", added_in=2),
    Column("location", "string", "Where in the source the quote is (a section or paragraph; empty if not known).",
           "Section 3.2", added_in=2),
    Column("source_title", "string", "The title of the source document.", "EU Strategy on Central Asia",
           added_in=2),
    Column("source_issuer", "string", "Who issued or published the source.", "Council of the EU", added_in=2),
    Column("source_date", "date", "The date of the source document; null if undated.", "2019-05-15",
           nullable=True, added_in=2),
    Column("source_date_precision", "string", "How precise source_date is; null if undated.", "day",
           enum=PRECISIONS, nullable=True, safe=True, added_in=2),
    Column("theme_names", "list", "Names of its themes, in the order of themes.",
           ["Prevention of violent extremism"], added_in=2),
    Column("country_names", "list", "Names of its partner countries, in the order of countries.",
           ["Kyrgyzstan", "Kazakhstan"], added_in=2),
    Column("actor_slugs", "list", "Slugs of its actors (/actors/<slug>/), in the order of actors.", ["eeas"],
           added_in=2),
    Column("assessment_scope", "string", "How it is assessed: regional (one status for all its countries) or "
           "per_country (a status in each country; see country_status).", "regional",
           enum=tuple(Commitment.Scope.values), safe=True, added_in=2),
    Column("status_confidence", "string", "The tracker's confidence in the assessment the status comes from; "
           "null when not assessed.", "high", enum=tuple(StatusUpdate.Confidence.values), nullable=True,
           safe=True, added_in=2),
    Column("status_summary", "string", "The summary of that assessment (what happened and why this status), in "
           "the tracker's words; null when not assessed.", "The expert took up the post in March 2022.",
           nullable=True, added_in=2),
    Column("status_update_url", "url", "The address of that assessment on the commitment's page, with its "
           "evidence; null when not assessed.",
           "https://tracker.example/commitments/deploy-ct-expert/#update-12", nullable=True, safe=True,
           added_in=2),
    Column("stale", "boolean", f"Open (neither achieved nor abandoned) and with no assessment for "
           f"{rules.STALE_AFTER_TEXT} (on the as_of day, else today; none since it was made counts from then).",
           False, added_in=2),
    Column("due_text", "string", "The source's own wording of the deadline (empty if it states none).",
           "by the end of 2020", added_in=2),
    *(column for code in languages.OTHERS for column in _in_language(code)),
    # JSON only: the status in each country.
    Column("country_status", "object", "For each of its countries (by slug): {status, as_of, update_url}, its "
           "status there by the per-country rule (a regional commitment's overall status, a per-country one's own, "
           "not_assessed with none), on the as_of day if given. In CSV: the status_<code> columns.",
           {"kz": {"status": "achieved", "as_of": "2022-03-01",
                   "update_url": "https://tracker.example/commitments/deploy-ct-expert/#update-12"}},
           formats=(JSON,), schema=_COUNTRY_STATUS_SCHEMA),
)
# CSV only, after the columns above: one per public country, by slug (documented, not a record's value).
PER_COUNTRY_COLUMN = Column(
    "status_<code>", "string", "One column per public country (<code>: its slug, in alphabetical order): the "
    "commitment's status there by the per-country rule, empty where it is not filed under that country.",
    "achieved", enum=STATUSES, formats=("csv",), safe=True)

EXPORT = Export(
    name="commitments",
    title=gettext_noop("Commitments"),  # English in the schemas; the data page translates it
    description="The commitments the list shows for the same filters (all pages), one row each. "
    f"{LANG_NOTE}",
    csv_url_name="commitments:export_csv",
    json_url_name="commitments:export_json",
    schema_url_name="commitments:export_schema",
    columns=(*COLUMN_LIST, PER_COUNTRY_COLUMN),
)
# The names of a JSON row's columns and the CSV's fixed columns (the CSV adds ``status_<code>``).
COLUMNS = [c.name for c in COLUMN_LIST if c.in_csv and c.language is None]

# Themes, countries and actors, each as "slug<PAIR>name" (actors "name<PAIR>slug": they sort by name), carried
# by the same query: annotation -> (link table, its commitment field, value). The join to the entry's table is
# the one its slug already needed.
PAIR = "\x1e"  # ASCII record separator: never typed into a name or slug, and sorts before any of their characters


def _pair(first: str, second: str) -> Concat:
    return Concat(F(first), Value(PAIR), F(second), output_field=CharField())


LISTS = {
    "theme_pairs": (Commitment.themes.through, "commitment", _pair("theme__slug", "theme__name")),
    "country_pairs": (Commitment.countries.through, "commitment", _pair("country__slug", "country__name")),
    "actor_pairs": (Commitment.actors.through, "commitment", _pair("actor__name", "actor__slug")),
}
# Dates read as ISO text ("YYYY-MM-DD" on both databases): no conversion to ``date`` and back for every cell.
DATES = {"t_status_date": "eff_status_date", "t_due": "due_date", "t_made": "date_made", "t_expected": "expected_end",
         "t_source_date": "source__date"}
VALUES = [
    "pk", "slug", "title", "eff_status", "t_status_date", "t_due", "eff_overdue", "t_made", "statement_type",
    *LISTS, "source__slug", "source__url", "due_precision", "date_made_precision", "t_expected",
    "expected_end_precision", "eff_status_precision", "quote", "location", "source__title", "source__issuer",
    "t_source_date", "source__date_precision", "assessment_scope", "eff_stale", "eff_update", "due_text",
]


def _iso(day) -> str | None:
    return day.isoformat() if day else None


def _pairs(joined: str | None) -> tuple[list[str], list[str]]:
    """Two parallel lists (the firsts, the seconds) from an aggregated list of pairs, sorted by the first."""
    pairs = [item.split(PAIR, 1) for item in split(joined)]
    return [a for a, _ in pairs], [b for _, b in pairs]


class InCountries:
    """A row's status in each of its countries, by slug: a ``selectors.Cell`` each (for the JSON object, made
    only when asked), or the status alone (``statuses_only``: all the CSV needs)."""

    __slots__ = ("cells", "countries", "page")

    def __init__(self, *, countries: list[str], cells: dict, page: str):
        self.countries, self.cells, self.page = countries, cells, page

    def status(self, slug: str) -> str:
        """The status in the country ``slug`` ("" where not filed under it)."""
        cell = self.cells.get(slug)
        if cell is None:
            return ""
        return cell if isinstance(cell, str) else cell.status

    def as_json(self) -> dict:
        out = {}
        for slug in self.countries:
            cell = self.cells.get(slug, _UNKNOWN)
            out[slug] = {"status": cell.status, "as_of": _iso(cell.as_of),
                         "update_url": f"{self.page}{cell.anchor}" if cell.update_id else None}
        return out


_UNKNOWN = selectors.Cell(NOT_ASSESSED)  # a link made between the row's query and its cells' (not assessed yet)


def _status_update(day: date | None):
    """SQL, per row: the id of the published overall update its overall status comes from (null: none)."""
    overall = StatusUpdate.objects.published().overall().filter(commitment=OuterRef("pk"))
    if day is None:
        # Its status and date are the stored ones; the update that set them is the latest overall one, dated
        # that day (``refresh_current_status``): the seek is on (commitment, as_of), a row or two.
        return Subquery(overall.filter(as_of=OuterRef("current_status_date")).order_by(*rules.EFFECTIVE_ORDER)
                        .values("id")[:1])
    return rules.status_on_subquery(StatusUpdate.objects.published().overall(), day, field="id")


def with_assessment(queryset: QuerySet, *, day: date | None, in_country: bool = False) -> QuerySet:
    """``eff_stale`` (the stale flag on ``day``) and ``eff_update`` (the id of the overall update the status comes
    from; None when one country is chosen, whose cell names its own): what the assessment columns read, here
    and in the API."""
    stale = ExpressionWrapper(queryset.stale_q(on=day), output_field=BooleanField())
    update = Value(None, output_field=CharField()) if in_country else _status_update(day)
    return queryset.annotate(eff_stale=stale, eff_update=update)


TEXTS_IN = ("title", "quote_translation", "quote_translation_source", "quote_translation_url", "location",
            "source__title")  # a row's own texts in another language (``<field>_<code>``), read with it


class _OtherLanguage:
    """What ``lang=<code>`` adds to each row: its own texts (read by the row's query), its entries' names and
    its status's label (read once), and its assessment's summary (one query per chunk)."""

    def __init__(self, code: str):
        self.code = code
        self.values = [f"{field}_{code}" for field in TEXTS_IN]
        self.names = {model: dict(model.objects.values_list("slug", f"name_{code}")) for model in (Theme, Country,
                                                                                                   Actor)}
        with translation.override(code):
            self.labels = {status: str(label) for status, label in Status.choices}

    def summaries(self, ids) -> dict[int, str]:
        rows = StatusUpdate.objects.filter(pk__in={int(pk) for pk in ids}).order_by()
        return dict(rows.values_list("pk", f"summary_{self.code}")) if ids else {}

    def cells(self, texts, *, themes, countries, actors, status, summary) -> tuple:
        title, quote, source, url, location, source_title = texts
        names = self.names
        return (title, quote, source, url if source == languages.TranslationSource.OFFICIAL else "", location,
                source_title, [names[Theme].get(s, "") for s in themes], [names[Country].get(s, "") for s in countries],
                [names[Actor].get(s, "") for s in actors], self.labels[status], summary)


def records(*, request: HttpRequest, queryset: QuerySet, day: date | None, in_country: str | None = None,
            chunk: int = CHUNK, statuses_only: bool = False, others: tuple[str, ...] = ()) -> Iterator[tuple]:
    """Each row's values in the order of ``EXPORT.row_columns_in(others)`` (its ``country_status`` an
    ``InCountries``, last).

    ``in_country``: the slug of the one country chosen, whose status the row's status is (its assessment
    is then the one of that country's cell). ``statuses_only``: the status in each country, without its
    date and update (``InCountries.status`` only: the CSV). ``others``: the languages whose columns to add.
    """
    with translation.override(languages.DEFAULT):  # the English columns stay English under /ru/ too
        labels = {value: str(label) for value, label in Status.choices}  # plain text: CSV and JSON
    page_prefix = request.build_absolute_uri(reverse("commitments:list"))
    # Every public row: the link tables are aggregated whole, which is cheapest then.
    every_row = queryset.query.where == Commitment.objects.public().query.where
    dates = {name: Cast(F(field), CharField()) for name, field in DATES.items()}
    queryset = with_assessment(queryset, day=day, in_country=bool(in_country)).annotate(**dates)
    queryset = with_lists(queryset=queryset, lists=LISTS, every_row=every_row)
    added = [_OtherLanguage(code) for code in others]
    fixed = len(VALUES)
    rows = queryset.values_list(*VALUES, *(name for other in added for name in other.values)).iterator(
        chunk_size=chunk)
    for batch in batches(rows, chunk):
        cells: dict[int, dict] = {}
        pks = [row[0] for row in batch]
        if statuses_only and not in_country:
            found = selectors.link_statuses(commitments=pks, day=day)
        else:
            found = selectors.matrix_cells(commitments=pks, countries=None, day=day, key="country__slug")
        for (pk, slug), cell in found.items():
            cells.setdefault(pk, {})[slug] = cell
        if in_country:
            updates = {row[0]: cells.get(row[0], {}).get(in_country, _UNKNOWN).update_id for row in batch}
        else:
            updates = {row[0]: row[fixed - 2] for row in batch}  # eff_update
        assessed = dict(assessments({pk for pk in updates.values() if pk}))
        summaries = [other.summaries({pk for pk in updates.values() if pk}) for other in added]
        for row in batch:
            (pk, slug, title, status, as_of, due, overdue, made, kind, themes, countries, actors, source, url,
             due_precision, made_precision, expected, expected_precision, as_of_precision, quote, location,
             source_title, issuer, source_date, source_precision, scope, is_stale, _, due_text) = row[:fixed]
            page = f"{page_prefix}{slug}/"
            theme_slugs, theme_names = _pairs(themes)
            country_slugs, country_names = _pairs(countries)
            actor_names, actor_slugs = _pairs(actors)
            update_id = updates[pk]
            confidence, summary = assessed.get(int(update_id), (None, None)) if update_id else (None, None)
            in_others = []
            start = fixed
            for other, found in zip(added, summaries, strict=True):
                texts = row[start:start + len(other.values)]
                start += len(other.values)
                in_others += other.cells(texts, themes=theme_slugs, countries=country_slugs, actors=actor_slugs,
                                         status=status, summary=found.get(int(update_id), "")
                                         if update_id and confidence else None)
            yield (
                slug, title, status, labels[status], as_of, due, bool(overdue), made, kind,
                theme_slugs, country_slugs, actor_names, source, url, page,
                due_precision if due else None,
                made_precision if made else None,
                expected,
                expected_precision if expected else None,
                as_of_precision if as_of else None,
                quote, location, source_title, issuer, source_date,
                source_precision if source_date else None,
                theme_names, country_names, actor_slugs, scope, confidence, summary,
                f"{page}#update-{update_id}" if update_id and confidence else None,
                bool(is_stale), due_text, *in_others,
                InCountries(countries=country_slugs, cells=cells.get(pk, {}), page=page),
            )


def assessments(ids: set[int]) -> Iterator[tuple[int, tuple[str, str]]]:
    """The confidence and summary of each of the published updates ``ids``: one query (none without ids)."""
    if not ids:
        return iter(())
    rows = StatusUpdate.objects.published().filter(pk__in={int(pk) for pk in ids}).order_by()
    return ((pk, (confidence, summary)) for pk, confidence, summary in rows.values_list("pk", "confidence", "summary"))
