"""botocore's JSON-protocol responses parsed by a walker made once per output shape.

Every answer to a DynamoDB, SQS, Secrets Manager or EventBridge call (the `json` protocol) is parsed by botocore's
`JSONParser`: after `json.loads`, `_parse_shape` walks the output shape and the JSON value together, and at every
node formats a handler name (`_handle_{type}`) and looks it up, reads the shape's `members` and each member's
serialization name again. A DynamoDB `Query` answer of five items is about 140 µs of that, a `PutItem`'s empty one 3.

`handle_json_body` (as `JSONParser._handle_json_body`) parses the same JSON value with a walker made once per output
shape object from what botocore reads at each node: for a structure its members in order with their wire names
(a member whose value is missing or null is left out; a null structure stays null), for a list each item (a null
item stays null), for a map each key and value, for a blob the parser's own blob parser, for a timestamp its own
timestamp parser, and the value itself for every type botocore's JSON parser has no handler for (strings, numbers,
booleans, document structures). A tagged union whose value is not exactly one known non-null member goes to
botocore's `_handle_structure` (its error or unknown-member answer). Everything else of the response (errors,
metadata, event streams, the body's decoding) is botocore's own code.

A parser of another class, a replaced handler or helper method of `JSONParser`, or a handler botocore's JSON parser
gained for another type goes to botocore's `_parse_shape`.
"""
from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from botocore.parsers import JSONParser

from harness.aws.patches import Patches
from harness.aws.per_shape import PerShape

MAX_WALKERS = 512  # output shapes kept; past it the memory starts again

Walker = Callable[[Any, Any], Any]  # (JSON value, parser) -> parsed value

_patches = Patches()
_WALKED = ("structure", "list", "map", "blob", "timestamp")
_PLAIN = ("string", "integer", "long", "boolean", "float", "double", "bigdecimal", "biginteger", "character",
          "byte", "short")  # types botocore's JSON parser hands back as they are (no `_handle_` method)
_OWN = ("_parse_shape", "_handle_structure", "_handle_list", "_handle_map", "_handle_blob", "_handle_timestamp",
        "_default_handle", "_has_unknown_tagged_union_member", "_parse_body_as_json",
        *(f"_handle_{kind}" for kind in _PLAIN))


_methods = operator.attrgetter(*(name for name in _OWN if hasattr(JSONParser, name)))
_missing = frozenset(name for name in _OWN if not hasattr(JSONParser, name))
_own = _methods(JSONParser)


def _plain(parser: Any) -> bool:
    """True when `parser` parses JSON bodies with botocore's own JSONParser methods."""
    if type(parser) is not JSONParser or _methods(JSONParser) != _own:
        return False
    return all(_missing.isdisjoint(cls.__dict__) for cls in JSONParser.__mro__)
_walkers: PerShape[Walker] = PerShape(lambda shape: _make(shape, {}), MAX_WALKERS)


def _same(value: Any, parser: Any) -> Any:
    return value


def walker(shape: Any) -> Walker:
    """The walker parsing a JSON value of `shape` as botocore's `JSONParser._parse_shape` does."""
    return _walkers(shape)


def _make(shape: Any, made: dict[tuple[str, str], Walker]) -> Walker:
    """A walker for `shape`; `made` holds the named shapes' walkers already begun (shapes refer to themselves:
    DynamoDB's AttributeValue holds maps and lists of AttributeValue)."""
    kind = shape.type_name
    if kind not in _WALKED:
        if kind in _PLAIN and getattr(JSONParser, f"_handle_{kind}", None) is None:
            return _same
        return lambda value, parser: parser._parse_shape(shape, value)
    if kind == "blob":
        return lambda value, parser: parser._blob_parser(value)
    if kind == "timestamp":
        return lambda value, parser: parser._timestamp_parser(value)
    if kind == "structure" and shape.is_document_type:
        return _same
    key = (kind, shape.name)
    if key in made:
        return made[key]
    cell: list[Walker] = []
    made[key] = lambda value, parser: cell[0](value, parser)
    made_walker = {"structure": _structure, "list": _list, "map": _map}[kind](shape, made)
    cell.append(made_walker)
    made[key] = made_walker
    return made_walker


def _structure(shape: Any, made: dict) -> Walker:
    members = [(name, member.serialization.get("name", name), _leaf(_make(member, made)))
               for name, member in shape.members.items()]
    if shape.is_tagged_union:
        names = frozenset(wire for _, wire, _ in members)

        def union(value: Any, parser: Any) -> Any:
            if type(value) is not dict or len(value) != 1 or next(iter(value)) not in names \
                    or "__type" in value or next(iter(value.values())) is None:
                return parser._handle_structure(shape, value)
            return walk(value, parser)
    else:
        union = None

    def walk(value: Any, parser: Any) -> Any:
        if value is None:
            return None
        parsed = {}
        for name, wire, parse in members:
            raw = value.get(wire)
            if raw is not None:
                parsed[name] = raw if parse is None else parse(raw, parser)
        return parsed

    return union or walk


def _list(shape: Any, made: dict) -> Walker:
    parse = _leaf(_make(shape.member, made))
    if parse is None:
        return lambda node, parser: list(node)
    return lambda node, parser: [None if item is None else parse(item, parser) for item in node]


def _map(shape: Any, made: dict) -> Walker:
    key, value = _leaf(_make(shape.key, made)), _leaf(_make(shape.value, made))
    if key is None and value is None:
        return lambda node, parser: dict(node.items())
    key, value = key or _same, value or _same
    return lambda node, parser: {key(k, parser): value(v, parser) for k, v in node.items()}


def _leaf(made: Walker) -> Walker | None:
    """None for a walker that hands back its value (called as nothing)."""
    return None if made is _same else made


def handle_json_body(self: Any, raw_body: Any, shape: Any) -> Any:
    """`JSONParser._handle_json_body`: the body's JSON value parsed by its shape's walker."""
    parsed_json = self._parse_body_as_json(raw_body)
    if shape is None or not _plain(self):
        return self._parse_shape(shape, parsed_json)
    return walker(shape)(parsed_json, self)


def install() -> None:
    """Parse JSON-protocol bodies with walkers made once per output shape (idempotent)."""
    if not _patches:
        _patches.replace(JSONParser, "_handle_json_body", handle_json_body)


def uninstall() -> None:
    """botocore parses every JSON body with its own `_parse_shape`."""
    _patches.undo()


def installed() -> bool:
    """True while JSON-protocol bodies are parsed by remembered walkers."""
    return JSONParser._handle_json_body is handle_json_body

