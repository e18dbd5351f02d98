"""A search box's text as a query both databases answer alike, and its SQL for each.

What a reader may type (the same on SQLite and PostgreSQL):

- words: every one must match (``returnees Kazakhstan``); English and Russian word forms meet
  (``returnee``; ``терроризма`` finds ``терроризм``);
- ``"a quoted phrase"``: its words in that order;
- ``-word`` or ``-"a phrase"``: leave out what has it (a query of exclusions alone finds nothing);
- ``a or b`` (or ``a или b``): either (binds the two terms beside it).

Each term is widened by ``search_terms`` (abbreviations, compounds). Everything else (brackets,
stars, colons, ``NEAR``) is read as spaces: the reader's text never reaches FTS5's or tsquery's own
syntax. On SQLite every phrase is a quoted FTS5 string of ``\\w`` words, its Russian words as their stems
(``search_stems``, as the index holds them); on PostgreSQL each one is a parameter of ``phraseto_tsquery``
in each configuration (English and Russian, OR-ed), combined with tsquery operators.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import search_stems, search_terms
from .search_terms import Phrase

_TOKEN = re.compile(r'(?:(?<=\s)|^)(-?)"([^"]*)"?|(?:(?<=\s)|^)(-?)(' + search_terms.COMPOUND.pattern + r")|("
                    + search_terms.COMPOUND.pattern + ")")
OR = {("or",), ("или",)}


@dataclass(frozen=True)
class Clause:
    """One required (or, ``negated``, excluded) term: it matches if any of its phrases does."""

    phrases: tuple[Phrase, ...]
    negated: bool = False


@dataclass(frozen=True)
class Query:
    clauses: tuple[Clause, ...]

    @property
    def required(self) -> tuple[Clause, ...]:
        return tuple(c for c in self.clauses if not c.negated)

    @property
    def excluded(self) -> tuple[Clause, ...]:
        return tuple(c for c in self.clauses if c.negated)

    @property
    def finds_anything(self) -> bool:
        """False when no required term is left (only punctuation, stop words or exclusions): nothing matches."""
        return bool(self.required)

    def phrases(self) -> set[Phrase]:
        """Every phrase a match may hold (the highlighting marks these)."""
        return {phrase for clause in self.required for phrase in clause.phrases}


def parse(text: str) -> Query:
    """Read ``text`` (words, "phrases", -exclusions, ``or``) into clauses, each widened by the glossary."""
    tokens: list[tuple[bool, bool, str]] = []  # (negated, quoted, as typed)
    for match in _TOKEN.finditer(text):
        if match.group(2) is not None:
            if search_terms.words(match.group(2)):
                tokens.append((match.group(1) == "-", True, match.group(2)))
        else:
            tokens.append((match.group(3) == "-", False, match.group(4) or match.group(5)))
    clauses: list[Clause] = []
    join_next = False
    i = 0
    while i < len(tokens):
        negated, quoted, typed = tokens[i]
        phrase = search_terms.words(typed)
        if not quoted and phrase in OR and clauses and i + 1 < len(tokens):
            join_next = True
            i += 1
            continue
        # Unquoted single words that together spell a glossary term are one term ("counter terrorism").
        run = _glossary_run(tokens, i)
        if run > 1:
            typed = " ".join(t for _, _, t in tokens[i:i + run])
            phrase = search_terms.words(typed)
        i += max(run, 1)
        if not quoted and run <= 1 and len(phrase) == 1 and phrase[0] in search_terms.STOP_WORDS:
            join_next = False
            continue
        clause = Clause(search_terms.alternatives(typed), negated)
        if join_next and clauses[-1].negated == negated:
            clauses[-1] = Clause(clauses[-1].phrases + tuple(p for p in clause.phrases
                                                             if p not in clauses[-1].phrases), negated)
        else:
            clauses.append(clause)
        join_next = False
    return Query(tuple(clauses))


def _glossary_run(tokens: list[tuple[bool, bool, str]], start: int) -> int:
    """How many plain (unquoted, not excluded, one-word) tokens from ``start`` spell one glossary term together."""
    plain: list[str] = []
    for negated, quoted, typed in tokens[start:]:
        phrase = search_terms.words(typed)
        if negated or quoted or len(phrase) != 1:
            break
        plain.append(phrase[0])
    if len(plain) < 2:
        return 0
    run = search_terms.longest_glossary_run(tuple(plain), 0)
    return run if run > 1 else 0


# --- SQLite (FTS5) --------------------------------------------------------------------------------

def fts5_expression(query: Query) -> str | None:
    """The FTS5 MATCH expression: clauses ANDed, each an OR of quoted phrases; None when nothing can match.

    Every phrase is made of ``\\w`` words inside double quotes, so none of it is FTS5 syntax. Russian words
    are given as their stems, as the index holds them (``sqlite_search``); FTS5 stems the English ones.
    """
    if not query.finds_anything:
        return None

    def clause(c: Clause) -> str:
        return "(" + " OR ".join('"' + search_stems.stem(" ".join(p)) + '"' for p in c.phrases) + ")"

    expression = " AND ".join(clause(c) for c in query.required)
    if query.excluded:
        expression = f"({expression}) NOT ({' OR '.join(clause(c) for c in query.excluded)})"
    return expression


# --- PostgreSQL (tsquery) -------------------------------------------------------------------------

def tsquery_sql(query: Query, configs: tuple[str, ...]) -> tuple[str, list[str]] | None:
    """A tsquery expression and its parameters: each phrase a ``phraseto_tsquery`` in each of ``configs``,
    OR-ed (the document holds every configuration's lexemes); None when nothing can match. ``configs`` are
    constants (``pg_search.CONFIGS``), never the reader's text."""
    if not query.finds_anything:
        return None
    params: list[str] = []

    def clause(c: Clause) -> str:
        parts = []
        for p in c.phrases:
            for config in configs:
                params.append(" ".join(p))
                parts.append(f"phraseto_tsquery('{config}', %s)")
        return "(" + " || ".join(parts) + ")"

    parts = [clause(c) for c in query.required] + [f"!!{clause(c)}" for c in query.excluded]
    return "(" + " && ".join(parts) + ")", params
