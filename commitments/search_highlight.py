"""Marking what a search matched: its words in a text, wrapped in ``<mark>``, escaped first.

The words are matched as the database matched them: the query's phrases come from ``search_query``
(the glossary and compounds of ``search_terms`` included), and each word is compared by its English
stem from the same algorithm the database uses (PostgreSQL's ``english`` configuration: Snowball
English; SQLite's FTS5 ``porter`` tokenizer: Porter, over accent-free words), a Russian word by its
Russian stem (Snowball ``russian`` on both: PostgreSQL's ``russian`` configuration, ``search_stems``
on SQLite). Pure Python on the texts of one page: no query.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

import snowballstemmer
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from . import search_stems, search_terms
from .search_query import Query

_WORD = re.compile(r"\w+")
# Around a snippet's first match: this many characters before it, and in all.
SNIPPET_BEFORE, SNIPPET_LENGTH = 80, 240


@cache
def _stemmer(vendor: str):
    return snowballstemmer.stemmer("english" if vendor == "postgresql" else "porter")


@lru_cache(maxsize=65536)  # a page's texts repeat their words: stemming each afresh cost most of a search's page
def _normal(word: str, vendor: str) -> str:
    word = word.lower()
    if search_stems.has_cyrillic(word):
        return search_stems.stem(word)
    if vendor != "postgresql":  # FTS5's ``remove_diacritics 2``
        word = "".join(ch for ch in unicodedata.normalize("NFKD", word) if not unicodedata.combining(ch))
    return _stemmer(vendor).stemWord(word)


@lru_cache(maxsize=256)  # one query marks a hundred texts on a list page: its stems once, not per text
def _phrases(query: Query, vendor: str) -> tuple[tuple[str, ...], ...]:
    """The query's phrases as stems (a slashed word such as ``p/cve`` as its parts)."""
    found = set()
    for phrase in query.phrases():
        parts = search_terms.words(" ".join(phrase))
        if parts:
            found.add(tuple(_normal(w, vendor) for w in parts))
    return tuple(sorted(found, key=len, reverse=True))


def _marked_words(text: str, query: Query, vendor: str) -> tuple[list[re.Match], set[int]]:
    """The words of ``text`` and the indexes of those a phrase of ``query`` matches."""
    tokens = list(_WORD.finditer(text))
    stems = [_normal(t.group(), vendor) for t in tokens]
    marked: set[int] = set()
    for phrase in _phrases(query, vendor):
        n = len(phrase)
        for i in range(len(stems) - n + 1):
            if tuple(stems[i:i + n]) == phrase:
                marked.update(range(i, i + n))
    return tokens, marked


def highlight(text: str, query: Query | None, *, vendor: str) -> SafeString:
    """``text`` escaped, with the words ``query`` matched in ``<mark>``: each piece is escaped on its own, so a
    mark never falls inside an escaped entity (``&amp;``)."""
    if query is None:
        return mark_safe(escape(text))  # noqa: S308 - escaped
    tokens, marked = _marked_words(text, query, vendor)
    out, at = [], 0
    for i, token in enumerate(tokens):
        if i in marked:
            out.append(escape(text[at:token.start()]))
            out.append(f"<mark>{escape(token.group())}</mark>")
            at = token.end()
    out.append(escape(text[at:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece escaped above


def snippet(text: str, query: Query | None, *, vendor: str) -> SafeString:
    """A passage of ``text`` around the first word ``query`` matched (the start when none), highlighted,
    with an ellipsis where it was cut."""
    start = 0
    if query is not None:
        tokens, marked = _marked_words(text, query, vendor)
        if marked:
            start = max(0, tokens[min(marked)].start() - SNIPPET_BEFORE)
    if start:  # begin at a word
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 20 else start
    end = start + SNIPPET_LENGTH
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    passage = highlight(text[start:end], query, vendor=vendor)
    return mark_safe(("… " if start else "") + passage + (" …" if end < len(text) else ""))  # noqa: S308
