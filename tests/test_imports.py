"""The modules of ``commitments`` import one another in one direction: no cycles.

Every ``import`` of every module is read from its source (``ast``), relative ones resolved,
those inside functions included: a lazy import that only hides a cycle is still a cycle. Only
the optional, database-specific or heavy modules in ``LAZY_ALLOWED`` may be imported lazily.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = "commitments"
ROOT = Path(__file__).resolve().parent.parent / PACKAGE

# Imported inside functions on purpose; those imports are not followed. Each with its reason.
LAZY_ALLOWED = {
    f"{PACKAGE}.pg_search": "PostgreSQL only",
    f"{PACKAGE}.sqlite_search": "SQLite only",
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        if "migrations" in parts:
            continue
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _package_of(name: str, path: Path) -> str:
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules of the package that ``name`` imports (with the packages that holds them)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    lazy = {id(node) for fn in ast.walk(tree) if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
            for node in ast.walk(fn)}
    package = _package_of(name, path)
    targets: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            wanted = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            # ``from . import x`` imports the module ``x`` when there is one, else a name of the package.
            wanted = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        else:
            continue
        for target in wanted:
            if target not in modules or (id(node) in lazy and target in LAZY_ALLOWED):
                continue
            # Importing a.b.c runs a/__init__ and a/b/__init__ first, unless they are being imported already.
            chain = target.split(".")
            for depth in range(2, len(chain) + 1):
                step = ".".join(chain[:depth])
                if step in modules and not name.startswith(f"{step}.") and step != name:
                    targets.add(step)
    return targets


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (as a path that returns to its start) per strongly connected group of modules."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan; the graph is small, recursion is fine
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_path_within(graph, set(group)) for group in groups]


def _path_within(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """A shortest cycle through the group's first module, staying inside the group."""
    start = min(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for other in sorted(graph[node] & group):
                if other == start:
                    return [*paths[node], start]
                if other not in paths:
                    paths[other] = [*paths[node], other]
                    following.append(other)
        frontier = following
    return sorted(group)


def test_the_walk_sees_lazy_and_relative_imports():
    graph = import_graph()
    assert f"{PACKAGE}.models" in graph[f"{PACKAGE}.filtersets"]
    assert f"{PACKAGE}.status" in graph[f"{PACKAGE}.templatetags.tracker"]  # ``from .. import status``
    assert f"{PACKAGE}.signals" in graph[f"{PACKAGE}.apps"]  # imported inside a function


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    found = cycles(import_graph())
    assert not found, "Import cycles:\n" + "\n".join(" -> ".join(cycle) for cycle in found)
