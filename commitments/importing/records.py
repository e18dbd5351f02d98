"""Read import files into checked records, collecting every problem with its file, line and entry.

Shapes, types, dates, vocabularies, duplicate ids and references are checked here, without the
database (the slugs the database already holds are passed in). Model validation and writing are
``importer``'s job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from django.utils import timezone
from django.utils.text import slugify

from ..models import Commitment, Evidence, Source, StatusUpdate
from ..status import ASSESSABLE
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
                   "related", "status_evidence"}
EVIDENCE_KEYS = {"date", "indicates", "fact", "quote", "title", "publisher", "url", "read_at", "note"}
ASSESSMENT_KEYS = {"commitment", "status", "as_of", "confidence", "summary", "evidence"}


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
    indicates: str
    fact: str
    title: str
    publisher: str
    url: str
    read_at: str
    quote: str
    note: str

    @property
    def key(self) -> tuple:
        return (self.url, self.title, self.date)

    def values(self) -> dict:
        return {"title": self.title, "publisher": self.publisher, "date": self.date, "url": self.url,
                "indicates": self.indicates, "description": self.fact, "quote": self.quote, "note": self.note}


@dataclass
class SourceRecord:
    where: Where
    slug: str
    values: dict
    seed_file: str


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
    evidence: list[EvidenceRecord] = field(default_factory=list)


@dataclass
class AssessmentRecord:
    where: Where
    commitment: str
    values: dict
    refs: list[tuple[int, object]]
    line: int
    evidence: list[EvidenceRecord] = field(default_factory=list)


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

    # --- one file -------------------------------------------------------------------------

    def read_file(self, *, path: Path, name: str) -> None:
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
        values = {
            "title": entry.text("title", required=True),
            "issuer": entry.text("issuer", required=True),
            "date": entry.day("date", key_required=True),
            "date_note": entry.text("date_note"),
            "kind": entry.choice("kind", Source.Kind.values, required=True),
            "url": entry.text("url"),
        }
        seed_file = entry.text("seed_file")
        also = entry.texts("also_read_at")
        for passage in entry.mappings("passages"):
            part = _Entry(file=entry.file, data=passage, label=entry.label, problems=self.problems)
            part.only({"url", "text"})
            part.text("url", required=True)
            part.text("text", required=True)
        notes = [entry.text("notes")]
        notes.append(f"Seed text: {seed_file}." if seed_file else "")
        notes.append(f"Coverage: {entry.text('coverage')}" if entry.text("coverage") else "")
        notes.append(f"About the address: {entry.text('url_note')}" if entry.text("url_note") else "")
        notes.append(f"Also read at: {', '.join(also)}" if also else "")
        values["notes"] = "\n\n".join(n for n in notes if n)
        if slug:
            self._unique("source", entry, slug)
            self.data.sources.append(SourceRecord(entry.where, slug, values, seed_file))

    def read_commitment(self, entry: _Entry) -> None:
        entry.only(COMMITMENT_KEYS)
        slug = entry.text("id", required=True)
        entry.texts("read_at")  # where the quote was read: checked by tests/test_fixtures.py, not stored
        values = {
            "title": entry.text("title", required=True),
            "quote": entry.text("quote", required=True),
            "quote_context": entry.text("quote_context"),
            "location": entry.text("location"),
            "statement_type": entry.choice("statement_type", Commitment.StatementType.values, required=True),
            "scope_note": entry.text("scope_note"),
            "date_made": entry.day("date_made", key_required=True),
            "date_note": entry.text("date_note"),
            "due_date": entry.day("target_date") if entry.text("target_text") else None,
            "due_text": entry.text("target_text"),
            # A deadline without the source's words for it is inferred: an expected end, never "overdue".
            "expected_end": None if entry.text("target_text") else entry.day("target_date"),
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
            themes=entry.texts("themes"), related=entry.texts("related"), lines=entry.data.key_lines,
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
        record = EvidenceRecord(
            where=entry.where, date=entry.day("date"), indicates=indicates, fact=entry.text("fact", required=True),
            title=entry.text("title"), publisher=entry.text("publisher"), url=entry.text("url"),
            read_at=entry.text("read_at"), quote=entry.text("quote"), note=entry.text("note"),
        )
        if indicates == NO_EVIDENCE:
            if record.url or record.read_at:
                entry.problem("a 'no evidence found' item has no url or read_at (it is a research note)")
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
        entry.only(ASSESSMENT_KEYS)
        values = {
            "status": entry.choice("status", STATUSES, required=True),
            "as_of": entry.day("as_of", key_required=True),
            "confidence": entry.choice("confidence", StatusUpdate.Confidence.values, required=True),
            "summary": entry.text("summary", required=True),
        }
        refs = entry.data.get("evidence")
        if not isinstance(refs, list) or not refs:
            entry.problem("'evidence' must list at least one evidence item (by its date or url)", "evidence")
            refs = []
        line = entry.data.line_of("evidence")
        record = AssessmentRecord(entry.where, entry.text("commitment", required=True), values,
                                  [(line, ref) for ref in refs], entry.data.line_of("commitment"))
        self.data.assessments.append(record)

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
        self._check_assessments(commitments)

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
        used: dict[int, AssessmentRecord] = {}
        seen: set[tuple] = set()
        today = timezone.localdate()
        for a in self.data.assessments:
            here = _Placed(self, a.where, f"assessment for '{a.commitment}'")
            c = commitments.get(a.commitment)
            if a.commitment and c is None:
                here.problem(f"unknown commitment '{a.commitment}' (not in the files being imported)", a.line)
                continue
            if c is None:
                continue
            key = (a.commitment, a.values["as_of"], a.values["status"])
            if key in seen:
                here.problem("the same commitment, status and as-of date are assessed twice")
            seen.add(key)
            for line, ref in a.refs:
                item = _find_evidence(c, ref)
                if isinstance(item, str):
                    here.problem(item, line)
                    continue
                if id(item) in used and used[id(item)] is not a:
                    here.problem(f"evidence {_ref_text(ref)} already backs another assessment", line)
                used[id(item)] = a
                if item not in a.evidence:
                    a.evidence.append(item)
            as_of, made = a.values["as_of"], c.values["date_made"]
            if as_of and as_of > today:
                here.problem(f"as_of {as_of.isoformat()} is in the future")
            if as_of and made and as_of < made:
                here.problem(f"as_of {as_of.isoformat()} is before the commitment was made ({made.isoformat()})")
            for e in a.evidence:
                if as_of and e.date and e.date > as_of:
                    here.problem(f"evidence dated {e.date.isoformat()} is later than as_of {as_of.isoformat()}")


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


def _find_evidence(c: CommitmentRecord, ref: object) -> EvidenceRecord | str:
    """The commitment's one evidence item named by ``ref`` (a date, url or seed read_at), or why not."""
    if isinstance(ref, str) and not isinstance(ref, BadDate):
        matches = [e for e in c.evidence if ref in (e.url, e.read_at)]
        if not matches:
            try:
                ref = date.fromisoformat(ref)
            except ValueError:
                return f"no evidence of '{c.slug}' has the url {ref!r}"
    if isinstance(ref, date) and not isinstance(ref, datetime):
        matches = [e for e in c.evidence if e.date == ref]
    elif not isinstance(ref, str) or isinstance(ref, BadDate):
        return f"evidence {ref!r} must be given by its date (YYYY-MM-DD) or its url"
    if not matches:
        return f"no evidence of '{c.slug}' is dated {_ref_text(ref)}"
    if len(matches) > 1:
        return f"{_ref_text(ref)} names {len(matches)} evidence items of '{c.slug}'; name one by its url"
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
