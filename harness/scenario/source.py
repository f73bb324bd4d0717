"""YAML with positions: the loaded data plus the line and column of every key and value."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.events import ScalarEvent

from harness import dependencies
from harness.scenario import limits
from harness.scenario.errors import Problem, ScenarioError, format_path


@dataclass
class Source:
    """A parsed YAML file: `data`, and where each value (and each mapping key) starts, by path."""

    file: str
    data: Any
    values: dict[tuple, tuple[int, int]] = field(default_factory=dict)
    keys: dict[tuple, tuple[int, int]] = field(default_factory=dict)
    parser: str = field(default="python", compare=False)  # "libyaml" when the C parser read it

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


class _Exceeded(Exception):
    """A limit was crossed at a position in the file."""

    def __init__(self, line: int, column: int, message: str):
        super().__init__(message)
        self.line, self.column = line, column


class _DepthBound:
    """Composer mixin refusing nesting deeper than `_max_depth` (the composer recurses once per level, so a
    10,000-deep file would otherwise end in RecursionError)."""

    _depth = _max_depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > self._max_depth:
                mark = self.peek_event().start_mark  # type: ignore[attr-defined]
                raise _Exceeded(mark.line + 1, mark.column + 1, f"nesting deeper than {self._max_depth} levels"
                                                                + limits.hint("max_yaml_depth"))
            return super().compose_node(parent, index)  # type: ignore[misc]
        finally:
            self._depth -= 1


class _BoundedLoader(_DepthBound, yaml.SafeLoader):
    """Pure-Python SafeLoader with the depth bound: the reference path, and the one every refusal goes through."""

    def __init__(self, text: str, max_depth: int):
        super().__init__(text)
        self._max_depth = max_depth


_CSafeLoader: Any = getattr(yaml, "CSafeLoader", None)  # None when PyYAML was built without libyaml


class _FastBoundedLoader(_DepthBound, Composer, _CSafeLoader or object):  # type: ignore[misc]
    """libyaml's scanner and parser (C, ten times faster) feeding the same Python composer, resolver and
    constructor as _BoundedLoader, so nodes, tags, anchors and the depth bound are those of the Python path.
    (The C composer is not used: it recurses in C with no depth check.)"""

    def __init__(self, text: str, max_depth: int):
        _CSafeLoader.__init__(self, text)
        Composer.__init__(self)  # the anchors table: CParser.__init__ does not chain to it
        self._max_depth, self._flow = max_depth, 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if getattr(event, "tag", None) is not None:  # libyaml reads tags its own way (`!*a!` is one)
            raise _UsePython
        if self._flow and isinstance(event, ScalarEvent) and not event.style and (
                "?" in event.value or event.start_mark.index == event.end_mark.index):
            raise _UsePython  # in [..] and {..}: libyaml lets `?` into a plain scalar, marks `a: ,` elsewhere
        flow = bool(getattr(event, "flow_style", False))
        self._flow += flow
        try:
            return super().compose_node(parent, index)
        finally:
            self._flow -= flow


class _UsePython(Exception):
    """The C parser met something only the Python one reads the Python way."""


# Characters whose handling differs between the readers: PyYAML refuses the non-printable ones (with the
# position libyaml would not give) and does not count a byte-order mark in a column; such text takes the Python
# path whole.
_PYTHON_ONLY = re.compile(yaml.reader.Reader.NON_PRINTABLE.pattern + "|[\ufeff\t\r\x85\u2028\u2029]|[|>][-+0-9]*#")


def _compose(text: str, max_depth: int, libyaml: bool) -> tuple[Any, Any]:
    """(loader, root node) of one YAML document; the C parser when it can, else (and on any refusal) Python's."""
    if libyaml and _CSafeLoader is not None and text.endswith("\n") and not _PYTHON_ONLY.search(text):
        loader = _FastBoundedLoader(text, max_depth)
        try:
            return loader, loader.get_single_node()
        except Exception:  # noqa: BLE001, S110 - a refusal: the Python path refuses it again in its own words
            pass
        finally:
            loader.dispose()
    loader = _BoundedLoader(text, max_depth)  # the reader checks every character here
    try:
        return loader, loader.get_single_node()
    finally:
        loader.dispose()


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def parse(text: str, file: str, libyaml: bool = True) -> Source:
    """Parse one YAML document, keeping positions; raise ScenarioError for syntax errors, duplicate keys, bad
    values and crossed limits (depth, values after alias expansion). `libyaml=False` forces the pure-Python
    parser (the result is the same, only slower)."""
    bound = limits.current()
    try:
        loader, node = _compose(text, bound.max_yaml_depth, libyaml)
    except _Exceeded as exc:
        raise ScenarioError([Problem(file, exc.line, exc.column, "", str(exc))]) from None
    except RecursionError:
        raise ScenarioError([Problem(file, 1, 1, "", "nesting deeper than Python can parse; lower "
                                     "--max-yaml-depth")]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        raise ScenarioError([Problem(file, line, column, "", f"YAML syntax error: {_one_line(what)}")]) from None
    except yaml.reader.ReaderError as exc:
        line, column = _position(text, exc.position)
        raise ScenarioError([Problem(file, line, column, "", f"unacceptable character #x{exc.character:04x} "
                                     f"(control characters are not allowed in YAML text)")]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem(file, 1, 1, "", f"YAML error: {_one_line(exc)}")]) from None
    source = Source(file, None, parser="libyaml" if isinstance(loader, _FastBoundedLoader) else "python")
    problems: list[Problem] = []
    if node is None:
        raise ScenarioError([Problem(file, 1, 1, "", "the file is empty (expected a scenario mapping)")])
    try:
        source.data = _build(loader, node, (), source, problems, _Budget(bound.max_yaml_values))
    except _Exceeded as exc:
        raise ScenarioError([Problem(file, exc.line, exc.column, "", str(exc))]) from None
    except RecursionError:
        raise ScenarioError([Problem(file, 1, 1, "", "nesting deeper than Python can build; lower "
                                     "--max-yaml-depth")]) from None
    if problems:
        raise ScenarioError(problems)
    return source


