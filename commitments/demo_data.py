"""Synthetic demo data: a realistic, skewed, deterministic data set for demos and benchmarks.

Two halves:

* the generator (``generate``): pure functions that build table rows from a seed with
  ``random.Random``; no clock, no database. The same seed (and sizes) gives the same rows:
  same slugs, statuses, dates and text.
* the writer (``write``): refuses a database holding real rows, optionally deletes earlier
  synthetic rows, and bulk-inserts everything in one transaction with precomputed primary keys
  (``executemany`` on SQLite, ``COPY`` on PostgreSQL), then advances the id sequences and bumps
  the public data version once.

Every row written is marked ``is_synthetic=True``. No history records are written: synthetic
rows have no editorial history. Each commitment's ``current_status`` and ``current_status_date``
are computed here with the project's rule (``selectors.derived_status``): the latest published
update by as-of date, ties to the latest ``published_at``, then the highest id.
"""

from __future__ import annotations

import random
import time
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import partial

from django.db import connections, transaction
from django.utils import timezone
from django.utils.text import slugify

# --- fixed calendar: nothing depends on the day the generator runs ---------------------------

LAST_DAY = date(2025, 12, 31)  # no as-of, publication or evidence date after this
MADE_FROM, MADE_TO = date(2010, 1, 1), date(2025, 9, 30)
DUE_FROM, DUE_TO = date(2015, 1, 1), date(2030, 12, 31)
BLOCK = 2000  # commitments per block (rows are generated and written block by block)

# --- word lists ------------------------------------------------------------------------------

THEMES = [
    "P/CVE", "Border management", "Terrorism financing", "Returnees and reintegration", "Rule of law",
    "Criminal justice reform", "Prison radicalisation", "Online radicalisation", "Anti-money laundering",
    "Drug trafficking", "Police cooperation", "Information sharing", "Youth engagement", "Cybersecurity",
    "Human trafficking", "Judicial cooperation", "Women, peace and security", "Community policing",
    "Small arms control", "Civil society", "Human rights", "Education", "Regional cooperation",
    "Afghanistan spillover", "Migration management", "Anti-corruption", "Aviation security",
    "Critical infrastructure protection", "Crisis response", "Media literacy", "Religious freedom",
    "Chemical and biological risks", "Nuclear security", "Water security", "Good governance",
    "Economic resilience", "Energy connectivity", "Transport connectivity", "Digital connectivity",
    "Climate security",
]  # fmt: skip

COUNTRIES = [
    ("kz", "Kazakhstan"), ("uz", "Uzbekistan"), ("kg", "Kyrgyzstan"), ("tj", "Tajikistan"),
    ("tm", "Turkmenistan"), ("af", "Afghanistan"), ("ru", "Russia"), ("cn", "China"), ("tr", "Türkiye"),
    ("pk", "Pakistan"), ("ir", "Iran"), ("in", "India"), ("de", "Germany"), ("fr", "France"), ("it", "Italy"),
]  # fmt: skip

INTERNATIONAL_ACTORS = [
    "European Commission", "EEAS", "EU Member States", "Council of the EU", "European Parliament", "Europol",
    "Eurojust", "CEPOL", "Frontex", "UNODC", "UNOCT", "UNDP", "UNRCCA", "UNICEF", "UNHCR", "IOM", "OSCE",
    "OSCE Programme Office in Bishkek", "OSCE Programme Office in Dushanbe", "FATF", "Eurasian Group (EAG)",
    "World Bank", "Asian Development Bank", "EBRD", "EIB", "Council of Europe", "NATO", "Interpol", "GCTF",
    "Hedayah", "GCERF", "CAREC Institute", "BOMCA", "CADAP", "LEICA", "ICRC", "Saferworld", "International Alert",
    "Search for Common Ground", "Penal Reform International", "UN Women", "UNESCO", "WCO", "ILO", "OHCHR",
]  # fmt: skip
NATIONAL_BODIES = [
    "Ministry of Interior", "Ministry of Foreign Affairs", "Ministry of Justice", "State Security Committee",
    "Border Service", "Financial Monitoring Agency", "Prosecutor General's Office", "Ministry of Education",
    "Ministry of Health", "Ministry of Labour",
]  # fmt: skip
ACTOR_COUNT = 200

