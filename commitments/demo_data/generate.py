"""Pure generation of the demo rows: from a seed, with ``random.Random``, the taxonomies and then the
commitments in blocks (with their m2m links, status updates and evidence), as tuples in the field order
of ``vocabulary``. No database reads or writes; the only clock read is the cap on dates (``_cap_day``).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone
from django.utils.text import slugify

from ..status import effective_key
from .draw import _distinct, _Picker, zipf_weights
from .vocabulary import (
    ACTOR_COUNT,
    ADJECTIVES,
    ARCHIVED_COMMITMENT_SHARE,
    CONFIDENCE_WEIGHTS,
    CONFIDENCES,
    CONTRADICTS_SHARE,
    COUNTRIES,
    COUNTRY_ASSESSED_SHARE,
    DETAILS,
    DOC_TYPES,
    DRAFT_COMMITMENT_SHARE,
    DRAFT_UPDATE_SHARE,
    DUE_DATE_SHARE,
    DUE_FROM,
    DUE_TO,
    FINAL_STATUSES,
    FINAL_WEIGHTS,
    INDICATES,
    INTERNATIONAL_ACTORS,
    LAST_DAY,
    MADE_FROM,
    MADE_TO,
    NATIONAL_BODIES,
    NO_UPDATES_SHARE,
    NOUNS,
    PARTIES,
    PATHS,
    PER_COUNTRY_SHARE,
    PURPOSES,
    SOURCE_KINDS,
    STATEMENT_TYPES,
    STATUS_PHRASES,
    THEMES,
    VERBS,
)

BLOCK = 2000  # commitments per block (rows are generated and written block by block)


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
    country_status: int = 0


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
    country_statuses: list[tuple] = field(default_factory=list)


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
        "country_status": base.country_status,
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
    country_statuses = block.country_statuses
    upd_id, ev_id = ids["update"], ids["evidence"]

    def history(cid: int, country: int | None, places: str, noun: str, made: int, first: int, count: int,
                final: str) -> tuple | None:
        """Append ``count`` updates (overall, or for ``country``) walking to ``final``, each with evidence;
        return the ``effective_key`` and status of the published one that holds, or None."""
        nonlocal upd_id, ev_id
        path = PATHS[final]
        days = sorted(first + int(rnd() * (cap - first + 1)) for _ in range(count))
        best = None
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
                key = effective_key(as_of, pub_day * 86400 + pub_sec, upd_id)  # the project's rule
                if best is None or key > best[0]:
                    best = (key, status)
            updates.append((upd_id, cid, status, iso[as_of], summary, confidence, published, None, None, created,
                            updated, True, country))
            indicates = INDICATES[status]
            for e in range(1 + (rnd() < 0.5)):
                ev_id += 1
                ev_day = max(as_of - int(rnd() * 46), made)
                stance = "contradicts" if rnd() < CONTRADICTS_SHARE else "supports"
                ev_publisher = actor_names_[pick_publisher(rnd())]
                where = f"{country}/" if country else ""
                evidence.append((
                    ev_id, cid, upd_id,
                    f"{ev_publisher}: {DOC_TYPES[int(rnd() * n_docs)]} on the {noun} ({iso[ev_day][:4]})",
                    ev_publisher, iso[ev_day], f"https://example.org/demo/evidence/{cid}/{where}{j + 1}/{e + 1}",
                    "", stance, indicates, "", "", "", True,
                ))  # fmt: skip
        return best

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
        count = update_count(rnd(), rnd(), k)
        first = min(made + 30, cap)
        best = history(cid, None, places, noun, made, first, count, final)
        if best is None:
            current, current_date = "not_assessed", None
        else:
            current, current_date = best[1], iso[best[0][0]]
        scope = "regional"
        if len(place_ids) > 1 and rnd() < PER_COUNTRY_SHARE:
            # Per country: some countries get their own history (own final status, own dates), the
            # others stay unassessed there; the overall history above is assessed on its own.
            scope = "per_country"
            for j in place_ids:
                if rnd() >= COUNTRY_ASSESSED_SHARE:
                    continue
                held = history(cid, country_ids[j], country_names[j], noun, made, first,
                               1 + int(rnd() * max(1, k)), FINAL_STATUSES[pick_final(rnd())])
                if held is not None:  # the country's latest published update (``status.EFFECTIVE_ORDER``)
                    ids["country_status"] += 1
                    (as_of, _, update_id), status = held
                    country_statuses.append((ids["country_status"], cid, country_ids[j], status, iso[as_of],
                                             update_id))
        made_created = f"{iso[made]} 09:00:00"
        commitments.append((
            cid, f"demo-{verb_slugs[verb]}-{noun_slugs[noun_i]}-{i + 1}", title, quote, "", location,
            STATEMENT_TYPES[pick_statement(rnd())], "", iso[made], "", iso[due] if due is not None else None,
            f"by {iso[due]}" if due is not None else "",
            "stated", "", "", "", "", state, current, current_date, made_created, made_created, None, source_ids[s],
            True, iso[made], scope,  # known_since: every demo commitment has a date made
        ))  # fmt: skip
    ids["update"], ids["evidence"] = upd_id, ev_id
    return block
