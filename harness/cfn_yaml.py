"""CloudFormation YAML with line marks: `!Ref`, `!GetAtt`, `!Sub` and the other short forms become their long
form (`{"Fn::GetAtt": [A, B]}`), and every mapping, list and string keeps `start_mark`/`end_mark` so errors can
say file:line. It reads templates the way cfn-lint's decoder does (tests/harness/test_cfn_yaml.py compares the
two on every template in the repository) without importing cfn-lint, which pulls in sympy and networkx (0.6 s
of CPU per process); cfn-lint is imported only to validate (`harness lint`)."""
from __future__ import annotations

import copy
from typing import Any, Self

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from harness.memo import remember

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
UNCONVERTED_SUFFIXES = ("Ref", "Condition")  # `!Ref X` is `{"Ref": X}`; every other tag gets the Fn:: prefix
MAX_EXPANDED_NODES = 250_000  # aliases resolved, a template may not be larger (cfn-lint's limit too)
MAX_DEPTH = 200  # the C composer recurses unchecked: 200,000 nested `[` would crash the process


class MarkedDict(dict):
    """A mapping from the template, with where it starts and ends."""

    def __init__(self, value: dict, start_mark: Any, end_mark: Any):
        super().__init__(value)
        self.start_mark, self.end_mark = start_mark, end_mark

    def __deepcopy__(self, memo: dict) -> MarkedDict:  # the marks are shared: nothing changes them
        return MarkedDict({key: copy.deepcopy(value, memo) for key, value in self.items()}, self.start_mark,
                          self.end_mark)


class MarkedList(list):
    """A sequence from the template, with where it starts and ends."""

    def __init__(self, value: list, start_mark: Any, end_mark: Any):
        super().__init__(value)
        self.start_mark, self.end_mark = start_mark, end_mark

    def __deepcopy__(self, memo: dict) -> MarkedList:
        return MarkedList([copy.deepcopy(value, memo) for value in self], self.start_mark, self.end_mark)


class MarkedStr(str):
    """A string from the template, with where it starts and ends."""

    start_mark: Any
    end_mark: Any

    def __new__(cls, value: str, start_mark: Any, end_mark: Any) -> Self:
        obj = super().__new__(cls, value)
        obj.start_mark, obj.end_mark = start_mark, end_mark
        return obj

    def __deepcopy__(self, memo: dict) -> Self:  # immutable
        return self


class _Loader(_Base):
    def construct_marked_map(self, node: MappingNode) -> MarkedDict:
        merging = any(key_node.tag == "tag:yaml.org,2002:merge" for key_node, _ in node.value)
        self.flatten_mapping(node)  # `<<: *base` merges, and later keys then override merged ones
        mapping: dict = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if key is None:
                raise ConstructorError(None, None, f"null key {key_node.value!r} is not supported",
                                       key_node.start_mark)
            try:
                duplicate = not merging and key in mapping
            except TypeError:
                raise ConstructorError(None, None, f"unhashable key {key!r}", key_node.start_mark) from None
            if duplicate:
                first = getattr(next(k for k in mapping if k == key), "start_mark", None)
                raise ConstructorError(None, None, f"duplicate key {key!r}" + (
                    f" (first at line {first.line + 1})" if first is not None else ""), key_node.start_mark)
            mapping[key] = self.construct_object(value_node, deep=True)
        return MarkedDict(mapping, node.start_mark, node.end_mark)

    def construct_marked_str(self, node: ScalarNode) -> MarkedStr:
        return MarkedStr(SafeConstructor.construct_yaml_str(self, node), node.start_mark, node.end_mark)

    def construct_marked_seq(self, node: SequenceNode) -> MarkedList:
        return MarkedList([self.construct_object(child, deep=True) for child in node.value], node.start_mark,
                          node.end_mark)


def _intrinsic(loader: _Loader, suffix: str, node: Any) -> MarkedDict:
    """`!Name value` as `{"Fn::Name": value}` (`{"Ref": value}` for !Ref and !Condition)."""
    name = suffix if suffix in UNCONVERTED_SUFFIXES else f"Fn::{suffix}"
    if name == "Fn::GetAtt" and isinstance(node, ScalarNode):
        value: Any = MarkedList(str(node.value).split(".", 1), node.start_mark, node.end_mark)
    elif isinstance(node, ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, SequenceNode):
        value = MarkedList([loader.construct_object(child, deep=True) for child in node.value], node.start_mark,
                           node.end_mark)
    else:
        value = loader.construct_mapping(node, deep=True)
    return MarkedDict({name: value}, node.start_mark, node.end_mark)


_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_marked_map)
_Loader.add_constructor("tag:yaml.org,2002:str", _Loader.construct_marked_str)
_Loader.add_constructor("tag:yaml.org,2002:seq", _Loader.construct_marked_seq)
_Loader.add_multi_constructor("!", _intrinsic)


_PARSED: dict[str, Any] = {}  # template text -> its data, never handed out (callers get a deep copy)
_PARSED_MAX = 64


def loads(text: str, filename: str = "<template>") -> Any:
    """Parse a template; yaml.YAMLError (with `problem_mark`) on bad input."""
    # A system's template is read again for each scenario that gives it other parameters: copying the parsed
    # data (marks are shared, immutable) costs a tenth of parsing it.
    parsed = _PARSED.get(text)
    if parsed is None:
        parsed = remember(_PARSED, text, _parse(text, filename), _PARSED_MAX)
    return copy.deepcopy(parsed)


def _parse(text: str, filename: str) -> Any:
    if text.count("\n") + text.count("[") + text.count("{") >= MAX_DEPTH:  # else it cannot nest that deep
        _check_depth(text)
    loader = _Loader(text)
    try:
        data = loader.get_single_data()
    finally:
        loader.dispose()
    if data is None:
        data = MarkedDict({}, None, None)
    if "&" in text:
        _check_expansion(data, filename)
    return data


def _check_depth(text: str) -> None:
    """Refuse templates nesting deeper than MAX_DEPTH, before the composer recurses into them."""
    depth = 0
    for event in yaml.parse(text, Loader=_Base):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(None, None, f"nesting deeper than {MAX_DEPTH:,} levels",
                                                  event.start_mark)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _check_expansion(data: Any, filename: str) -> None:
    """Refuse templates whose aliases expand past MAX_EXPANDED_NODES (a "billion laughs" template)."""
    sizes: dict[int, int] = {}

    def size(node: Any) -> int:
        if id(node) in sizes:
            return sizes[id(node)]
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        total = 1 + sum(size(child) for child in children)
        sizes[id(node)] = total
        return total

    if size(data) > MAX_EXPANDED_NODES:
        raise yaml.YAMLError(f"{filename}: YAML aliases expand this template past {MAX_EXPANDED_NODES:,} nodes")