VERBS = [
    "Deploy", "Establish", "Strengthen", "Expand", "Launch", "Support", "Fund", "Train", "Develop", "Upgrade",
    "Review", "Adopt", "Harmonise", "Set up", "Finance", "Pilot", "Scale up", "Coordinate", "Reform", "Build",
]  # fmt: skip
ADJECTIVES = [
    "regional", "national", "joint", "dedicated", "cross-border", "community-based", "specialised", "mobile",
    "digital", "integrated", "multi-year", "independent", "permanent", "local", "EU-funded",
]  # fmt: skip
NOUNS = [
    "expert network", "training programme", "referral mechanism", "rehabilitation centres", "border posts",
    "financial intelligence unit", "risk analysis system", "exchange of good practice", "legal framework",
    "data-sharing platform", "monitoring mission", "prevention strategy", "helpline", "grant scheme",
    "research centre", "working group", "curriculum", "task force", "action plan", "inspection regime",
    "liaison office", "dialogue platform", "case management system", "mentoring scheme", "screening procedure",
]  # fmt: skip
PURPOSES = [
    "to counter violent extremism", "to cut off terrorism financing", "to reintegrate returning families",
    "to secure the border with Afghanistan", "to prevent radicalisation in prisons",
    "to protect critical infrastructure", "to disrupt trafficking routes", "to support young people at risk",
    "to improve information exchange", "to bring legislation in line with international standards",
    "to strengthen community resilience", "to support victims of terrorism",
]  # fmt: skip
PARTIES = [
    "The EU", "The EU and its Member States", "The European Commission", "The partners",
    "The EU and the Central Asian states", "The Central Asian governments",
]  # fmt: skip
STATUS_PHRASES = {
    "not_started": [
        "No public sign that work has begun", "Nothing announced beyond the original pledge",
        "Partners report no activity so far", "The budget line has not been opened",
    ],
    "in_progress": [
        "Work is under way", "A first phase has started", "Recruitment of staff has begun",
        "Pilot activities are running in two regions", "Funding was contracted and activities started",
        "A second phase was announced after an interim review",
    ],
    "stalled": [
        "Activities paused after the first phase", "Work stopped pending a new agreement",
        "Funding lapsed and was not renewed", "Partners report the project is on hold",
    ],
    "partially_achieved": [
        "Delivered in part", "Two of the planned components are in place",
        "Delivered in a weaker form than promised", "Operating in some countries but not all",
    ],
    "achieved": [
        "Delivered as committed", "Fully operational according to the final report", "Completed and evaluated",
        "In place across the region",
    ],
    "abandoned": [
        "Dropped from the work programme", "Formally cancelled by the partners",
        "No longer deliverable after the mandate ended", "Replaced by a different initiative",
    ],
}  # fmt: skip
DETAILS = ["according to", "as reported by", "per a statement by", "in the annual report of", "confirmed by"]
DOC_TYPES = ["press release", "annual report", "project page", "evaluation", "news article", "statement", "factsheet"]
INDICATES = {
    "not_started": "announced",
    "in_progress": "under way",
    "stalled": "context",
    "partially_achieved": "under way",
    "achieved": "done",
    "abandoned": "context",
}
# The current status of assessed commitments: most in progress, fewer achieved, stalled, abandoned.
FINAL_STATUSES = ["in_progress", "not_started", "partially_achieved", "stalled", "achieved", "abandoned"]
FINAL_WEIGHTS = [45, 15, 14, 10, 10, 6]
# The way a commitment usually gets to its final status (earlier updates walk along this path).
PATHS = {
    "not_started": [],
    "in_progress": ["not_started"],
    "stalled": ["not_started", "in_progress"],
    "partially_achieved": ["not_started", "in_progress"],
    "achieved": ["not_started", "in_progress", "partially_achieved"],
    "abandoned": ["in_progress", "stalled"],
}
NO_UPDATES_SHARE = 0.2  # commitments never assessed (besides those whose updates are all drafts)
DRAFT_UPDATE_SHARE = 0.05
DRAFT_COMMITMENT_SHARE, ARCHIVED_COMMITMENT_SHARE = 0.01, 0.01
DUE_DATE_SHARE = 0.6
CONTRADICTS_SHARE = 0.12
SOURCE_KINDS = [  # Source.Kind values, most common first
    "news report", "council conclusions", "conference statement", "programme document", "declaration", "strategy",
]  # fmt: skip
STATEMENT_TYPES = ["pledge", "programme-objective", "stated-priority", "agreement", "proposal"]
CONFIDENCES = ["medium", "high", "low"]
CONFIDENCE_WEIGHTS = [55, 25, 20]

