"""botocore's JSON-protocol request bodies built by a writer made once per input shape.

`JSONSerializer.serialize_to_request` builds every DynamoDB, SQS, Secrets Manager and EventBridge request body by
walking the parameters with the input shape: at every node `_serialize` formats a method name and looks it up, a
structure reads its members and each member's wire name, a list item goes through a wrapper dict (a `put_item`
with a nested item: about 20 µs outside a run, the JSON text included).

`serialize` (as `JSONSerializer._serialize`) builds the top-level body with a writer made once per input shape
object from what botocore does at each node: a structure's given members in the caller's order under their wire
names (an unknown member raises botocore's KeyError), a map's values under the same keys, a list's items, a document
and every type botocore's JSON serializer has no method for (strings, numbers, booleans) as they are; a timestamp,
blob, float or double node is written by botocore's own `_serialize` for that node. Nested calls, a serializer of
another class, a replaced method of `JSONSerializer` or a new `_serialize_type_<type>` go to botocore's code.
"""
from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from botocore.serialize import JSONSerializer

from harness.aws.patches import Patches
from harness.aws.per_shape import PerShape

MAX_WRITERS = 512  # input shapes kept; past it the memory starts again

Writer = Callable[[Any, Any], Any]  # (parameter value, serializer) -> serialized value

_patches = Patches()
_original = JSONSerializer._serialize
_WRITTEN = ("structure", "list", "map")
_PLAIN = ("string", "integer", "long", "boolean", "bigdecimal", "biginteger", "character", "byte", "short")
_OWN = ("_serialize_type_structure", "_serialize_type_map", "_serialize_type_list", "_default_serialize",
        "MAP_TYPE", *(f"_serialize_type_{kind}" for kind in _PLAIN))
_methods = operator.attrgetter(*(name for name in _OWN if hasattr(JSONSerializer, name)))
_missing = frozenset(name for name in _OWN if not hasattr(JSONSerializer, name))
_own = _methods(JSONSerializer)
_writers: PerShape[Writer] = PerShape(lambda shape: _make(shape, {}), MAX_WRITERS)


def _same(value: Any, serializer: Any) -> Any:
    return value


def _plain(serializer: Any) -> bool:
    """True when `serializer` writes JSON bodies with botocore's own JSONSerializer methods."""
    if type(serializer) is not JSONSerializer or _methods(JSONSerializer) != _own or JSONSerializer.MAP_TYPE is not dict:
        return False
    return all(_missing.isdisjoint(cls.__dict__) for cls in JSONSerializer.__mro__)


def writer(shape: Any) -> Writer:
    """The writer serializing parameters of `shape` as botocore's `JSONSerializer._serialize` does."""
    return _writers(shape)


def _make(shape: Any, made: dict) -> Writer:
    kind = shape.type_name
    if kind not in _WRITTEN:
        if kind in _PLAIN and getattr(JSONSerializer, f"_serialize_type_{kind}", None) is None:
            return _same
        return lambda value, serializer: _node(serializer, value, shape)
    if kind == "structure" and shape.is_document_type:
        return _same
    key = (kind, shape.name)
    if key not in made:
        cell: list[Writer] = []
        made[key] = lambda value, serializer: cell[0](value, serializer)
        cell.append({"structure": _structure, "list": _list, "map": _map}[kind](shape, made))
        made[key] = cell[0]
    return made[key]


def _node(serializer: Any, value: Any, shape: Any) -> Any:
    """One node written by botocore's own `_serialize` (as a list item is: through a wrapper dict)."""
    wrapper: dict = {}
    _original(serializer, wrapper, value, shape, "__current__")
    return wrapper["__current__"]


def _structure(shape: Any, made: dict) -> Writer:
    members = {name: (member.serialization.get("name", name), _make(member, made))
               for name, member in shape.members.items()}

    def structure(value: Any, serializer: Any) -> dict:
        written = {}
        for name, item in value.items():
            wire, write = members[name]
            written[wire] = item if write is _same else write(item, serializer)
        return written

    structure.members = members  # type: ignore[attr-defined]  # the top level writes into botocore's body
    return structure


def _list(shape: Any, made: dict) -> Writer:
    write = _make(shape.member, made)
    if write is _same:
        return lambda value, serializer: [item for item in value]
    return lambda value, serializer: [write(item, serializer) for item in value]


def _map(shape: Any, made: dict) -> Writer:
    write = _make(shape.value, made)
    if write is _same:
        return lambda value, serializer: {key: item for key, item in value.items()}
    return lambda value, serializer: {key: write(item, serializer) for key, item in value.items()}


def serialize(self: Any, serialized: Any, value: Any, shape: Any, key: Any = None) -> None:
    """`JSONSerializer._serialize`: `value` of `shape` written into `serialized` (at `key`; the top level: into it)."""
    if key is not None or type(serialized) is not dict or shape is None or shape.type_name != "structure" \
            or shape.is_document_type or not _plain(self):
        return _original(self, serialized, value, shape, key)
    members = writer(shape).members  # type: ignore[attr-defined]
    for name, item in value.items():
        wire, write = members[name]
        serialized[wire] = item if write is _same else write(item, self)


def install() -> None:
    """Write JSON-protocol bodies with writers made once per input shape (idempotent)."""
    if not _patches:
        _patches.replace(JSONSerializer, "_serialize", serialize)


def uninstall() -> None:
    """botocore writes every JSON body with its own `_serialize`."""
    _patches.undo()


def installed() -> bool:
    """True while JSON-protocol bodies are written by remembered writers."""
    return JSONSerializer._serialize is serialize