def _position(text: str, index: int) -> tuple[int, int]:
    """(line, column) of a character index."""
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def read(path: str | Path) -> Source:
    """Read and parse a scenario file (at most the size limit, UTF-8)."""
    path = Path(path)
    bound = limits.current()
    dependencies.note(path)
    try:
        size = path.stat().st_size
        if size > bound.max_file_bytes:
            raise ScenarioError([Problem(str(path), 1, 1, "", f"the file is {size:,} bytes, over the limit of "
                                         f"{bound.max_file_bytes:,}{limits.hint('max_file_bytes')}")])
        with path.open("rb") as handle:
            data = handle.read(bound.max_file_bytes + 1)
    except FileNotFoundError:
        raise ScenarioError([Problem(str(path), 1, 1, "", "file not found (expected a scenario .yaml file)")]) from None
    except OSError as exc:
        raise ScenarioError([Problem(str(path), 1, 1, "", f"cannot read the file: {exc.strerror or exc}")]) from None
    if len(data) > bound.max_file_bytes:  # it grew after stat (a device or a file being written)
        raise ScenarioError([Problem(str(path), 1, 1, "", f"the file is over the limit of "
                                     f"{bound.max_file_bytes:,} bytes{limits.hint('max_file_bytes')}")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ScenarioError([Problem(str(path), line, column, "", f"the file is not UTF-8 text (byte "
                                     f"0x{data[exc.start]:02x} cannot be decoded)")]) from None
    return parse(text, str(path))


class _Budget:
    """Counts values as aliases are expanded (a YAML bomb expands a few lines into billions)."""

    def __init__(self, limit: int):
        self.limit, self.used = limit, 0
        self.open: set[int] = set()  # collections being built: meeting one again is a circular alias

    def spend(self, node: yaml.Node) -> None:
        self.used += 1
        if self.used > self.limit:
            raise _Exceeded(node.start_mark.line + 1, node.start_mark.column + 1,
                            f"more than {self.limit:,} values once YAML aliases are expanded (a YAML bomb?)"
                            + limits.hint("max_yaml_values"))


def _build(loader: yaml.SafeLoader, node: yaml.Node, path: tuple, source: Source, problems: list,
           budget: _Budget) -> Any:
    budget.spend(node)
    source.values.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
        if node.tag not in _PLAIN_COLLECTIONS:
            problems.append(Problem(source.file, node.start_mark.line + 1, node.start_mark.column + 1,
                                    format_path(path), f"unsupported tag {node.tag!r} (scenarios are plain YAML)"))
            return None
        if id(node) in budget.open:
            raise _Exceeded(node.start_mark.line + 1, node.start_mark.column + 1,
                            "circular alias: this anchor contains itself")
        budget.open.add(id(node))
        try:
            return (_mapping if isinstance(node, yaml.MappingNode) else _sequence)(loader, node, path, source,
                                                                                   problems, budget)
        finally:
            budget.open.discard(id(node))
    try:
        return loader.construct_object(node, deep=True)
    except _UNREADABLE as exc:
        problems.append(Problem(source.file, node.start_mark.line + 1, node.start_mark.column + 1,
                                format_path(path), f"bad value: {_describe(exc, node)}"))
        return None


_PLAIN_COLLECTIONS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:omap")


# What PyYAML's constructors raise on a value they cannot read: ValueError for an impossible date (2030-02-30),
# and IndexError, KeyError or AttributeError for an explicit tag on the wrong text (`!!int` alone, `!!bool x`,
# `!!timestamp x`).
_UNREADABLE = (yaml.YAMLError, ValueError, OverflowError, LookupError, AttributeError, TypeError)


def _describe(exc: Exception, node: yaml.Node) -> str:
    """One line saying what is wrong (a YAML error without its multi-line position dump)."""
    if isinstance(exc, yaml.MarkedYAMLError):
        return _one_line(" ".join(str(x) for x in (exc.context, exc.problem) if x))
    if isinstance(exc, (ValueError, OverflowError)):
        return _one_line(exc)
    return f"{_one_line(node.value)!r} cannot be read as !!{node.tag.rsplit(':', 1)[-1]}"


def _sequence(loader: yaml.SafeLoader, node: yaml.SequenceNode, path: tuple, source: Source, problems: list,
              budget: _Budget) -> list:
    return [_build(loader, item, path + (i,), source, problems, budget) for i, item in enumerate(node.value)]


def _mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, path: tuple, source: Source, problems: list,
             budget: _Budget) -> dict:
    try:
        loader.flatten_mapping(node)
    except RecursionError:
        raise _Exceeded(node.start_mark.line + 1, node.start_mark.column + 1,
                        "circular merge: a `<<:` merge includes itself") from None
    except yaml.YAMLError as exc:
        problems.append(Problem(source.file, node.start_mark.line + 1, node.start_mark.column + 1,
                                format_path(path), f"bad merge: {_describe(exc, node)}"))
        return {}
    out: dict = {}
    for key_node, value_node in node.value:
        try:
            key = loader.construct_object(key_node, deep=True)
        except _UNREADABLE as exc:
            problems.append(Problem(source.file, key_node.start_mark.line + 1, key_node.start_mark.column + 1,
                                    format_path(path), f"bad key: {_describe(exc, key_node)}"))
            continue
        if not isinstance(key, (str, int, float, bool)) or key is None:
            key = str(key)
        child = path + (key,)
        source.keys.setdefault(child, (key_node.start_mark.line + 1, key_node.start_mark.column + 1))
        if key in out:
            problems.append(Problem(source.file, key_node.start_mark.line + 1, key_node.start_mark.column + 1,
                                    format_path(child), f"duplicate key {key!r} (each key may appear once)"))
            continue
        out[key] = _build(loader, value_node, child, source, problems, budget)
    return out