# --- tables and columns (field names; the writer maps them to columns) -----------------------

THEME_FIELDS = COUNTRY_FIELDS = ACTOR_FIELDS = ("id", "slug", "name", "is_synthetic")
SOURCE_FIELDS = ("id", "slug", "title", "issuer", "date", "date_note", "kind", "url", "notes", "is_synthetic")
COMMITMENT_FIELDS = (
    "id", "slug", "title", "quote", "quote_context", "location", "statement_type", "scope_note", "date_made",
    "date_note", "due_date", "due_text", "actors_basis", "actors_note", "other_countries", "countries_note",
    "research_note", "state", "current_status", "current_status_date", "created_at", "updated_at",
    "attributed_to", "source", "is_synthetic",
)  # fmt: skip
UPDATE_FIELDS = (
    "id", "commitment", "status", "as_of", "summary", "confidence", "published_at", "published_by", "created_by",
    "created_at", "updated_at", "is_synthetic",
)  # fmt: skip
EVIDENCE_FIELDS = (
    "id", "commitment", "status_update", "title", "publisher", "date", "url", "document", "stance", "indicates",
    "description", "quote", "note", "is_synthetic",
)  # fmt: skip
M2M_FIELDS = ("id", "commitment_id", "target_id")  # the target column is named per relation by the writer


# --- small helpers ---------------------------------------------------------------------------


class _Iso(dict):
    """Day ordinal -> ISO date string, computed once per day."""

    def __missing__(self, ordinal: int) -> str:
        value = self[ordinal] = date.fromordinal(ordinal).isoformat()
        return value


class _Clock(dict):
    """Seconds since midnight -> 'HH:MM:SS'."""

    def __missing__(self, seconds: int) -> str:
        value = self[seconds] = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        return value


def _cumulative(weights) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def zipf_weights(n: int, s: float = 1.0) -> list[float]:
    """Weights of ranks 1..n falling off as 1/rank**s (the first entries are by far the most used)."""
    return [1 / rank**s for rank in range(1, n + 1)]


class _Picker:
    """Weighted choice of an index by one uniform draw (bisect over cumulative weights)."""

    __slots__ = ("cum", "total", "last")

    def __init__(self, weights):
        self.cum = _cumulative(weights)
        self.total = self.cum[-1]
        self.last = len(self.cum) - 1

    def __call__(self, u: float) -> int:
        i = bisect_right(self.cum, u * self.total)
        return i if i <= self.last else self.last


def _distinct(pick, rnd, k: int) -> list[int]:
    chosen: list[int] = []
    while len(chosen) < k:
        i = pick(rnd())
        if i not in chosen:
            chosen.append(i)
    return chosen


def _lower(name: str) -> str:
    """Lower-case a name for the middle of a sentence, leaving acronyms (P/CVE) alone."""
    return name if sum(c.isupper() for c in name) > 1 else name.lower()


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _cap_day() -> date:
    """The last day any generated date may fall on: 2025-12-31 (earlier only on a clock set in the past)."""
    return min(LAST_DAY, timezone.localdate())


# --- the generator ---------------------------------------------------------------------------


@dataclass
class IdBase:
    """Primary keys of generated rows start after these (0: start at 1)."""

    theme: int = 0
    country: int = 0
    actor: int = 0
    source: int = 0
    commitment: int = 0
    update: int = 0
    evidence: int = 0
    themes_m2m: int = 0
    countries_m2m: int = 0
    actors_m2m: int = 0


@dataclass
class Taxonomies:
    themes: list[tuple]
    countries: list[tuple]
    actors: list[tuple]
    sources: list[tuple]


@dataclass
class Block:
    """Rows for a run of consecutive commitments, in the column order of the ``*_FIELDS`` tuples."""

    commitments: list[tuple] = field(default_factory=list)
    themes_m2m: list[tuple] = field(default_factory=list)
    countries_m2m: list[tuple] = field(default_factory=list)
    actors_m2m: list[tuple] = field(default_factory=list)
    updates: list[tuple] = field(default_factory=list)
    evidence: list[tuple] = field(default_factory=list)


