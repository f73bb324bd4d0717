"""moto's DynamoDB item sizes worked out without building a `DynamoType` per nested value (moto 5.2.5; installed by
the moto backends with the other fast paths).

moto checks an item's size (at most 405,000 bytes) on every attribute it sets: `LimitedSizeDict.__setitem__` sums
the size of every key and value already in the item, so building an item of n attributes or applying an update's
SET actions costs n sizes each, and `DynamoType.size` builds a new `DynamoType` for every member of a set and every
value of a map (whose constructor wraps each nested list element and map value again) just to ask its size. That
was about a sixth of moto's time answering a messages run's conditional updates.

Here a value's size is worked out from its type and value as `DynamoType.size` works it out (a number: the length
of its text; a set: the sizes of its members as values of the set's scalar type; a list: the sizes of its elements; a
map: each key's UTF-8 length plus its value's size; a boolean or null: 1; anything else: its UTF-8 or byte length),
walking moto's own objects without making new ones. It is used only while every nested value is a plain
`DynamoType` (the class itself): anything else is sized by moto. `LimitedSizeDict.__setitem__` is moto's check
with these sizes (the same sum, the same limit and the same `ItemSizeTooLarge`). tests/harness/aws/test_dynamodb_sizes.py
compares both with hypothesis; the byte-for-byte tests of the other moto fast paths run with this in place.
"""
from __future__ import annotations

from typing import Any

from harness.aws.patches import Patches

_patches = Patches()
_saved = _patches.saved  # moto's originals, while installed
_SETS = ("SS", "NS", "BS")


class _Unusual(Exception):
    """A nested value that is not a plain DynamoType: moto sizes it."""


def installed() -> bool:
    """True while the fast path is in place."""
    return bool(_patches)


def install() -> None:
    """Patch `DynamoType.size` and `LimitedSizeDict.__setitem__` (idempotent)."""
    if _patches:
        return
    from moto.dynamodb.models import dynamo_type
    _patches.keep(module=dynamo_type)
    _patches.replace(dynamo_type.DynamoType, "size", _size, key="size")
    _patches.replace(dynamo_type.LimitedSizeDict, "__setitem__", _setitem, key="setitem")


def uninstall() -> None:
    """Put moto's own code back (tests compare both)."""
    _patches.undo()


def _size(value: Any) -> int:
    """moto's `DynamoType.size`."""
    if type(value) is _saved["module"].DynamoType:
        try:
            return _value_size(value.type, value.value)
        except _Unusual:
            pass
    return _saved["size"](value)


def _value_size(kind: str, value: Any) -> int:
    """The size of a DynamoType of this type and value, as `DynamoType.size` works it out."""
    if kind == "S" and type(value) is str:  # the common case first: text's UTF-8 length
        return len(value.encode("utf-8"))
    if kind == "N":
        return len(str(value))
    if kind in _SETS:
        member = kind[0]
        return sum(_value_size(member, item) for item in value)
    if kind == "L":
        return sum(_nested_size(item) for item in value)
    if kind == "M":
        return sum(_bytesize(key) + _nested_size(item) for key, item in value.items())
    if isinstance(value, bool):
        return 1
    return _bytesize(value)


def _nested_size(item: Any) -> int:
    if type(item) is not _saved["module"].DynamoType:
        raise _Unusual
    return _value_size(item.type, item.value)


def _bytesize(value: Any) -> int:
    """moto's `bytesize`."""
    return len(value if isinstance(value, bytes) else value.encode("utf-8"))


def _setitem(attributes: Any, key: str, value: Any) -> None:
    """moto's `LimitedSizeDict.__setitem__`: the item's size with the new attribute checked against moto's limit."""
    module = _saved["module"]
    if type(attributes) is not module.LimitedSizeDict:
        return _saved["setitem"](attributes, key, value)
    plain = module.DynamoType
    try:  # moto sums the same sizes over its keys and values (as one list): text keys are sized as their str()
        current = sum([len(name.encode("utf-8")) if type(name) is str else _bytesize(str(name))
                       for name in attributes])
        current += sum([_value_size(item.type, item.value) if type(item) is plain else _bytesize(str(item))
                        for item in attributes.values()])
        new = _bytesize(key) + (_value_size(value.type, value.value) if type(value) is plain
                                else _bytesize(str(value)))
    except _Unusual:
        return _saved["setitem"](attributes, key, value)
    if current + new > 405000:  # moto's limit (see LimitedSizeDict)
        raise module.ItemSizeTooLarge
    dict.__setitem__(attributes, key, value)
    return None
