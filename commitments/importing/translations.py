"""Apply a translations file (``fixtures/translations-ru.yaml``): another language's texts for the real data.

A translations file is told from a data file by its ``meta.language``; ``import_commitments`` imports
the data files first and then applies the translations, in one transaction. Every key must name a row
the database holds (taxonomies and sources by slug, actors by the name the data file gives, commitments
by slug, evidence items by their position in the data file named by ``meta.translates``, matched to
their rows as the importer matches them, updates by commitment, country, ``as_of`` and status), and
every value must pass the model's validation. Everything is checked before anything is written; one
problem anywhere (reported with its file and line, as the importer's are) and nothing is written.
Only the language's own columns (``<field>_<language>``, ``commitments.languages``) are written, and only where they
differ, so applying the same file again changes nothing. Format: fixtures/README.md, "Translations".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.text import slugify

from .. import dates, languages
from ..dates import START
from ..models import Actor, Commitment, Country, Evidence, Source, Theme
from .importer import SyntheticDatabase
from .records import NO_EVIDENCE, Existing, Problem, read_files
from .yaml_lines import LineDict, YamlLoadError, load

TOP_KEYS = {"meta", "countries", "themes", "actors", "sources", "commitments"}
META_KEYS = {"language", "translator", "method", "made_on", "note", "translates"}
METHODS = ("machine", "human")
# meta.method → who made the records' texts (translation_source_<lang>), shown beside them on the site.
SOURCE_OF_METHOD = {"machine": languages.TranslationSource.MACHINE, "human": languages.TranslationSource.TRACKER}
COMMITMENT_KEYS = {"title", "location", "quote_context", "quote_translation", "quote_translation_source",
                   "quote_translation_url", "evidence", "updates"}
EVIDENCE_KEYS = {"item", "description", "quote_translation", "quote_translation_source", "quote_translation_url"}
UPDATE_KEYS = {"country", "as_of", "status", "summary"}
QUOTE_KEYS = ("quote_translation", "quote_translation_source", "quote_translation_url")
KINDS = ("countries", "themes", "actors", "sources", "commitments", "evidence rows", "status updates")


class TranslationFailed(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the translations file")
        self.problems = problems


@dataclass
class TranslationSummary:
    language: str = ""
    counts: dict[str, Counter] = field(default_factory=lambda: {kind: Counter() for kind in KINDS})

    @property
    def changed(self) -> bool:
        return any(c["updated"] for c in self.counts.values())

    def lines(self) -> list[str]:
        return [f"{kind} ({self.language}): {c['updated']} translated, {c['unchanged']} unchanged"
                for kind, c in self.counts.items()]


def translation_language(path: str | Path) -> str | None:
    """The language of a translations file (its ``meta.language``); None for any other file.

    A file that cannot be read is not a translations file here: the data files' reader reports it.
    """
    try:
        doc, _ = load(path=Path(path))
    except YamlLoadError:
        return None
    meta = doc.get("meta") if isinstance(doc, dict) else None
    language = meta.get("language") if isinstance(meta, dict) else None
    return language if isinstance(language, str) and language else None


@dataclass
class _Change:
    obj: models.Model
    values: dict  # column -> value
    file: str
    line: int
    label: str
    kind: str


class _Reader:
    """Reads one translations file into changes, each checked against the database and the model."""

    def __init__(self, *, path: Path) -> None:
        self.path = path
        self.name = str(path)
        self.problems: list[Problem] = []
        self.changes: list[_Change] = []
        self.language = ""
        self.method = ""

    def problem(self, data: LineDict | None, key, label: str | None, message: str) -> None:
        line = (data.line_of(key) if key is not None else data.line) if isinstance(data, LineDict) else None
        self.problems.append(Problem(self.name, line, label, message))

    def only(self, data: LineDict, allowed: set, label: str | None) -> None:
        for key in data:
            if key not in allowed:
                self.problem(data, key, label, f"unknown field '{key}' (one of: {', '.join(sorted(allowed))})")

    def text(self, data: LineDict, key: str, label: str, *, required: bool = False) -> str | None:
        value = data.get(key)
        if value is None:
            if required:
                self.problem(data, None, label, f"missing required field '{key}'")
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(data, key, label, f"'{key}' must be non-empty text")
            return None
        return value

    def mapping(self, data: LineDict, key: str, label: str | None) -> LineDict:
        value = data.get(key)
        if value is None:
            return LineDict()
        if not isinstance(value, LineDict):
            self.problem(data, key, label, f"'{key}' must be a mapping")
            return LineDict()
        return value

    def entries(self, data: LineDict, key: str, label: str) -> list[LineDict]:
        value = data.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, LineDict) for v in value):
            self.problem(data, key, label, f"'{key}' must be a list of entries")
            return []
        return value

    def add(self, obj: models.Model, values: dict, data: LineDict, label: str, kind: str) -> None:
        columns = {languages.column(name, self.language): value for name, value in values.items() if value is not None}
        if self.method and set(values) & set(languages.translated_fields(type(obj))):
            columns[f"translation_source_{self.language}"] = str(SOURCE_OF_METHOD[self.method])
        self.changes.append(_Change(obj, columns, self.name, data.line, label, kind))

    # --- the file -----------------------------------------------------------------------

    def read(self) -> None:
        try:
            doc, yaml_problems = load(path=self.path)
        except YamlLoadError as exc:
            self.problems.append(Problem(self.name, exc.problem.line, None, exc.problem.message))
            return
        self.problems += [Problem(self.name, p.line, None, p.message) for p in yaml_problems]
        if not isinstance(doc, LineDict):
            self.problems.append(Problem(self.name, 1, None, "the file must be a mapping with 'meta'"))
            return
        self.only(doc, TOP_KEYS, None)
        if not self.read_meta(self.mapping(doc, "meta", None)):
            return
        self.read_taxonomy(self.mapping(doc, "countries", None), Country, "country", "countries")
        self.read_taxonomy(self.mapping(doc, "themes", None), Theme, "theme", "themes")
        self.read_actors(self.mapping(doc, "actors", None))
        self.read_sources(self.mapping(doc, "sources", None))
        self.read_commitments(self.mapping(doc, "commitments", None))

    def read_meta(self, meta: LineDict) -> bool:
        self.only(meta, META_KEYS, "meta")
        language = self.text(meta, "language", "meta", required=True)
        others = languages.OTHERS
        if language and language not in others:
            self.problem(meta, "language", "meta", f"language '{language}' is not one of the site's other "
                                                    f"languages ({', '.join(others) or 'none'})")
            language = None
        for key in ("translator", "note"):
            self.text(meta, key, "meta", required=True)
        method = self.text(meta, "method", "meta", required=True)
        if method and method not in METHODS:
            self.problem(meta, "method", "meta", f"unknown method '{method}' (one of: {', '.join(METHODS)})")
        if not isinstance(meta.get("made_on"), date):
            self.problem(meta, "made_on" if "made_on" in meta else None, "meta", "'made_on' must be a day (YYYY-MM-DD)")
        self.language = language or ""
        self.method = method if method in METHODS else ""
        return bool(language)

    def read_taxonomy(self, names: LineDict, model: type[models.Model], kind: str, plural: str) -> None:
        found = model.objects.in_bulk(list(names), field_name="slug")
        for slug, name in names.items():
            label = f"{kind} '{slug}'"
            if slug not in found:
                self.problem(names, slug, label, f"no {kind} with this slug in the database")
            elif isinstance(name, str) and name.strip():
                self.add(found[slug], {"name": name}, _at(names, slug), label, plural)
            else:
                self.problem(names, slug, label, "the name must be non-empty text")

    def read_actors(self, names: LineDict) -> None:
        found = Actor.objects.in_bulk([slugify(n) for n in names], field_name="slug")
        for english, name in names.items():
            label = f"actor '{english}'"
            actor = found.get(slugify(english))
            if actor is None:
                self.problem(names, english, label, "no actor of this name in the database")
            elif isinstance(name, str) and name.strip():
                self.add(actor, {"name": name}, _at(names, english), label, "actors")
            else:
                self.problem(names, english, label, "the name must be non-empty text")

    def read_sources(self, titles: LineDict) -> None:
        found = Source.objects.in_bulk(list(titles), field_name="slug")
        for slug, title in titles.items():
            label = f"source '{slug}'"
            if slug not in found:
                self.problem(titles, slug, label, "no source with this id in the database")
            elif isinstance(title, str) and title.strip():
                self.add(found[slug], {"title": title}, _at(titles, slug), label, "sources")
            else:
                self.problem(titles, slug, label, "the title must be non-empty text")

    def read_commitments(self, entries: LineDict) -> None:
        found = Commitment.objects.in_bulk(list(entries), field_name="slug")
        positions = self.evidence_positions() if any(
            isinstance(e, LineDict) and e.get("evidence") for e in entries.values()) else {}
        for slug, data in entries.items():
            label = f"commitment '{slug}'"
            commitment = found.get(slug)
            if commitment is None:
                self.problem(entries, slug, label, "no commitment with this id in the database")
                continue
            if not isinstance(data, LineDict):
                self.problem(entries, slug, label, "must be a mapping")
                continue
            self.only(data, COMMITMENT_KEYS, label)
            values = {key: self.text(data, key, label) for key in ("title", "location", "quote_context")}
            if not values["title"]:
                self.text(data, "title", label, required=True)
            values |= self.quote_translation(data, label)
            self.add(commitment, values, data, label, "commitments")
            self.read_evidence(commitment, data, label, positions.get(slug, {}))
            self.read_updates(commitment, data, label)

    def quote_translation(self, data: LineDict, label: str) -> dict:
        """The quote's translation, its provenance and, for an official one, the official text's address."""
        text = self.text(data, "quote_translation", label)
        source = self.text(data, "quote_translation_source", label, required=bool(text))
        url = self.text(data, "quote_translation_url", label)
        if not text and (source or url):
            self.problem(data, None, label, "'quote_translation_source' and '_url' go with a 'quote_translation'")
        if source == "official" and not url:
            self.problem(data, None, label, "an official quote translation needs 'quote_translation_url', the "
                                            "address of the official text")
        if source and source != "official" and url:
            self.problem(data, "quote_translation_url", label,
                         "only an official quote translation has a 'quote_translation_url'")
        return {"quote_translation": text, "quote_translation_source": source, "quote_translation_url": url}

    def evidence_positions(self) -> dict[str, dict[int, tuple]]:
        """(slug -> position -> the evidence key the importer matches rows by) from the data file(s) named by
        ``meta.translates``; a position holding a research note ('no evidence found') maps to None."""
        doc, _ = load(path=self.path)
        meta = doc["meta"]
        names = meta.get("translates")
        if not (isinstance(names, list) and names and all(isinstance(n, str) for n in names)):
            self.problem(meta, "translates" if "translates" in meta else None, "meta",
                         "'translates' must list the data file(s) whose evidence items 'item' counts, e.g. "
                         "[commitments-sources.yaml]")
            return {}
        paths = [self.path.parent / n for n in names]
        data, problems = read_files(paths=paths, existing=Existing(
            sources=set(Source.objects.values_list("slug", flat=True)),
            themes=set(Theme.objects.values_list("slug", flat=True)),
            countries=set(Country.objects.values_list("slug", flat=True)),
            commitments=set(Commitment.objects.values_list("slug", flat=True))))
        if problems:
            self.problem(meta, "translates", "meta", f"the data file it names has problems (first: {problems[0]})")
            return {}
        by_line = {}
        for c in data.commitments:
            for record in c.evidence:
                by_line[(record.where.file, record.where.line)] = record
        positions: dict[str, dict[int, tuple]] = {}
        for path in paths:
            raw, _ = load(path=path)
            for item in raw.get("commitments") or []:
                slot = positions.setdefault(item.get("id"), {})
                for n, e in enumerate(item.get("status_evidence") or [], 1):
                    record = by_line.get((str(path), e.line))
                    slot[n] = None if record is None or record.indicates == NO_EVIDENCE else record.key
        return positions

    def read_evidence(self, commitment: Commitment, data: LineDict, label: str, positions: dict[int, tuple]) -> None:
        rows: dict[tuple, list[Evidence]] = {}
        for e in commitment.evidence.all():
            rows.setdefault((e.url, e.title, e.date), []).append(e)
        seen = set()
        for entry in self.entries(data, "evidence", label):
            n = entry.get("item")
            here = f"{label}: evidence item {n}"
            self.only(entry, EVIDENCE_KEYS, here)
            if not isinstance(n, int) or isinstance(n, bool) or n not in positions:
                self.problem(entry, "item" if "item" in entry else None, here,
                             f"'item' must be the position (1-{len(positions)}) of one of the commitment's "
                             "status_evidence items in the data file")
                continue
            if n in seen:
                self.problem(entry, "item", here, "this item is translated twice")
            seen.add(n)
            key = positions[n]
            if key is None:
                self.problem(entry, "item", here, "this item is a research note ('no evidence found'), not an "
                                                  "evidence row: there is nothing to translate")
                continue
            found = rows.get(key)
            if not found:
                self.problem(entry, "item", here, "no evidence row of this commitment matches this item (import "
                                                  "the data file first)")
                continue
            values = {"description": self.text(entry, "description", here, required=True)}
            values |= self.quote_translation(entry, here)
            for row in found:  # an item named by two updates is two rows: both get the translation
                self.add(row, values, entry, here, "evidence rows")

    def read_updates(self, commitment: Commitment, data: LineDict, label: str) -> None:
        stored = {(u.country.slug if u.country else None, u.as_of, u.as_of_precision, u.status): u
                  for u in commitment.status_updates.select_related("country")}
        for entry in self.entries(data, "updates", label):
            self.only(entry, UPDATE_KEYS, label)
            country, status = entry.get("country"), entry.get("status")
            try:
                as_of, precision = dates.parse(entry.get("as_of"), START)
            except (ValueError, TypeError) as exc:
                self.problem(entry, "as_of" if "as_of" in entry else None, label,
                             f"'as_of' must be written as in assessments.yaml ({exc})")
                continue
            here = f"{label}: update {country + ' ' if country else ''}{dates.iso(as_of, precision)} {status}"
            update = stored.get((country, as_of, precision, status))
            if update is None:
                self.problem(entry, None, here, "no status update of this commitment has this country, as_of and "
                                                "status")
                continue
            self.add(update, {"summary": self.text(entry, "summary", here, required=True)}, entry, here,
                     "status updates")

    # --- checking the values against the model --------------------------------------------

    def check(self) -> None:
        for change in self.changes:
            obj = change.obj
            for name, value in change.values.items():
                setattr(obj, name, value)
            keep = set(change.values)
            try:
                obj.full_clean(exclude=[f.name for f in obj._meta.fields if f.name not in keep],
                               validate_unique=False, validate_constraints=False)
            except ValidationError as exc:
                for name, messages in exc.message_dict.items():
                    for message in messages:
                        self.problems.append(Problem(change.file, change.line, change.label, f"{name}: {message}"))


def _at(mapping: LineDict, key) -> LineDict:
    """A stand-in entry placed at ``key``'s line, for a change read from a plain ``key: value`` pair."""
    at = LineDict()
    at.line = mapping.line_of(key)
    return at


def apply_translations(*, paths: Sequence[str | Path]) -> TranslationSummary:
    """Check every translations file in ``paths`` against the database, then write them in one transaction.

    Raises TranslationFailed (writing nothing) with every problem found.
    """
    if Commitment.objects.filter(is_synthetic=True).exists():
        raise SyntheticDatabase("This database holds synthetic demo data (generate_demo_data); the real data's "
                                "translations are never applied to it.")
    summary = TranslationSummary()
    readers = []
    for path in paths:
        reader = _Reader(path=Path(path))
        reader.read()
        if not reader.problems:
            reader.check()
        readers.append(reader)
    problems = [p for r in readers for p in r.problems]
    if problems:
        raise TranslationFailed(problems)
    summary.language = ", ".join(dict.fromkeys(r.language for r in readers))
    with transaction.atomic():
        for reader in readers:
            for change in reader.changes:
                obj = change.obj
                stored = type(obj).objects.filter(pk=obj.pk).values(*change.values).get()
                differs = [name for name, value in change.values.items() if stored[name] != value]
                if differs:
                    obj.save(update_fields=differs)
                summary.counts[change.kind]["updated" if differs else "unchanged"] += 1
    return summary