def actor_names() -> list[str]:
    """~200 actors: international bodies first (most used), then national bodies of each country."""
    names = list(INTERNATIONAL_ACTORS)
    names += [f"EU Delegation to {name}" for _, name in COUNTRIES[:5]]
    for _, country in COUNTRIES:
        names += [f"{body} ({country})" for body in NATIONAL_BODIES]
    return names[:ACTOR_COUNT]


def source_count(n: int) -> int:
    return max(10, n // 50)


def generate_taxonomies(*, n: int, seed: int, base: IdBase | None = None) -> Taxonomies:
    """Themes, countries, actors and sources (sources scale with ``n``: about one per 50 commitments)."""
    base = base or IdBase()
    rng = random.Random(f"demo-taxonomies:{seed}")
    themes = [(base.theme + i + 1, slugify(name.replace("/", " ")), name, True) for i, name in enumerate(THEMES)]
    countries = [(base.country + i + 1, slug, name, True) for i, (slug, name) in enumerate(COUNTRIES)]
    actors = [(base.actor + i + 1, slugify(name), name, True) for i, name in enumerate(actor_names())]
    kind = _Picker(zipf_weights(len(SOURCE_KINDS), 0.8))
    issuer = _Picker(zipf_weights(len(INTERNATIONAL_ACTORS), 1.1))
    theme = _Picker(zipf_weights(len(THEMES)))
    labels = {k: k.capitalize() for k in SOURCE_KINDS}
    first, last = MADE_FROM.toordinal(), min(date(2025, 6, 30), _cap_day()).toordinal()
    sources = []
    for i in range(source_count(n)):
        k = SOURCE_KINDS[kind(rng.random())]
        day = date.fromordinal(first + int(rng.random() * (last - first + 1)))
        slug = f"demo-{slugify(k)}-{day.year}-{i + 1}"
        title = f"Demo: {labels[k]} on {_lower(THEMES[theme(rng.random())])} ({day.year})"
        sources.append((
            base.source + i + 1, slug, title, INTERNATIONAL_ACTORS[issuer(rng.random())], day.isoformat(), "",
            k, f"https://example.org/demo/sources/{slug}", "Synthetic source made by generate_demo_data.", True,
        ))  # fmt: skip
    return Taxonomies(themes=themes, countries=countries, actors=actors, sources=sources)


def update_count(u: float, v: float, k: int) -> int:
    """Updates for one commitment: none for about a fifth, else between k/2 and 2k (k on average)."""
    if k <= 0 or u < NO_UPDATES_SHARE:
        return 0
    # With a fifth at zero, the rest average 1.25k: uniform between k/2 and 2k.
    low = max(1, round(k / 2))
    return low + int(v * (2 * k - low + 1))


def generate_blocks(
    *, n: int, k: int, seed: int, taxonomies: Taxonomies, base: IdBase | None = None
) -> Iterator[Block]:
    """The commitments with their m2m rows, status updates and evidence, ``BLOCK`` commitments at a time.

    Each block draws from its own ``random.Random`` seeded from ``seed`` and the block number,
    so the rows do not depend on how the caller consumes them.
    """
    base = base or IdBase()
    ids = {
        "update": base.update,
        "evidence": base.evidence,
        "themes": base.themes_m2m,
        "countries": base.countries_m2m,
        "actors": base.actors_m2m,
    }
    for start in range(0, n, BLOCK):
        yield _block(start, min(n, start + BLOCK), k=k, seed=seed, tax=taxonomies, base=base, ids=ids)


def _block(start: int, stop: int, *, k: int, seed: int, tax: Taxonomies, base: IdBase, ids: dict) -> Block:
    rng = random.Random(f"demo-commitments:{seed}:{start}")
    rnd = rng.random
    iso, clock = _Iso(), _Clock()
    cap = _cap_day().toordinal()
    made_first, made_last = MADE_FROM.toordinal(), min(MADE_TO, _cap_day()).toordinal()
    due_first, due_last = DUE_FROM.toordinal(), DUE_TO.toordinal()

    theme_ids = [row[0] for row in tax.themes]
    country_ids = [row[0] for row in tax.countries]
    country_names = [row[2] for row in tax.countries]
    actor_ids = [row[0] for row in tax.actors]
    actor_names_ = [row[2] for row in tax.actors]
    source_ids = [row[0] for row in tax.sources]
    source_days = [date.fromisoformat(row[4]).toordinal() for row in tax.sources]
    pick_theme = _Picker(zipf_weights(len(theme_ids)))
    pick_country = _Picker(zipf_weights(len(country_ids), 1.2))
    pick_actor = _Picker(zipf_weights(len(actor_ids)))
    pick_source = _Picker(zipf_weights(len(source_ids), 0.9))
    pick_final = _Picker(FINAL_WEIGHTS)
    pick_confidence = _Picker(CONFIDENCE_WEIGHTS)
    pick_statement = _Picker(zipf_weights(len(STATEMENT_TYPES), 1.3))
    pick_publisher = _Picker(zipf_weights(len(actor_names_), 1.1))
    n_verbs, n_adj, n_nouns, n_purposes = len(VERBS), len(ADJECTIVES), len(NOUNS), len(PURPOSES)
    n_parties, n_details, n_docs = len(PARTIES), len(DETAILS), len(DOC_TYPES)
    verb_slugs = [slugify(v) for v in VERBS]
    noun_slugs = [slugify(v) for v in NOUNS]

    block = Block()
    commitments, updates, evidence = block.commitments, block.updates, block.evidence
    upd_id, ev_id = ids["update"], ids["evidence"]
    m2m = (
        (block.themes_m2m, "themes", pick_theme, theme_ids),
        (block.countries_m2m, "countries", pick_country, country_ids),
        (block.actors_m2m, "actors", pick_actor, actor_ids),
    )

    for i in range(start, stop):
        cid = base.commitment + i + 1
        # What was promised.
        verb, adj = int(rnd() * n_verbs), ADJECTIVES[int(rnd() * n_adj)]
        noun_i = int(rnd() * n_nouns)
        noun, purpose = NOUNS[noun_i], PURPOSES[int(rnd() * n_purposes)]
        s = pick_source(rnd())
        if rnd() < 0.5:
            made = min(source_days[s] + int(rnd() * 61), made_last)
        else:
            made = made_first + int(rnd() * (made_last - made_first + 1))
        due = None
        if rnd() < DUE_DATE_SHARE:
            low = max(made + 90, due_first)
            due = low + int(rnd() * (due_last - low + 1))
        r = rnd()
        if r < DRAFT_COMMITMENT_SHARE:
            state = "draft"
        elif r < DRAFT_COMMITMENT_SHARE + ARCHIVED_COMMITMENT_SHARE:
            state = "archived"
        else:
            state = "published"
        place_ids = []
        for rows, name, pick, targets in m2m:
            chosen = _distinct(pick, rnd, 1 + int(rnd() * 3))
            for j in chosen:
                ids[name] += 1
                rows.append((ids[name], cid, targets[j]))
            if name == "countries":
                place_ids = chosen
        places = " and ".join(country_names[j] for j in place_ids)
        title = f"Demo: {VERBS[verb]} {adj} {noun} in {places}"[:200]
        quote = (
            f"{PARTIES[int(rnd() * n_parties)]} will {VERBS[verb].lower()} {_article(adj)} {adj} {noun} {purpose}, "
            f"in close cooperation with {places}."
        )
        location = f"Section {1 + int(rnd() * 6)}.{1 + int(rnd() * 9)}, paragraph {1 + int(rnd() * 30)}"

        # What became of it: updates along a path to a final status, dated between made and the cap day.
        final = FINAL_STATUSES[pick_final(rnd())]
        path = PATHS[final]
        count = update_count(rnd(), rnd(), k)
        first = min(made + 30, cap)
        days = sorted(first + int(rnd() * (cap - first + 1)) for _ in range(count))
        best = None  # (as_of, published_at key, id) of the effective update, and its status
        for j, as_of in enumerate(days):
            upd_id += 1
            f = j / count
            status = path[int(f / 0.6 * len(path))] if path and f < 0.6 else final
            publisher = actor_names_[pick_publisher(rnd())]
            summary = (
                f"{STATUS_PHRASES[status][int(rnd() * len(STATUS_PHRASES[status]))]} on the {noun} in {places}, "
                f"{DETAILS[int(rnd() * n_details)]} {publisher}."
            )
            confidence = CONFIDENCES[pick_confidence(rnd())]
            created = f"{iso[as_of]} 07:30:00"
            if rnd() < DRAFT_UPDATE_SHARE:
                published = None
                updated = created
            else:
                pub_day = min(as_of + int(rnd() * 11), cap)
                pub_sec = 28800 + int(rnd() * 36000)
                published = updated = f"{iso[pub_day]} {clock[pub_sec]}"
                key = (as_of, pub_day * 86400 + pub_sec, upd_id)
                if best is None or key > best[0]:
                    best = (key, status)
            updates.append(
                (upd_id, cid, status, iso[as_of], summary, confidence, published, None, None, created, updated, True)
            )
            indicates = INDICATES[status]
            for e in range(1 + (rnd() < 0.5)):
                ev_id += 1
                ev_day = max(as_of - int(rnd() * 46), made)
                stance = "contradicts" if rnd() < CONTRADICTS_SHARE else "supports"
                ev_publisher = actor_names_[pick_publisher(rnd())]
                evidence.append((
                    ev_id, cid, upd_id,
                    f"{ev_publisher}: {DOC_TYPES[int(rnd() * n_docs)]} on the {noun} ({iso[ev_day][:4]})",
                    ev_publisher, iso[ev_day], f"https://example.org/demo/evidence/{cid}/{j + 1}/{e + 1}", "",
                    stance, indicates, "", "", "", True,
                ))  # fmt: skip
        if best is None:
            current, current_date = "not_assessed", None
        else:
            current, current_date = best[1], iso[best[0][0]]
        made_created = f"{iso[made]} 09:00:00"
        commitments.append((
            cid, f"demo-{verb_slugs[verb]}-{noun_slugs[noun_i]}-{i + 1}", title, quote, "", location,
            STATEMENT_TYPES[pick_statement(rnd())], "", iso[made], "", iso[due] if due is not None else None, "",
            "stated", "", "", "", "", state, current, current_date, made_created, made_created, None, source_ids[s],
            True,
        ))  # fmt: skip
    ids["update"], ids["evidence"] = upd_id, ev_id
    return block


# --- the writer ------------------------------------------------------------------------------


class DemoDataRefused(Exception):
    """The database is not one the demo data may be written to; the message says why, in one line."""


@dataclass
class Summary:
    commitments: int = 0
    updates: int = 0
    draft_updates: int = 0
    evidence: int = 0
    themes: int = 0
    countries: int = 0
    actors: int = 0
    sources: int = 0
    links: int = 0
    replaced: bool = False
    seconds: float = 0.0
    vendor: str = ""

    def line(self) -> str:
        replaced = " (replacing the earlier synthetic data)" if self.replaced else ""
        return (
            f"Generated {self.commitments:,} commitments, {self.updates:,} status updates "
            f"({self.draft_updates:,} drafts), {self.evidence:,} evidence, {self.sources:,} sources, "
            f"{self.themes} themes, {self.countries} countries, {self.actors} actors and {self.links:,} "
            f"taxonomy links{replaced} in {self.seconds:.1f} s ({self.vendor})."
        )


def _models():
    """The models holding demo rows, children first."""
    from .models import Actor, Commitment, Country, Evidence, Source, StatusUpdate, Theme

    return [Evidence, StatusUpdate, Commitment, Source, Theme, Country, Actor]


def _through_models():
    from .models import Commitment

    return [Commitment.themes.through, Commitment.countries.through, Commitment.actors.through,
            Commitment.related.through]  # fmt: skip


def _tables() -> list[str]:
    """Every table the demo data lives in, children first."""
    models = _models()
    return [m._meta.db_table for m in [*models[:2], *_through_models(), *models[2:]]]


def check_target(*, replace: bool, using: str = "default") -> None:
    """Raise DemoDataRefused if real rows are present, or synthetic ones are and ``replace`` is off."""
    real = [
        str(m._meta.verbose_name_plural)
        for m in _models()
        if m.objects.using(using).filter(is_synthetic=False).exists()
    ]
    if real:
        raise DemoDataRefused(
            f"Refused: this database holds real (non-synthetic) data ({', '.join(reversed(real))}); "
            "demo data is only ever written to a database of its own."
        )
    if not replace and any(m.objects.using(using).exists() for m in _models()):
        raise DemoDataRefused(
            "Refused: this database already holds synthetic demo data; run again with --replace to replace it."
        )


def _max_id(cursor, qn, model) -> int:
    """Highest id used by the table or (for models with history) its history table: ids are never reused,
    so no old history record can attach itself to a new synthetic row."""
    tables = [model._meta.db_table]
    history = getattr(model, "history", None)
    if history is not None:
        tables.append(history.model._meta.db_table)
    top = 0
    for table in tables:
        cursor.execute(f"SELECT MAX(id) FROM {qn(table)}")  # noqa: S608 (table names from model meta)
        top = max(top, cursor.fetchone()[0] or 0)
    return top


def _columns(model, names) -> list[str]:
    return [model._meta.get_field(name).column for name in names]


class _Loader:
    """Bulk loading for one database vendor; used inside the writer's transaction."""

    def __init__(self, connection):
        self.connection = connection
        self.qn = connection.ops.quote_name
        self.cursor = connection.cursor()
        self.raw = self.cursor.cursor  # the DB-API cursor, without Django's debug wrapper
        self.cache_size = None

    def lock(self) -> None:
        """Keep other writers out until commit, so the check stays true (SQLite has one writer anyway)."""
        # A large page cache for this connection while loading: modified pages stay in memory
        # instead of spilling to the journal (restored in end).
        self.cursor.execute("PRAGMA cache_size")
        self.cache_size = self.cursor.fetchone()[0]
        self.cursor.execute("PRAGMA cache_size = -1048576")  # 1 GiB, at most

    def end(self) -> None:
        """Always called, on success or failure."""
        if self.cache_size is not None:
            self.cursor.execute(f"PRAGMA cache_size = {int(self.cache_size)}")
        self.cursor.close()

    def delete_all(self) -> None:
        """Delete every row of the demo tables: only called once they are known to be all synthetic.

        Raw deletes, children first: the ORM's collector would load every row, and
        ``protect_published`` refuses to delete commitments with published updates.
        """
        for table in _tables():
            self.cursor.execute(f"DELETE FROM {self.qn(table)}")  # noqa: S608

    def before_load(self) -> None:
        pass

    def search_triggers_off(self) -> None:
        """The search index's triggers would refresh it once per row: drop them for the load."""
        from . import sqlite_search

        sqlite_search.drop_triggers(self.cursor)

    def insert(self, table: str, columns: list[str], rows) -> None:
        if rows:
            marks = ", ".join(["%s"] * len(columns))
            names = ", ".join(map(self.qn, columns))
            self.raw.executemany(f"INSERT INTO {self.qn(table)} ({names}) VALUES ({marks})", rows)  # noqa: S608

    def after_load(self) -> None:
        # SQLite's AUTOINCREMENT follows explicit ids by itself: no sequences to advance. The search
        # index is rebuilt in one pass and its triggers restored (all inside the transaction).
        from . import sqlite_search

        sqlite_search.rebuild(self.cursor)
        sqlite_search.create_triggers(self.cursor)


class _PostgresLoader(_Loader):
    """COPY, with foreign keys and secondary indexes of the loaded tables dropped while loading and
    rebuilt after (one pass each instead of a check and an index entry per row; the full-text
    GIN index above all). All inside the transaction: on any error the schema is as it was."""

    def search_triggers_off(self) -> None:
        """The search document's triggers would rebuild it once per row: drop them for the load."""
        from . import pg_search

        pg_search.drop_triggers(self.cursor)

    def lock(self) -> None:
        tables = ", ".join(self.qn(t) for t in _tables())
        self.cursor.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")

    def end(self) -> None:
        self.cursor.close()

    def delete_all(self) -> None:
        # Every row is synthetic (checked under the lock): TRUNCATE is the same, and far faster.
        self.cursor.execute(f"TRUNCATE {', '.join(self.qn(t) for t in _tables())}")

    def before_load(self) -> None:
        # Constraints cannot be dropped while checks of earlier writes in this transaction are pending.
        self.cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        self.cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        tables = _tables()
        self.cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) ORDER BY conname",
            [tables],
        )
        self.foreign_keys = self.cursor.fetchall()
        self.cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = ANY(%s::regclass[]) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conindid = indexrelid) ORDER BY 1",
            [tables],
        )
        self.indexes = self.cursor.fetchall()
        for table, name, _ in self.foreign_keys:
            self.cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {self.qn(name)}")
        for name, _ in self.indexes:
            self.cursor.execute(f"DROP INDEX {name}")

    def insert(self, table: str, columns: list[str], rows) -> None:
        if rows:
            with self.raw.copy(f"COPY {self.qn(table)} ({', '.join(map(self.qn, columns))}) FROM STDIN") as copy:
                write = copy.write_row
                for row in rows:
                    write(row)

    def after_load(self) -> None:
        self.cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _, definition in self.indexes:
            self.cursor.execute(definition)
        for table, name, definition in self.foreign_keys:
            self.cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {self.qn(name)} {definition}")
        # Later ORM inserts take ids after the explicit ones.
        for table in _tables():
            self.cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) "  # noqa: S608
                f"FROM {self.qn(table)}",
                [table],
            )
        for table in _tables():
            self.cursor.execute(f"ANALYZE {self.qn(table)}")
        # The search documents in one pass, then the triggers back (inside the transaction).
        from . import pg_search

        pg_search.rebuild(self.cursor)
        pg_search.create_triggers(self.cursor)


