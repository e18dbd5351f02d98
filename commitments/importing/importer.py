"""Import commitments from YAML files: check everything, then write it all in one transaction.

``import_files`` is the one entry point; the ``import_commitments`` command wraps it. Reading the
files is ``records``'s job. Here every record becomes a model instance that is validated
(``full_clean``) before anything is written; only then is everything written in one
``transaction.atomic``. Rows are matched by slug (taxonomies, sources, commitments), by
(commitment, country, as_of, status) (status updates; no country for an overall one) and by
(commitment, url, title, date, status update) (evidence: an item named by two updates is one row per
update), and only rows that differ are saved, so running the same files again changes nothing.
The import never deletes anything, never changes a commitment's state (staff may have archived it)
and publishes only the status updates it creates (country updates too: publishing derives the
``CountryStatus`` rows), through ``services.publish_status_update`` with the file's reason and its
``published_on`` day as the publication time, so a refusal by the publishing rules names the update's file and line.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from django.utils.text import slugify

from .. import services
from ..models import Commitment, Country, Evidence, Source, StatusUpdate, Theme
from ..taxonomy import LINKED
from .records import (
    AssessmentRecord,
    CommitmentRecord,
    Dataset,
    Existing,
    Problem,
    UpdateRecord,
    Where,
    read_files,
)

# Public reasons for what an import publishes (the fixture format v2 carries each update's own reason).
IMPORT_COMMITMENT_REASON = "Added to the tracker from its source."
KINDS = ("countries", "themes", "actors", "sources", "commitments", "evidence items", "status updates")


class ImportFailed(Exception):
    """The files have problems; nothing was written. ``problems`` lists every one."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the import files")
        self.problems = problems


class SyntheticDatabase(Exception):
    """The database holds synthetic demo rows: real data must not be written beside them."""


def published_at(day: date) -> datetime:
    """The publication time of an update published on ``day``: its midnight in ``settings.TIME_ZONE``."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


@dataclass
class Summary:
    counts: dict[str, Counter] = field(default_factory=lambda: {kind: Counter() for kind in KINDS})
    published: int = 0
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)

    def count(self, kind: str, outcome: str) -> None:
        self.counts[kind][outcome] += 1

    @property
    def changed(self) -> bool:
        return any(c["created"] or c["updated"] for c in self.counts.values())

    def lines(self) -> list[str]:
        lines = [
            f"{kind}: {c['created']} created, {c['updated']} updated, {c['unchanged']} unchanged"
            for kind, c in self.counts.items()
        ]
        lines.append(f"status updates published: {self.published}")
        return lines


@dataclass
class _Row:
    obj: models.Model
    where: Where
    label: str
    created: bool
    changed: bool


def _assign(obj: models.Model, values: dict) -> bool:
    """Set ``values`` on ``obj``; whether anything differed."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


