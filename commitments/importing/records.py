"""Read import files into checked records, collecting every problem with its file, line and entry.

Shapes, types, dates (a day, a month or a year: ``dates.parse``), vocabularies, duplicate ids,
references, a deadline's wording against the stored source texts (``stored_texts``) and the order
of each commitment's status history are checked here, without the database (the slugs the
database already holds are passed in). Model validation, the publishing rules and writing are
``importer``'s job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import slugify

from .. import dates
from ..dates import END, START, Precision
from ..models import Commitment, Evidence, Source, StatusUpdate
from ..public_log import clean_reason
from ..status import ASSESSABLE
from . import stored_texts
from .yaml_lines import BadDate, LineDict, YamlLoadError, load

NO_EVIDENCE = "no evidence found"
INDICATES = [*Evidence.Indicates.values, NO_EVIDENCE]
STATUSES = [slug for slug, _ in ASSESSABLE]
# Partner countries outside the country list may be given by ISO code or by name.
OTHER_COUNTRY_NAMES = {"af": "Afghanistan"}

TOP_KEYS = {"meta", "sources", "commitments", "assessments"}
META_KEYS = {"compiled_on", "schema_version", "countries", "themes", "source_kinds", "statement_types",
             "evidence_indicates"}
SOURCE_KEYS = {"id", "title", "issuer", "date", "date_note", "kind", "seed_file", "url", "notes", "coverage",
               "url_note", "also_read_at", "passages"}
COMMITMENT_KEYS = {"id", "source", "attributed_to", "title", "quote", "quote_context", "location", "read_at",
                   "statement_type", "scope_note", "date_made", "date_note", "actors", "actors_basis", "actors_note",
                   "countries", "other_countries", "countries_note", "themes", "target_date", "target_text",
                   "expected_end", "expected_end_note", "related", "status_evidence"}
EVIDENCE_KEYS = {"id", "date", "indicates", "fact", "quote", "title", "publisher", "url", "read_at", "note",
                 "country"}
# ``scope_note`` documents the scope decision for editors: read, never stored.
ASSESSMENT_KEYS = {"commitment", "scope", "scope_note", "updates", "country_updates"}
SCOPES = list(Commitment.Scope.values)
UPDATE_KEYS = {"status", "as_of", "published_on", "confidence", "reason", "summary", "evidence", "contradicting"}
SUPPORTS, CONTRADICTS = Evidence.Stance.SUPPORTS, Evidence.Stance.CONTRADICTS


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    entry: str | None
    message: str

    def short(self) -> str:
        """The problem without the file name: ``line 12: commitment 'x': unknown theme 'y'``."""
        head = f"line {self.line}" if self.line else ""
        return ": ".join(part for part in (head, self.entry, self.message) if part)

    def __str__(self) -> str:
        return f"{self.file} {self.short()}" if self.line else f"{self.file}: {self.short()}"


@dataclass(frozen=True)
class Where:
    file: str
    line: int


@dataclass
class EvidenceRecord:
    where: Where
    date: date | None
    date_precision: str
    indicates: str
    fact: str
    title: str
    publisher: str
    url: str
    read_at: str
    quote: str
    note: str
    # The one country the item is about (ISO code), if any: only such items back that country's updates.
    country: str = ""
    # An optional name an update may cite it by, where its date and url name several items. Not stored.
    ident: str = ""

    @property
    def key(self) -> tuple:
        return (self.url, self.title, self.date)

    def values(self) -> dict:
        return {"title": self.title, "publisher": self.publisher, "date": self.date,
                "date_precision": self.date_precision, "url": self.url, "indicates": self.indicates,
                "description": self.fact, "quote": self.quote, "note": self.note}

    @property
    def written(self) -> str:
        """The date as the file writes it (``2019-09-11``, ``2019-09``, ``2019``), or the url."""
        return dates.iso(self.date, self.date_precision) if self.date else self.url or self.read_at


@dataclass
class SourceRecord:
    where: Where
    slug: str
    values: dict
    seed_file: str
    # The stored texts it was read from: its seed file's text (None if not found) and its passages.
    seed_text: str | None = None
    passages: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class CommitmentRecord:
    where: Where
    slug: str
    values: dict
    source: str
    attributed_to: str
    actors: list[str]
    countries: list[str]
    themes: list[str]
    related: list[str]
    lines: dict[str, int]
    read_at: list[str] = field(default_factory=list)
    evidence: list[EvidenceRecord] = field(default_factory=list)


@dataclass
class UpdateRecord:
    """One entry of a commitment's ``updates``: a status update, published on ``published_on``."""

    where: Where
    label: str
    values: dict
    published_on: date | None
    reason: str
    refs: list[tuple[int, object, str]]  # (line, ref as written, stance)
    evidence: list[tuple[EvidenceRecord, str]] = field(default_factory=list)  # (item, stance), resolved
    country: str = ""  # a country update's country (ISO code); "" for an overall update


