"""The stored texts a commitment was read from, and the one test of "the source's own words".

A data file's sources point at texts kept beside it: a seed file (``seed_file``, found next to the
YAML file or in its ``sources/`` folder) and, for web pages, the passages that were read (a passage
file ``sources/passages/<source-id>.txt`` when there is one, else the YAML's own ``passages``).
``verbatim`` is the test used for commitment quotes (tests/test_fixtures.py) and for a deadline's
wording (``target_text``): exact characters, no normalisation of spaces, case or punctuation.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

PASSAGE_URL = "URL: "


def verbatim(words: str, texts: Iterable[str]) -> bool:
    """Whether ``words`` occur, character for character, in one of ``texts``."""
    return bool(words) and any(words in text for text in texts)


def parse_passages(text: str) -> list[tuple[str, str]]:
    """(url, text) pairs of a passage file: blocks separated by a blank line, each led by ``URL: <url>``.

    Raises ValueError naming the first block that does not start with ``URL: ``.
    """
    pairs = []
    for n, block in enumerate(text.strip("\n").split("\n\n"), 1):
        head, _, body = block.partition("\n")
        if not head.startswith(PASSAGE_URL):
            raise ValueError(f"passage block #{n} must start with '{PASSAGE_URL}<address>'")
        pairs.append((head.removeprefix(PASSAGE_URL), body))
    return pairs


def seed_path(folder: Path, name: str) -> Path | None:
    """The seed file ``name`` beside a data file in ``folder`` (or in its ``sources/``), if it is there."""
    for path in (folder / name, folder / "sources" / name):
        if path.is_file():
            return path
    return None


def passage_path(folder: Path, source_id: str) -> Path | None:
    """The passage file of a source, beside a data file in ``folder``, if there is one."""
    path = folder / "sources" / "passages" / f"{source_id}.txt"
    return path if path.is_file() else None