class _Import:
    def __init__(self, data: Dataset) -> None:
        self.data = data
        self.problems: list[Problem] = []
        self.summary = Summary(notes=list(data.notes))
        self.taxonomies: dict[str, dict[str, _Row]] = {}
        self.sources: dict[str, _Row] = {}
        self.commitments: dict[str, _Row] = {}
        # Each evidence row with the update row it backs (None: material only) and its stance.
        self.evidence: list[tuple[_Row, CommitmentRecord, _Row | None, str]] = []
        self.updates: list[tuple[_Row, UpdateRecord, AssessmentRecord]] = []
        self.other_countries: dict[str, Country] = {}  # countries the updates name that the files do not define

    # --- 1. build and validate every instance, writing nothing ------------------------------

    def check(self, row: _Row, *, exclude: Sequence[str] = ()) -> None:
        try:
            row.obj.full_clean(exclude=list(exclude))
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                for message in messages:
                    text = message if name == NON_FIELD_ERRORS else f"{name}: {message}"
                    self.problems.append(Problem(row.where.file, row.where.line, row.label, text))

    def _row(self, obj: models.Model, values: dict, where: Where, label: str) -> _Row:
        created = obj.pk is None
        changed = _assign(obj, values)
        return _Row(obj, where, label, created, changed)

    def prepare(self) -> None:
        d = self.data
        for kind, taxonomy in LINKED.items():
            model, names = taxonomy.model, getattr(d, taxonomy.relation)
            found = {o.slug: o for o in model.objects.filter(slug__in=names)}
            rows = self.taxonomies[kind] = {}
            for slug, name in names.items():
                obj = found.get(slug) or model(slug=slug)
                rows[slug] = self._row(obj, {"name": name}, d.where[(kind, slug)], f"{kind} '{slug}'")
                self.check(rows[slug])
        found = {o.slug: o for o in Source.objects.filter(slug__in=[s.slug for s in d.sources])}
        for s in d.sources:
            row = self._row(found.get(s.slug) or Source(slug=s.slug), s.values, s.where, f"source '{s.slug}'")
            self.sources[s.slug] = row
            self.check(row)
        found = {o.slug: o for o in Commitment.objects.filter(slug__in=[c.slug for c in d.commitments])}
        # A commitment's scope is its assessment entry's (regional when the entry says none); one without
        # an entry keeps the scope it has (regional when new).
        scopes = {a.commitment: a.scope for a in d.assessments}
        for c in d.commitments:
            # New commitments start as drafts and are published once complete (below), so their
            # public change history starts after their actors, countries and themes are set.
            obj = found.get(c.slug) or Commitment(slug=c.slug, state=Commitment.State.DRAFT)
            values = c.values | ({"assessment_scope": scopes[c.slug]} if c.slug in scopes else {})
            row = self.commitments[c.slug] = self._row(obj, values, c.where, f"commitment '{c.slug}'")
            self.check(row, exclude=["source", "attributed_to"])
        self._prepare_updates()
        self._prepare_evidence()

    def country(self, slug: str) -> Country:
        """The country named ``slug``: the files' (perhaps not saved yet), else the database's."""
        row = self.taxonomies.get("country", {}).get(slug)
        if row is not None:
            return row.obj
        if slug not in self.other_countries:
            self.other_countries[slug] = Country.objects.get(slug=slug)
        return self.other_countries[slug]

    def _prepare_updates(self) -> None:
        existing = {}
        for u in StatusUpdate.objects.filter(commitment__slug__in=self.commitments).order_by("-id"):
            existing[(u.commitment_id, u.country_id, u.as_of, u.status)] = u
        for a in self.data.assessments:
            commitment = self.commitments[a.commitment].obj
            for u in a.all_updates():
                country = self.country(u.country).pk if u.country else None
                key = (commitment.pk, country, u.values["as_of"], u.values["status"])
                obj = existing.get(key) if commitment.pk else None
                values = dict(u.values)
                if obj is not None and obj.was_published and obj.published_by_id is None and u.published_on:
                    # Published by an earlier import: its publication day is the file's, never the install day.
                    values["published_at"] = published_at(u.published_on)
                row = self._row(obj or StatusUpdate(), values, u.where, u.label)
                self.updates.append((row, u, a))
                self.check(row, exclude=["commitment"])

    def _prepare_evidence(self) -> None:
        existing = defaultdict(list)
        for e in Evidence.objects.filter(commitment__slug__in=self.commitments).order_by("id"):
            existing[(e.commitment_id, e.url, e.title, e.date)].append(e)
        uses = defaultdict(list)  # id(evidence record) -> [(update row, stance)], one row each
        for row, u, _ in self.updates:
            for record, stance in u.evidence:
                uses[id(record)].append((row, stance))
        for c in self.data.commitments:
            commitment = self.commitments[c.slug].obj
            for record in c.evidence:
                rows = existing[(commitment.pk, *record.key)] if commitment.pk else []
                for update, stance in uses.get(id(record)) or [(None, "")]:
                    label = f"commitment '{c.slug}': evidence '{record.title}'"
                    obj = _claim(rows, update.obj if update else None)
                    row = self._row(obj or Evidence(), record.values(), record.where, label)
                    self.evidence.append((row, c, update, stance))
                    self.check(row, exclude=["commitment", "status_update"])

    # --- 2. write, in dependency order ---------------------------------------------------

    def save_if_needed(self, row: _Row) -> None:
        """Save a new or changed row after a full validation (now with its foreign keys set)."""
        if row.created or row.changed:
            self.check(row)
            if self.problems:
                raise ImportFailed(self.problems)  # rolls the transaction back
            row.obj.save()

    def save(self, kind: str, row: _Row) -> None:
        self.save_if_needed(row)
        self.summary.count(kind, "created" if row.created else "updated" if row.changed else "unchanged")

    def write(self) -> Summary:
        for kind, taxonomy in LINKED.items():
            for row in self.taxonomies[kind].values():
                self.save(taxonomy.relation, row)
        for row in self.sources.values():
            self.save("sources", row)
        m2m_changed = self._write_commitments()
        m2m_changed |= self._write_related()
        for slug, row in self.commitments.items():
            outcome = "created" if row.created else "updated" if row.changed or slug in m2m_changed else "unchanged"
            self.summary.count("commitments", outcome)
        for row, u, a in self.updates:
            row.changed |= _assign(row.obj, {"commitment_id": self.commitments[a.commitment].obj.pk,
                                             "country_id": self.country(u.country).pk if u.country else None})
            self.save("status updates", row)
        for row, c, update, stance in self.evidence:
            values = {"commitment_id": self.commitments[c.slug].obj.pk}
            if update is not None:
                values |= {"status_update_id": update.obj.pk, "stance": stance}
            row.changed |= _assign(row.obj, values)
            self.save("evidence items", row)
        for row in self.commitments.values():  # a date made, a source's date or evidence may have changed
            services.refresh_known_since(commitment=row.obj)
        self._publish()
        return self.summary

    def _publish(self) -> None:
        """Publish the new updates, oldest first, through the service and its rules; every refusal is a
        problem at the update's line, and any refusal undoes the whole import."""
        for row, u, _ in self.updates:
            if not row.created:
                continue
            try:
                services.publish_status_update(update=row.obj, user=None, reason=u.reason,
                                               when=published_at(u.published_on))
            except ValidationError as exc:
                self.problems += [Problem(u.where.file, u.where.line, u.label, m) for m in exc.messages]
                continue
            self.summary.published += 1
        if self.problems:
            raise ImportFailed(self.problems)  # rolls the transaction back

    def _write_commitments(self) -> set[str]:
        m2m_changed = set()
        for c in self.data.commitments:
            row = self.commitments[c.slug]
            source = self.sources[c.source].obj if c.source in self.sources else Source.objects.get(slug=c.source)
            attributed = None
            if c.attributed_to:
                attributed = self.sources.get(c.attributed_to)
                attributed = attributed.obj if attributed else Source.objects.get(slug=c.attributed_to)
            fks = {"source_id": source.pk, "attributed_to_id": attributed.pk if attributed else None}
            row.changed |= _assign(row.obj, fks)
            self.save_if_needed(row)
            for kind, taxonomy in LINKED.items():
                slugs = getattr(c, taxonomy.relation)
                if kind == "actor":  # the dataset names actors; their slugs are made from the names
                    slugs = [slugify(a) for a in slugs]
                manager = getattr(row.obj, taxonomy.relation)
                current = set() if row.created else set(manager.values_list("slug", flat=True))
                if current != set(slugs):
                    rows = self.taxonomies.get(kind, {})
                    manager.set([rows[s].obj if s in rows else manager.model.objects.get(slug=s) for s in slugs])
                    m2m_changed.add(c.slug)
            if row.created:
                # Dated by the day the dataset was compiled, not the install time.
                compiled = self.data.compiled_on
                services.set_commitment_state(
                    commitment=row.obj, state=Commitment.State.PUBLISHED, user=None, reason=IMPORT_COMMITMENT_REASON,
                    when=published_at(compiled) if compiled else None,
                )
                row.obj.state = Commitment.State.PUBLISHED
        return m2m_changed

    def _write_related(self) -> set[str]:
        # "related" is symmetrical: only add missing links, so another file's links are kept.
        changed = set()
        for c in self.data.commitments:
            obj = self.commitments[c.slug].obj
            current = set(obj.related.values_list("slug", flat=True))
            for slug in c.related:
                if slug not in current:
                    other = self.commitments[slug].obj if slug in self.commitments else Commitment.objects.get(
                        slug=slug
                    )
                    obj.related.add(other)
                    changed |= {c.slug, slug}
        return changed


