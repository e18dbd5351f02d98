"""What the public may see is said once per model, in ``commitments/querysets.py``.

``Commitment.objects.public()``, ``StatusUpdate.objects.published()`` / ``.public()``,
``Evidence.objects.public()``, ``ProgressReport.objects.published()`` and, for sources and
taxonomy entries, ``Source/Theme/Country/Actor.objects.public()`` (used by a public commitment;
for link tables and paths, ``public_q`` / ``published_q`` / ``public_links``). This test reads every
module of ``commitments`` and fails on a filter written by hand elsewhere (``state=…``, ``state__in``,
``…__state``, ``published_at__isnull`` …), so a new page, count, export or feed cannot quietly
disagree about what is public. Writes that *set* a state are not filters and are not matched.
It also fails where a module that serves the public reads sources or taxonomy entries other than
through their ``public()`` (an entry only a draft uses would show up, though its page is 404).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "commitments"
RULES_MODULE = ROOT / "querysets.py"

# Calls that select rows: a visibility keyword in one of them is a hand-written visibility filter.
SELECTING = {"filter", "exclude", "get", "Q", "get_object_or_404", "get_list_or_404", "Exists", "Count", "When"}
VISIBILITY_LOOKUP = re.compile(r"(^|__)(state|state__in|state__exact|published_at__(isnull|gt|gte|lt|lte|exact))$")
# The same rules written as SQL text.
VISIBILITY_SQL = re.compile(r"published_at\s+IS\s+(NOT\s+)?NULL|\bstate\s*(=|IN)\s*\(?\s*'", re.IGNORECASE)

# Where a visibility condition must be written out, and why (path relative to commitments/: count).
ALLOWED = {
    # The search documents are kept by triggers inside the database (SQL, no QuerySet can run there);
    # test_search checks that a draft's words are never found.
    "pg_search.py": 1,
    "sqlite_search.py": 1,
}


def _lookups(call: ast.Call):
    """The lookup names a call filters on: its keywords, and the keys of a ``**{...}`` literal."""
    for keyword in call.keywords:
        if keyword.arg is not None:
            yield keyword.arg
        elif isinstance(keyword.value, ast.Dict):
            yield from (k.value for k in keyword.value.keys if isinstance(k, ast.Constant) and isinstance(k.value, str))


def _callee(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def hand_written_filters(source: str, name: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source, filename=name)):
        if isinstance(node, ast.Call) and _callee(node) in SELECTING:
            for lookup in _lookups(node):
                if VISIBILITY_LOOKUP.search(lookup):
                    found.append(f"{name}:{node.lineno}: {_callee(node)}({lookup}=…)")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and VISIBILITY_SQL.search(node.value):
            found.append(f"{name}:{node.lineno}: SQL {node.value.strip()[:60]!r}")
    return found


def _modules():
    for path in sorted(ROOT.rglob("*.py")):
        if "migrations" not in path.parts and path != RULES_MODULE:
            yield path


def test_the_search_finds_what_it_should():
    sample = (
        "Commitment.objects.filter(state=Commitment.State.PUBLISHED)\n"
        "through.objects.filter(commitment__state='published')\n"
        "Q(status_update__published_at__isnull=False)\n"
        "ProgressReport.objects.exclude(**{'state__in': ['draft']})\n"
        "services.set_commitment_state(commitment=c, state='published')\n"  # a write, not a filter
        "Commitment(slug='x', state='draft')\n"  # a write, not a filter
        "SQL = 'SELECT 1 FROM u WHERE u.published_at IS NOT NULL'\n"
    )
    found = [line.split(": ", 1)[1] for line in hand_written_filters(sample, "sample.py")]
    assert found == [
        "filter(state=…)",
        "filter(commitment__state=…)",
        "Q(status_update__published_at__isnull=…)",
        "exclude(state__in=…)",
        "SQL 'SELECT 1 FROM u WHERE u.published_at IS NOT NULL'",
    ]


def test_visibility_is_written_only_in_the_querysets():
    found = []
    for path in _modules():
        name = str(path.relative_to(ROOT))
        hits = hand_written_filters(path.read_text(), name)
        if len(hits) != ALLOWED.get(name, 0):
            found += hits
    assert not found, (
        "Visibility filters written by hand (use public()/published() from querysets.py):\n" + "\n".join(found)
    )


# --- sources and taxonomy entries: read through their public() ------------------------------------

ENTRY_MODELS = {"Source", "Theme", "Country", "Actor"}
# Modules that write, or serve staff only: they may read every entry (paths relative to commitments/).
STAFF_MODULES = ("admin", "reports/admin.py", "importing/", "demo_data/", "management/", "services.py",
                 "revisions.py", "signals.py", "public_log.py", "models.py", "dataset/restore.py")


def _entry_reads(source: str, name: str) -> list[str]:
    """Reads of sources or taxonomy entries not through ``public()``: ``Theme.objects.filter(…)``,
    ``taxonomy.model.objects.all()``, ``get_object_or_404(Source, …)`` or ``(taxonomy.model, …)``."""
    found = []

    def is_entry_model(node) -> bool:
        return (isinstance(node, ast.Name) and node.id in ENTRY_MODELS) or (
            isinstance(node, ast.Attribute) and node.attr == "model")

    for node in ast.walk(ast.parse(source, filename=name)):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute) and node.value.attr == "objects"
                and is_entry_model(node.value.value) and node.attr != "public"):
            found.append((node.lineno, ast.unparse(node)))
        elif (isinstance(node, ast.Call) and _callee(node) in ("get_object_or_404", "get_list_or_404") and node.args
              and is_entry_model(node.args[0])):
            found.append((node.lineno, f"{_callee(node)}({ast.unparse(node.args[0])}, …)"))
    return [f"{name}:{line}: {what}" for line, what in sorted(found)]


def test_the_entry_search_finds_what_it_should():
    sample = (
        "Theme.objects.values_list('pk', 'name')\n"
        "t.model.objects.order_by()\n"
        "get_object_or_404(taxonomy.model, slug=slug)\n"
        "get_object_or_404(Source, slug=slug)\n"
        "Theme.objects.public().values_list('pk')\n"  # through public(): fine
        "get_object_or_404(taxonomy.public(), slug=slug)\n"  # fine
        "Commitment.objects.all()\n"  # not an entry model
    )
    found = [line.split(": ", 1)[1] for line in _entry_reads(sample, "sample.py")]
    assert found == ["Theme.objects.values_list", "t.model.objects.order_by", "get_object_or_404(taxonomy.model, …)",
                     "get_object_or_404(Source, …)"]


def test_public_modules_read_sources_and_entries_only_through_public():
    found = []
    for path in _modules():
        name = str(path.relative_to(ROOT))
        if not name.startswith(STAFF_MODULES):
            found += _entry_reads(path.read_text(), name)
    assert not found, (
        "Sources or taxonomy entries read without .public() in a public module (an entry only a draft uses "
        "has no public page; use Model.objects.public() or Taxonomy.public()):\n" + "\n".join(found)
    )
