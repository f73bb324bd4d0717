"""YAML with positions: the loaded data plus the line and column of every key and value."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness.scenario.errors import Problem, ScenarioError, format_path


@dataclass
class Source:
    """A parsed YAML file: `data`, and where each value (and each mapping key) starts, by path."""

    file: str
    data: Any
    values: dict[tuple, tuple[int, int]] = field(default_factory=dict)
    keys: dict[tuple, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: tuple, key: bool = False) -> tuple[int, int]:
        """(line, column) of `path`; the nearest located parent when the path itself is absent."""
        table = self.keys if key else self.values
        probe = tuple(path)
        while probe:
            if probe in table:
                return table[probe]
            if probe in self.values:
                return self.values[probe]
            probe = probe[:-1]
        return self.values.get((), (1, 1))

    def problem(self, path: tuple, message: str, key: bool = False) -> Problem:
        """A Problem located at `path`."""
        line, column = self.where(path, key)
        return Problem(self.file, line, column, format_path(path), message)


def parse(text: str, file: str) -> Source:
    """Parse one YAML document, keeping positions; raise ScenarioError for syntax errors and duplicate keys."""
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (NUL, other controls)
        before = text[:exc.position]
        line, column = before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
        raise ScenarioError([Problem(file, line, column, "", f"YAML error: character {exc.character!r} is not "
                                                             f"allowed in YAML (write it as an escape in a double-"
                                                             f"quoted string)")]) from None
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        raise ScenarioError([Problem(file, line, column, "", f"YAML syntax error: {what}")]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem(file, 1, 1, "", f"YAML error: {exc}")]) from None
    finally:
        loader.dispose()
    source = Source(file, None)
    problems: list[Problem] = []
    if node is None:
        raise ScenarioError([Problem(file, 1, 1, "", "the file is empty (expected a scenario mapping)")])
    source.data = _build(loader, node, (), source, problems)
    if problems:
        raise ScenarioError(problems)
    return source


def read(path: str | Path) -> Source:
    """Read and parse a scenario file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([Problem(str(path), 1, 1, "", "file not found (expected a scenario .yaml file)")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([Problem(str(path), 1, 1, "", f"cannot read the file: {exc}")]) from None
    return parse(text, str(path))


def _build(loader: yaml.SafeLoader, node: yaml.Node, path: tuple, source: Source, problems: list) -> Any:
    source.values[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        out: dict = {}
        for key_node, value_node in node.value:
            try:
                key = loader.construct_object(key_node, deep=True)
            except yaml.YAMLError as exc:
                problems.append(Problem(source.file, key_node.start_mark.line + 1, key_node.start_mark.column + 1,
                                        format_path(path), f"bad key: {exc}"))
                continue
            if not isinstance(key, (str, int, float, bool)) or key is None:
                key = str(key)
            child = path + (key,)
            source.keys[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if key in out:
                problems.append(Problem(source.file, key_node.start_mark.line + 1, key_node.start_mark.column + 1,
                                        format_path(child), f"duplicate key {key!r} (each key may appear once)"))
                continue
            out[key] = _build(loader, value_node, child, source, problems)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, path + (i,), source, problems) for i, item in enumerate(node.value)]
    try:
        return loader.construct_object(node, deep=True)
    except yaml.YAMLError as exc:
        problems.append(Problem(source.file, node.start_mark.line + 1, node.start_mark.column + 1,
                                format_path(path), f"bad value: {exc}"))
        return None
