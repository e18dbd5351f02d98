"""Russian word stems for the SQLite search and for the highlighting (Snowball ``russian``, in Python).

FTS5 has no Russian stemmer, so on SQLite this module does, on both sides: the triggers pass every
text of a commitment's document through ``index_text`` (a function registered on each connection,
``sqlite_search``) and the query's words go through ``stem`` before they become an FTS5 phrase
(``search_query.fts5_expression``). Only runs of Cyrillic letters are rewritten, each to its stem;
every other character stays, so FTS5's own tokenizer (``porter unicode61 remove_diacritics 2``) still
does what it did for English: Latin words are stemmed by FTS5's Porter exactly as before, and it
passes a Cyrillic stem through unchanged (its rules match Latin suffixes only; ``й`` stays ``й``).
PostgreSQL's ``russian`` configuration uses the same
Snowball algorithm (``ё`` read as ``е`` by both), so the two databases stem Russian words alike.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache

import snowballstemmer

CYRILLIC = re.compile(r"[\u0400-\u04ff]+")

_local = threading.local()  # a Snowball stemmer keeps state while it stems: one per thread


@lru_cache(maxsize=65536)
def _stem_word(word: str) -> str:
    stemmer = getattr(_local, "russian", None)
    if stemmer is None:
        stemmer = _local.russian = snowballstemmer.stemmer("russian")
    return stemmer.stemWord(word)


# Cyrillic letters (U+0400–U+04FF) are two bytes in UTF-8, the first one of these.
_CYRILLIC_LEAD_BYTES = (b"\xd0", b"\xd1", b"\xd2", b"\xd3")


def has_cyrillic(text: str) -> bool:
    """Whether ``text`` has a Cyrillic letter: a byte search, since the triggers ask it of every English text
    too (about ten times faster than the regular expression over a long one)."""
    if text.isascii():
        return False
    encoded = text.encode("utf-8", "surrogatepass")
    return any(lead in encoded for lead in _CYRILLIC_LEAD_BYTES)


def stem(text: str) -> str:
    """``text`` with each run of Cyrillic letters lower-cased and replaced by its Russian stem."""
    if not has_cyrillic(text):
        return text
    return CYRILLIC.sub(lambda m: _stem_word(m.group().lower()), text)


def index_text(text: str | None) -> str | None:
    """What SQLite indexes of a document's column (the registered SQL function): ``stem``, NULL kept."""
    return None if text is None else stem(text)