@dataclass
class AssessmentRecord:
    """A commitment's status history: its overall updates, oldest first, and (per-country scope) each
    country's own updates, oldest first."""

    where: Where
    commitment: str
    line: int
    scope: str = Commitment.Scope.REGIONAL
    updates: list[UpdateRecord] = field(default_factory=list)
    country_updates: dict[str, list[UpdateRecord]] = field(default_factory=dict)
    country_lines: dict[str, int] = field(default_factory=dict)

    def all_updates(self) -> list[UpdateRecord]:
        """The overall updates, then each country's, in the file's order (the order they are published in)."""
        return [*self.updates, *(u for updates in self.country_updates.values() for u in updates)]


@dataclass
class Existing:
    """Slugs already in the database, which the files may refer to without defining."""

    sources: set[str] = field(default_factory=set)
    themes: set[str] = field(default_factory=set)
    countries: set[str] = field(default_factory=set)
    commitments: set[str] = field(default_factory=set)


@dataclass
class Dataset:
    countries: dict[str, str] = field(default_factory=dict)
    themes: dict[str, str] = field(default_factory=dict)
    actors: dict[str, str] = field(default_factory=dict)
    sources: list[SourceRecord] = field(default_factory=list)
    commitments: list[CommitmentRecord] = field(default_factory=list)
    assessments: list[AssessmentRecord] = field(default_factory=list)
    compiled_on: date | None = None
    notes: list[str] = field(default_factory=list)
    # Where each country, theme and actor was first named: ("country", slug) -> Where.
    where: dict[tuple[str, str], Where] = field(default_factory=dict)


class _Entry:
    """One YAML mapping being read: typed getters that record a problem instead of raising."""

    def __init__(self, *, file: str, data: LineDict, label: str, problems: list[Problem]) -> None:
        self.file, self.data, self.label, self.problems = file, data, label, problems

    @property
    def where(self) -> Where:
        return Where(self.file, self.data.line)

    def problem(self, message: str, key: str | None = None) -> None:
        line = self.data.line_of(key) if key else self.data.line
        self.problems.append(Problem(self.file, line, self.label, message))

    def only(self, allowed: set[str]) -> None:
        for key in self.data:
            if key not in allowed:
                self.problem(f"unknown field '{key}'", key)

    def text(self, key: str, *, required: bool = False) -> str:
        value = self.data.get(key)
        if value is None or value == "":
            if required:
                self.problem(f"missing required field '{key}'", key)
            return ""
        if not isinstance(value, str):
            self.problem(f"'{key}' must be text, not {_kind(value)}", key)
            return ""
        return str(value)

    def day(self, key: str, *, key_required: bool = False) -> date | None:
        if key not in self.data:
            if key_required:
                self.problem(f"missing required field '{key}' (write '{key}: null' if it is not known)")
            return None
        value = self.data[key]
        if value is None:
            return None
        if isinstance(value, datetime):
            self.problem(f"'{key}' must be a date without a time (YYYY-MM-DD)", key)
            return None
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.problem(f"'{key}' is not a valid date: {value!r} (expected YYYY-MM-DD)", key)
        return None

    def texts(self, key: str) -> list[str]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.problem(f"'{key}' must be a list of names or ids, e.g. [a, b]", key)
            return []
        return [str(v) for v in value]

    def dated(self, key: str, *, bound: str = START, key_required: bool = False) -> tuple[date | None, str]:
        """A date at its precision: ``2022-07-15``, ``"2022-07"`` (a month) or ``2022`` (a year).

        Returns ``(stored day, precision)``; a month or a year is stored as its first day, or its
        last for a deadline (``bound=END``), as ``dates`` says.
        """
        if key not in self.data:
            if key_required:
                self.problem(f"missing required field '{key}' (write '{key}: null' if it is not known)")
            return None, Precision.DAY
        value = self.data[key]
        if value is None:
            return None, Precision.DAY
        if isinstance(value, datetime):
            self.problem(f"'{key}' must be a date without a time (YYYY-MM-DD, YYYY-MM or YYYY)", key)
            return None, Precision.DAY
        if isinstance(value, bool) or not isinstance(value, date | str | int):
            self.problem(f"'{key}' is not a valid date: {value!r} (write 2022-07-15, \"2022-07\" or 2022)", key)
            return None, Precision.DAY
        try:
            return dates.parse(value, bound)
        except ValueError as exc:
            self.problem(f"'{key}' is not a valid date: {exc}", key)
            return None, Precision.DAY

    def choice(self, key: str, choices: list[str], *, required: bool = False, default: str = "") -> str:
        value = self.text(key, required=required)
        if value and value not in choices:
            self.problem(f"unknown {key} '{value}' (one of: {', '.join(choices)})", key)
            return ""
        return value or default

    def mappings(self, key: str) -> list[LineDict]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, LineDict) for v in value):
            self.problem(f"'{key}' must be a list of entries", key)
            return []
        return value