def _claim(rows: list[Evidence], update: StatusUpdate | None) -> Evidence | None:
    """Take from ``rows`` (one item's existing rows) the row for this use, or None if a new row is needed.

    For an update: the row attached to it, else one attached to none (material an update now cites).
    For material no update names: a row attached to none, else any (staff may have attached it).
    """
    if update is not None:
        preferences = [lambda o: update.pk is not None and o.status_update_id == update.pk,
                       lambda o: o.status_update_id is None]
    else:
        preferences = [lambda o: o.status_update_id is None, lambda o: True]
    for wanted in preferences:
        for obj in rows:
            if wanted(obj):
                rows.remove(obj)
                return obj
    return None


def _existing() -> Existing:
    def slugs(model: type[models.Model]) -> set[str]:
        return set(model.objects.values_list("slug", flat=True))

    return Existing(sources=slugs(Source), themes=slugs(Theme), countries=slugs(Country),
                    commitments=slugs(Commitment))


def import_files(*, paths: Sequence[str | Path], dry_run: bool = False) -> Summary:
    """Import the YAML files as one data set; raise ImportFailed (writing nothing) if any is bad.

    With ``dry_run`` everything is checked and counted as if written, then rolled back.
    """
    if Commitment.objects.filter(is_synthetic=True).exists():
        raise SyntheticDatabase(
            "This database holds synthetic demo data (generate_demo_data); real data is never mixed with it. "
            "Import into a database without demo data."
        )
    data, problems = read_files(paths=[Path(p) for p in paths], existing=_existing())
    if problems:
        raise ImportFailed(problems)
    with transaction.atomic():
        job = _Import(data)
        job.prepare()
        if job.problems:
            raise ImportFailed(job.problems)
        summary = job.write()
        summary.dry_run = dry_run
        if dry_run:
            transaction.set_rollback(True)
    return summary