def write(*, n: int, k: int = 10, seed: int = 0, replace: bool = False, using: str = "default") -> Summary:
    """Generate and write the demo data in one transaction; returns counts and seconds.

    Raises DemoDataRefused (nothing written) if the database holds real data, or synthetic data
    without ``replace``.
    """
    started = time.perf_counter()
    connection = connections[using]
    summary = Summary(vendor=connection.display_name)
    loader = (_PostgresLoader if connection.vendor == "postgresql" else _Loader)(connection)
    try:
        with transaction.atomic(using=using):
            _write(loader, summary, n=n, k=k, seed=seed, replace=replace, using=using)
    finally:
        loader.end()
    summary.seconds = time.perf_counter() - started
    return summary


def _write(loader: _Loader, summary: Summary, *, n: int, k: int, seed: int, replace: bool, using: str) -> None:
    from . import cache
    from .models import Actor, Commitment, Country, Evidence, Source, StatusUpdate, Theme

    m2m = {
        "themes": (Commitment.themes.through, "theme"),
        "countries": (Commitment.countries.through, "country"),
        "actors": (Commitment.actors.through, "actor"),
    }
    loader.lock()
    check_target(replace=replace, using=using)
    loader.search_triggers_off()
    if replace:
        loader.delete_all()
        summary.replaced = True
    max_id = partial(_max_id, loader.cursor, loader.qn)
    base = IdBase(
        theme=max_id(Theme),
        country=max_id(Country),
        actor=max_id(Actor),
        source=max_id(Source),
        commitment=max_id(Commitment),
        update=max_id(StatusUpdate),
        evidence=max_id(Evidence),
        **{f"{name}_m2m": max_id(through) for name, (through, _) in m2m.items()},
    )
    loader.before_load()
    tax = generate_taxonomies(n=n, seed=seed, base=base)
    for model, fields, rows in (
        (Theme, THEME_FIELDS, tax.themes),
        (Country, COUNTRY_FIELDS, tax.countries),
        (Actor, ACTOR_FIELDS, tax.actors),
        (Source, SOURCE_FIELDS, tax.sources),
    ):
        loader.insert(model._meta.db_table, _columns(model, fields), rows)
    summary.themes, summary.countries = len(tax.themes), len(tax.countries)
    summary.actors, summary.sources = len(tax.actors), len(tax.sources)
    m2m_columns = {
        name: (through._meta.db_table, _columns(through, ("id", "commitment", target)))
        for name, (through, target) in m2m.items()
    }
    commitment_columns = _columns(Commitment, COMMITMENT_FIELDS)
    update_columns = _columns(StatusUpdate, UPDATE_FIELDS)
    evidence_columns = _columns(Evidence, EVIDENCE_FIELDS)
    for block in generate_blocks(n=n, k=k, seed=seed, taxonomies=tax, base=base):
        loader.insert(Commitment._meta.db_table, commitment_columns, block.commitments)
        for name, (table, columns) in m2m_columns.items():
            rows = getattr(block, f"{name}_m2m")
            loader.insert(table, columns, rows)
            summary.links += len(rows)
        loader.insert(StatusUpdate._meta.db_table, update_columns, block.updates)
        loader.insert(Evidence._meta.db_table, evidence_columns, block.evidence)
        summary.commitments += len(block.commitments)
        summary.updates += len(block.updates)
        summary.draft_updates += sum(1 for row in block.updates if row[6] is None)
        summary.evidence += len(block.evidence)
    loader.after_load()
    cache.bump()