def _kind(value: object) -> str:
    return {bool: "true/false", int: "a number", float: "a number", list: "a list", LineDict: "a mapping",
            date: "a date"}.get(type(value), type(value).__name__)


class _Reader:
    def __init__(self, *, existing: Existing) -> None:
        self.existing = existing
        self.data = Dataset()
        self.problems: list[Problem] = []
        self.first_seen: dict[tuple[str, str], Where] = {}
        self.actor_names: dict[str, tuple[str, str, int]] = {}
        self.folder = Path(".")

    # --- one file -------------------------------------------------------------------------

    def read_file(self, *, path: Path, name: str) -> None:
        self.folder = path.parent  # where the source texts the file names are kept
        try:
            doc, yaml_problems = load(path=path)
        except YamlLoadError as exc:
            self.problems.append(Problem(name, exc.problem.line, None, exc.problem.message))
            return
        self.problems += [Problem(name, p.line, None, p.message) for p in yaml_problems]
        if doc is None:
            self.problems.append(Problem(name, None, None, "the file is empty"))
            return
        if not isinstance(doc, LineDict):
            self.problems.append(Problem(name, 1, None, "the file must be a mapping with 'sources', "
                                                        "'commitments' and/or 'assessments'"))
            return
        top = _Entry(file=name, data=doc, label="", problems=self.problems)
        top.only(TOP_KEYS)
        if isinstance(doc.get("meta"), LineDict):
            self.read_meta(_Entry(file=name, data=doc["meta"], label="meta", problems=self.problems))
        elif doc.get("meta") is not None:
            top.problem("'meta' must be a mapping", "meta")
        for n, item in enumerate(top.mappings("sources"), 1):
            self.read_source(_Entry(file=name, data=item, label=_label("source", item.get("id"), n),
                                    problems=self.problems))
        for n, item in enumerate(top.mappings("commitments"), 1):
            self.read_commitment(_Entry(file=name, data=item, label=_label("commitment", item.get("id"), n),
                                        problems=self.problems))
        for n, item in enumerate(top.mappings("assessments"), 1):
            label = _label("assessment for", item.get("commitment"), n)
            self.read_assessment(_Entry(file=name, data=item, label=label, problems=self.problems))

    def read_meta(self, entry: _Entry) -> None:
        entry.only(META_KEYS)
        compiled = entry.day("compiled_on")
        self.data.compiled_on = compiled or self.data.compiled_on
        for key, target in (("countries", self.data.countries), ("themes", self.data.themes)):
            value = entry.data.get(key)
            if value is None:
                continue
            if not isinstance(value, LineDict) or not all(isinstance(v, str) for v in value.values()):
                entry.problem(f"'{key}' must map each slug to its name", key)
                continue
            for slug, name in value.items():
                kind = "country" if key == "countries" else "theme"
                if target.get(str(slug), name) != name:
                    entry.problem(f"{kind} '{slug}' is named differently in another file", key)
                target[str(slug)] = name
                self.data.where.setdefault((kind, str(slug)), Where(entry.file, value.line_of(slug)))
        kinds = entry.data.get("source_kinds") or []
        for kind in kinds if isinstance(kinds, list) else []:
            if kind not in Source.Kind.values:
                entry.problem(f"source kind '{kind}' is not one the tracker knows", "source_kinds")

    def _unique(self, kind: str, entry: _Entry, ident: str) -> None:
        seen = self.first_seen.setdefault((kind, ident), entry.where)
        if seen != entry.where:
            entry.problem(f"duplicate id (also at {seen.file} line {seen.line})", "id")

    def read_source(self, entry: _Entry) -> None:
        entry.only(SOURCE_KEYS)
        slug = entry.text("id", required=True)
        day, precision = entry.dated("date", key_required=True)
        values = {
            "title": entry.text("title", required=True),
            "issuer": entry.text("issuer", required=True),
            "date": day,
            "date_precision": precision,
            "date_note": entry.text("date_note"),
            "kind": entry.choice("kind", Source.Kind.values, required=True),
            "url": entry.text("url"),
        }
        seed_file = entry.text("seed_file")
        also = entry.texts("also_read_at")
        passages = []
        for passage in entry.mappings("passages"):
            part = _Entry(file=entry.file, data=passage, label=entry.label, problems=self.problems)
            part.only({"url", "text"})
            passages.append((part.text("url", required=True), part.text("text", required=True)))
        stored = stored_texts.passage_path(self.folder, slug) if slug else None
        if stored:
            # The stored copy wins over the YAML's (tests/test_fixtures.py keeps the two identical).
            try:
                passages = stored_texts.parse_passages(stored.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                entry.problem(f"passage file {stored}: {exc}")
        seed = stored_texts.seed_path(self.folder, seed_file) if seed_file else None
        try:
            seed_text = seed.read_text(encoding="utf-8") if seed else None
        except (OSError, UnicodeDecodeError) as exc:
            entry.problem(f"seed file {seed}: cannot read it ({exc})", "seed_file")
            seed_text = None
        notes = [entry.text("notes")]
        notes.append(f"Seed text: {seed_file}." if seed_file else "")
        notes.append(f"Coverage: {entry.text('coverage')}" if entry.text("coverage") else "")
        notes.append(f"About the address: {entry.text('url_note')}" if entry.text("url_note") else "")
        notes.append(f"Also read at: {', '.join(also)}" if also else "")
        values["notes"] = "\n\n".join(n for n in notes if n)
        if slug:
            self._unique("source", entry, slug)
            self.data.sources.append(SourceRecord(entry.where, slug, values, seed_file, seed_text, passages))

    def read_commitment(self, entry: _Entry) -> None:
        entry.only(COMMITMENT_KEYS)
        slug = entry.text("id", required=True)
        # Where the quote was read (tests/test_fixtures.py checks the quote there); a deadline's words
        # are checked there too (check_references). Not stored.
        read_at = entry.texts("read_at")
        made, made_precision = entry.dated("date_made", key_required=True)
        due, due_precision = entry.dated("target_date", bound=END)
        due_text = entry.text("target_text")
        if due and not due_text:
            entry.problem("'target_date' needs 'target_text', the source's own words for the deadline. A deadline "
                          "the source does not state (e.g. its programme's end date) goes in 'expected_end', "
                          "with 'expected_end_note' saying where it comes from", "target_date")
        expected, expected_precision = entry.dated("expected_end", bound=END)
        expected_note = entry.text("expected_end_note")
        if expected_note and not expected:
            entry.problem("'expected_end_note' is given without an 'expected_end'", "expected_end_note")
        values = {
            "title": entry.text("title", required=True),
            "quote": entry.text("quote", required=True),
            "quote_context": entry.text("quote_context"),
            "location": entry.text("location"),
            "statement_type": entry.choice("statement_type", Commitment.StatementType.values, required=True),
            "scope_note": entry.text("scope_note"),
            "date_made": made,
            "date_made_precision": made_precision,
            "date_note": entry.text("date_note"),
            "due_date": due,
            "due_precision": due_precision,
            "due_text": due_text,
            # An inferred end (e.g. the programme's): shown as such, never makes the commitment overdue.
            "expected_end": expected,
            "expected_end_precision": expected_precision,
            "expected_end_note": expected_note,
            "actors_basis": entry.choice("actors_basis", Commitment.ActorsBasis.values,
                                         default=Commitment.ActorsBasis.STATED),
            "actors_note": entry.text("actors_note"),
            "other_countries": ", ".join(OTHER_COUNTRY_NAMES.get(c, c) for c in entry.texts("other_countries")),
            "countries_note": entry.text("countries_note"),
        }
        actors = entry.texts("actors")
        for name in actors:
            self._actor(entry, name)
        record = CommitmentRecord(
            where=entry.where, slug=slug, values=values, source=entry.text("source", required=True),
            attributed_to=entry.text("attributed_to"), actors=actors, countries=entry.texts("countries"),
            themes=entry.texts("themes"), related=entry.texts("related"), lines=entry.data.key_lines, read_at=read_at,
        )
        research = []
        for n, item in enumerate(entry.mappings("status_evidence"), 1):
            part = _Entry(file=entry.file, data=item, label=f"{entry.label}: status_evidence #{n}",
                          problems=self.problems)
            evidence = self.read_evidence(part)
            if evidence and evidence.indicates == NO_EVIDENCE:
                research.append(evidence.fact)
            elif evidence:
                if any(e.key == evidence.key for e in record.evidence):
                    part.problem("the same evidence (url, title and date) is listed twice")
                if evidence.ident and any(e.ident == evidence.ident for e in record.evidence):
                    part.problem(f"id '{evidence.ident}' is given to two evidence items of this commitment", "id")
                if evidence.country and evidence.country not in record.countries:
                    part.problem(f"country '{evidence.country}' is not one of the commitment's countries "
                                 f"({', '.join(record.countries) or 'none'})", "country")
                record.evidence.append(evidence)
        values["research_note"] = "\n\n".join(research)
        if slug:
            self._unique("commitment", entry, slug)
            self.data.commitments.append(record)

    def _actor(self, entry: _Entry, name: str) -> None:
        slug = slugify(name)
        if not slug:
            entry.problem(f"actor '{name}' has no letters or digits to make a slug from", "actors")
            return
        first = self.actor_names.setdefault(slug, (name, entry.file, entry.data.line_of("actors")))
        if first[0] != name:
            entry.problem(f"actor '{name}' and actor '{first[0]}' ({first[1]} line {first[2]}) "
                          f"would share the slug '{slug}'", "actors")
        self.data.actors[slug] = first[0]
        self.data.where.setdefault(("actor", slug), Where(entry.file, entry.data.line_of("actors")))

    def read_evidence(self, entry: _Entry) -> EvidenceRecord | None:
        entry.only(EVIDENCE_KEYS)
        indicates = entry.choice("indicates", INDICATES, required=True)
        day, precision = entry.dated("date")
        record = EvidenceRecord(
            where=entry.where, date=day, date_precision=precision, indicates=indicates,
            fact=entry.text("fact", required=True),
            title=entry.text("title"), publisher=entry.text("publisher"), url=entry.text("url"),
            read_at=entry.text("read_at"), quote=entry.text("quote"), note=entry.text("note"),
            country=entry.text("country"), ident=entry.text("id"),
        )
        if record.ident and (record.ident.startswith(("http://", "https://", "seed:")) or _looks_dated(record.ident)):
            entry.problem(f"id '{record.ident}' must be a name, not a date or an address (updates cite those as "
                          "they are)", "id")
        if indicates == NO_EVIDENCE:
            if record.url or record.read_at or record.country or record.ident:
                entry.problem("a 'no evidence found' item has no url, read_at, country or id (it is a research note)")
            return record
        if not indicates:
            return None
        if not record.url and not record.read_at:
            entry.problem("evidence needs a 'url' or a seed 'read_at'")
        if record.read_at and not record.read_at.startswith("seed:"):
            entry.problem(f"read_at '{record.read_at}' must name a seed file as 'seed:<file>'", "read_at")
        for key in ("title", "publisher"):
            entry.text(key, required=True)
        return record

    def read_assessment(self, entry: _Entry) -> None:
        if "updates" not in entry.data and "status" in entry.data:
            entry.problem("this is the old assessment format: give the commitment's status history as 'updates' "
                          "(oldest first), each with status, as_of, published_on, confidence, reason, summary "
                          "and evidence (see fixtures/README.md)")
            return
        entry.only(ASSESSMENT_KEYS)
        entry.text("scope_note")  # text if given; documentation only
        scope = entry.choice("scope", SCOPES, default=Commitment.Scope.REGIONAL)
        record = AssessmentRecord(entry.where, entry.text("commitment", required=True),
                                  entry.data.line_of("commitment"), scope=scope)
        per_country = scope == Commitment.Scope.PER_COUNTRY
        items = entry.mappings("updates")
        if not items and not (per_country and isinstance(entry.data.get("updates", []), list)):
            entry.problem("'updates' must list at least one status update (oldest first); only a commitment with "
                          "'scope: per_country' may give none ('updates: []': its overall status stays unassessed)",
                          "updates")
        for n, item in enumerate(items, 1):
            part = _Entry(file=entry.file, data=item, label=f"{entry.label}: update #{n}", problems=self.problems)
            record.updates.append(self.read_update(part))
        by_country = entry.data.get("country_updates")
        if by_country is not None and not per_country:
            entry.problem("'country_updates' are given for a regional commitment: a country update describes one "
                          "country of a commitment assessed per country; add 'scope: per_country' if that is what "
                          "was decided", "country_updates")
        elif by_country is not None and not isinstance(by_country, LineDict):
            entry.problem("'country_updates' must map each country's ISO code to its list of updates, "
                          "e.g. 'kz: [...]'", "country_updates")
        elif by_country is not None:
            for code in by_country:
                line = by_country.line_of(code)
                if not isinstance(code, str) or not code:
                    message = f"country {code!r} in 'country_updates' must be an ISO code such as kz"
                    self.problems.append(Problem(entry.file, line, entry.label, message))
                    continue
                record.country_lines[code] = line
                holder = _Entry(file=entry.file, data=by_country, label=entry.label, problems=self.problems)
                items = holder.mappings(code)
                if not items:
                    holder.problem(f"'{code}' must list at least one status update for that country (oldest first)",
                                   code)
                updates = record.country_updates[code] = []
                for n, item in enumerate(items, 1):
                    part = _Entry(file=entry.file, data=item, label=f"{entry.label}: {code} update #{n}",
                                  problems=self.problems)
                    updates.append(self.read_update(part, country=code))
        self.data.assessments.append(record)

    def read_update(self, entry: _Entry, *, country: str = "") -> UpdateRecord:
        entry.only(UPDATE_KEYS)
        as_of, precision = entry.dated("as_of")
        if as_of is None and entry.data.get("as_of") is None:
            entry.problem("missing required field 'as_of'", "as_of")
        published_on = entry.day("published_on")
        if published_on is None and entry.data.get("published_on") is None:
            entry.problem("missing required field 'published_on' (the day the assessment was published)",
                          "published_on")
        reason = entry.text("reason", required=True)
        if reason:
            try:
                reason = clean_reason(reason)
            except ValidationError as exc:
                entry.problem(f"reason: {' '.join(exc.messages)}", "reason")
        values = {
            "status": entry.choice("status", STATUSES, required=True),
            "as_of": as_of,
            "as_of_precision": precision,
            "confidence": entry.choice("confidence", StatusUpdate.Confidence.values, required=True),
            "summary": entry.text("summary", required=True),
            "publish_reason": reason,
        }
        refs = []
        for key, stance, required in (("evidence", SUPPORTS, True), ("contradicting", CONTRADICTS, False)):
            value = entry.data.get(key)
            if value is None and not required:
                continue
            if not isinstance(value, list) or (required and not value):
                entry.problem(f"'{key}' must list evidence items of the commitment (each by its date as written, "
                              f"its url or its id)" + (", at least one" if required else ""), key)
                continue
            refs += [(entry.data.line_of(key), ref, stance) for ref in value]
        return UpdateRecord(entry.where, entry.label, values, published_on, reason, refs, country=country)

    # --- across files -----------------------------------------------------------------------

    def check_references(self) -> None:
        seeds = {s.seed_file: s for s in self.data.sources if s.seed_file}
        sources = {s.slug for s in self.data.sources} | self.existing.sources
        themes = set(self.data.themes) | self.existing.themes
        countries = set(self.data.countries) | self.existing.countries
        commitments = {c.slug: c for c in self.data.commitments}
        for c in self.data.commitments:
            here = _Placed(self, c.where, f"commitment '{c.slug}'")
            for key, slug in (("source", c.source), ("attributed_to", c.attributed_to)):
                if slug and slug not in sources:
                    here.problem(f"unknown source '{slug}' in '{key}'", c.lines.get(key))
            for slug in c.themes:
                if slug not in themes:
                    here.problem(f"unknown theme '{slug}'", c.lines.get("themes"))
            for slug in c.countries:
                if slug not in countries:
                    here.problem(f"unknown country '{slug}'", c.lines.get("countries"))
            for slug in c.related:
                if slug == c.slug:
                    here.problem("a commitment cannot be related to itself", c.lines.get("related"))
                elif slug not in commitments and slug not in self.existing.commitments:
                    here.problem(f"unknown related commitment '{slug}'", c.lines.get("related"))
            for e in c.evidence:
                self._resolve_seed(e, seeds, here)
            if c.values["due_text"]:
                self._check_due_text(c, here)
        self._check_assessments(commitments)

    def _check_due_text(self, c: CommitmentRecord, here: _Placed) -> None:
        """A deadline's words must be the source's own: found verbatim where the commitment was read."""
        source = next((s for s in self.data.sources if s.slug == c.source), None)
        texts = []
        for place in c.read_at:
            if source is None:
                break
            if place.startswith("seed:"):
                if place == f"seed:{source.seed_file}" and source.seed_text is not None:
                    texts.append(source.seed_text)
            else:
                texts += [text for url, text in source.passages if url == place]
        words, line = c.values["due_text"], c.lines.get("target_text")
        if not texts:
            here.problem(f"'target_text' {words!r} cannot be checked: no stored text of its source is found at its "
                         "'read_at' (a seed file beside the data file, or the source's passages)", line)
        elif not stored_texts.verbatim(words, texts):
            here.problem(f"the deadline {words!r} is not the source's own words: 'target_text' must occur verbatim "
                         f"in the text the commitment was read from ({', '.join(c.read_at)}). Quote the source's "
                         "wording, or give an inferred end as 'expected_end' with 'expected_end_note'", line)

    def _resolve_seed(self, evidence: EvidenceRecord, seeds: dict, here: _Placed) -> None:
        if not evidence.read_at.startswith("seed:") or evidence.url:
            return
        seed = seeds.get(evidence.read_at.removeprefix("seed:"))
        if seed is None:
            here.problem(f"evidence read_at '{evidence.read_at}' names no source's seed_file", evidence.where.line)
        elif not seed.values["url"]:
            here.problem(f"evidence read_at '{evidence.read_at}': source '{seed.slug}' has no url to cite",
                         evidence.where.line)
        else:
            evidence.url = seed.values["url"]

    def _check_assessments(self, commitments: dict[str, CommitmentRecord]) -> None:
        first: dict[str, AssessmentRecord] = {}
        for a in self.data.assessments:
            here = _Placed(self, a.where, f"assessment for '{a.commitment}'")
            c = commitments.get(a.commitment)
            if a.commitment and c is None:
                here.problem(f"unknown commitment '{a.commitment}' (not in the files being imported)", a.line)
                continue
            if c is None:
                continue
            earlier = first.setdefault(a.commitment, a)
            if earlier is not a:
                here.problem(f"the commitment is assessed twice (also at {earlier.where.file} line "
                             f"{earlier.where.line}): give all its updates in one 'updates' list", a.line)
            for code, line in a.country_lines.items():
                if code not in c.countries:
                    here.problem(f"country '{code}' is not one of the commitment's countries "
                                 f"({', '.join(c.countries) or 'none'}): it has no status there to assess", line)
            for updates in [a.updates, *a.country_updates.values()]:
                previous = None
                for u in updates:
                    self._check_update(u, c, previous)
                    previous = u if u.values["as_of"] else previous

    def _check_update(self, u: UpdateRecord, c: CommitmentRecord, previous: UpdateRecord | None) -> None:
        """Resolve an update's evidence refs and check its dates against the commitment, its evidence and
        the update before it."""
        here = _Placed(self, u.where, u.label)
        as_of, precision = u.values["as_of"], u.values["as_of_precision"]
        shown = dates.iso(as_of, precision)
        for line, ref, stance in u.refs:
            item = _find_evidence(c, ref)
            if isinstance(item, str):
                here.problem(item, line)
            elif any(item is e for e, _ in u.evidence):
                here.problem(f"evidence {_ref_text(ref)} is named twice in this update", line)
            elif u.country and item.country != u.country:
                about = f"about '{item.country}'" if item.country else "not tagged with one country"
                here.problem(f"evidence {_ref_text(ref)} is {about}: a country update for '{u.country}' rests only "
                             f"on items marked 'country: {u.country}' in the commitment's status_evidence (an item "
                             "about several countries or the region backs overall updates only)", line)
            else:
                u.evidence.append((item, stance))
                # As status.evidence_problems: a month or year as_of allows evidence from anywhere in it.
                if as_of and item.date and item.date > dates.period_end(as_of, precision):
                    here.problem(f"evidence dated {item.written} is later than as_of {shown}: an update can only "
                                 "rest on what was known by its date", line)
        today = timezone.localdate()
        if as_of:
            made = c.values["date_made"]
            if as_of > today:
                here.problem(f"as_of {shown} is in the future")
            if made and as_of < made:
                here.problem(f"as_of {shown} is before the commitment was made "
                             f"({dates.iso(made, c.values['date_made_precision'])})")
            before = previous.values if previous else None
            if before and as_of < before["as_of"]:
                here.problem(f"updates go oldest first: as_of {shown} is earlier than the previous update's "
                             f"({dates.iso(before['as_of'], before['as_of_precision'])})")
            elif before and (as_of, u.values["status"]) == (before["as_of"], before["status"]):
                here.problem("the same status and as-of date are given twice")
        if u.published_on:
            if u.published_on > today:
                here.problem(f"published_on {u.published_on.isoformat()} is in the future")
            if as_of and u.published_on < as_of:
                here.problem(f"published_on {u.published_on.isoformat()} is before as_of "
                             f"{dates.iso(as_of, precision)}: an assessment is published after the day it describes")


class _Placed:
    """Problem reporting for a record already read (it remembers where it came from)."""

    def __init__(self, reader: _Reader, where: Where, label: str) -> None:
        self.reader, self.where, self.label = reader, where, label

    def problem(self, message: str, line: int | None = None) -> None:
        self.reader.problems.append(Problem(self.where.file, line or self.where.line, self.label, message))


def _label(kind: str, ident: object, n: int) -> str:
    return f"{kind} '{ident}'" if isinstance(ident, str) and ident else f"{kind} #{n}"


def _ref_text(ref: object) -> str:
    return ref.isoformat() if isinstance(ref, date) else repr(ref)


def _looks_dated(text: str) -> bool:
    try:
        dates.parse(text)
    except ValueError:
        return False
    return True


def _find_evidence(c: CommitmentRecord, ref: object) -> EvidenceRecord | str:
    """The commitment's one evidence item named by ``ref`` (its date as written, url, seed read_at or id), or why
    not."""
    if isinstance(ref, str) and not isinstance(ref, BadDate):
        matches = [e for e in c.evidence if e.ident == ref] or [e for e in c.evidence if ref in (e.url, e.read_at)]
        if matches:
            return matches[0] if len(matches) == 1 else f"{ref!r} names {len(matches)} evidence items of '{c.slug}'"
    if isinstance(ref, bool | datetime) or not isinstance(ref, date | str | int):
        return f"evidence {ref!r} must be given by its date (as written in its status_evidence), its url or its id"
    try:
        day, precision = dates.parse(ref)
    except ValueError as exc:
        return f"evidence {exc}" if isinstance(ref, BadDate) else f"no evidence of '{c.slug}' has the url or id {ref!r}"
    # A date names the item written with that date at that precision ("2019-09" is not "2019-09-01").
    matches = [e for e in c.evidence if (e.date, e.date_precision) == (day, precision)]
    shown = dates.iso(day, precision)
    if not matches:
        return f"no evidence of '{c.slug}' is dated {shown}"
    if len(matches) > 1:
        return f"{shown} names {len(matches)} evidence items of '{c.slug}'; name one by its url (or give it an id)"
    return matches[0]


def read_files(*, paths: list[Path], existing: Existing) -> tuple[Dataset, list[Problem]]:
    """Every record in ``paths`` (read in order, as one data set) and every problem found in them."""
    reader = _Reader(existing=existing)
    for path in paths:
        reader.read_file(path=path, name=str(path))
    reader.check_references()
    order = {str(path): n for n, path in enumerate(paths)}
    problems = sorted(reader.problems, key=lambda p: (order.get(p.file, 0), p.line or 0))
    return reader.data, problems
