"""Load YAML remembering where each mapping and key is, so an import error can name its line.

Safe loading only (no arbitrary objects). Two things plain ``yaml.safe_load`` gets wrong for
an editor's file are reported instead: a key given twice in one mapping (PyYAML silently keeps
the last) and an impossible date such as ``2019-13-45`` (PyYAML raises a bare ValueError).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path

import yaml


class LineDict(dict):
    """A YAML mapping that knows its own line and the line of each key (1-based)."""

    line: int = 0

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.key_lines: dict = {}

    def line_of(self, key) -> int:
        return self.key_lines.get(key, self.line)


class BadDate(str):
    """A scalar that looks like a date but is not one (e.g. 2019-02-30); validation reports it."""


@dataclass(frozen=True)
class YamlProblem:
    line: int | None
    message: str


class YamlLoadError(Exception):
    def __init__(self, problem: YamlProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


class _Loader(yaml.SafeLoader):
    def __init__(self, stream) -> None:
        super().__init__(stream)
        self.problems: list[YamlProblem] = []


def _construct_map(loader: _Loader, node: yaml.MappingNode):
    data = LineDict()
    data.line = node.start_mark.line + 1
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, Hashable):
            loader.problems.append(YamlProblem(line, "a mapping key must be a plain value"))
            continue
        if key in data:
            loader.problems.append(YamlProblem(line, f"key '{key}' is given twice in the same entry"))
        data[key] = loader.construct_object(value_node, deep=True)
        data.key_lines[key] = line


def _construct_timestamp(loader: _Loader, node: yaml.ScalarNode):
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return BadDate(loader.construct_scalar(node))


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def load(*, path: Path) -> tuple[object, list[YamlProblem]]:
    """The document in ``path`` and any problems found while building it.

    Raises YamlLoadError for an unreadable file or a YAML syntax error (with its line).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise YamlLoadError(YamlProblem(None, "file not found")) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise YamlLoadError(YamlProblem(None, f"cannot read the file ({exc})")) from None
    loader = _Loader(text)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = " ".join(part for part in (exc.context, exc.problem) if part)
        if exc.context_mark and exc.problem_mark and exc.context_mark.line != exc.problem_mark.line:
            what += f" (what is unclosed starts at line {exc.context_mark.line + 1})"
        raise YamlLoadError(YamlProblem(line, f"YAML syntax error: {what}")) from None
    except yaml.YAMLError as exc:
        raise YamlLoadError(YamlProblem(None, f"YAML syntax error: {exc}")) from None
    finally:
        loader.dispose()
    return data, loader.problems
