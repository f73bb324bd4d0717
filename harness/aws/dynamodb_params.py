"""boto3's DynamoDB resource calls: their parameters copied, and their values converted, for less.

Every action of a boto3 DynamoDB resource (`Table.put_item`, `query`, `update_item`...) goes through three
customizations boto3 registers on the resource's client:
- `copy_dynamodb_params` ('provide-client-params.dynamodb') deep-copies the caller's parameters, with a memo that
  forgets everything (each repeated object is copied again), so boto3 may change the copy. `copy.deepcopy` asks
  its dispatch table, `__deepcopy__` and `__reduce_ex__` for every value; a condition (`Key("pk").eq(x)`) is
  rebuilt through its reduce tuple. About 12-27 µs a call outside a run, 50 in one.
- `TypeSerializer.serialize` turns each attribute value into DynamoDB's typed form, checking the value against
  ten kinds in order and formatting a method name per value.
- `TypeDeserializer.deserialize` turns the typed values of the answer back (five items of a `Query`: about 40 µs).

`copy_params` makes the copy `copy.deepcopy` makes with boto3's memo: a new dict (keys and values copied), list or
tuple (the tuple itself when every item copies to itself) for exactly those types; the value itself for `str`,
`int`, `float`, `bool`, `None`, `bytes` and `Decimal` (deepcopy's atomic types; `Decimal.__deepcopy__` hands back
the value); for a condition or attribute object of `boto3.dynamodb.conditions` whose class keeps `object`'s reduce,
state and construction (deepcopy's `_reconstruct`): a new object of the class with a copy of its attributes; and
`copy.deepcopy` with a new forgetful memo for anything else (a set, a `Binary`, a subclass, another object).

`serialize` and `deserialize` take the same branches boto3's code takes for values of exactly `str`, `dict`,
`list`, `bool`, `None` and `int` (its number text made by boto3's `DYNAMODB_CONTEXT`, as boto3 makes it), and
`{'S'|'N'|'M'|'L'|'BOOL'|'NULL': ...}` dicts the other way (the first key decides, as in boto3); any other value,
a subclass of either converter or a replaced method of theirs goes to boto3's own code for that value.
"""
from __future__ import annotations

import copy
import copyreg
import operator
from decimal import Decimal
from typing import Any

from boto3.dynamodb import conditions, transform
from boto3.dynamodb import types as boto3_types
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from harness.aws.patches import Patches

_patches = Patches()
_copy_params = transform.copy_dynamodb_params  # boto3's own, called by the tests and for nothing else
_serialize = TypeSerializer.serialize
_deserialize = TypeDeserializer.deserialize
_SAME = frozenset((str, int, float, bool, type(None), bytes, Decimal))
_SERIALIZER = operator.attrgetter("_get_dynamodb_type", "_serialize_s", "_serialize_n", "_serialize_m",
                                  "_serialize_l", "_serialize_bool", "_serialize_null")
_DESERIALIZER = operator.attrgetter("_deserialize_s", "_deserialize_n", "_deserialize_m",
                                    "_deserialize_l", "_deserialize_bool", "_deserialize_null")
_own_serializer = _SERIALIZER(TypeSerializer)
_own_deserializer = _DESERIALIZER(TypeDeserializer)
_OBJECT_PARTS = ("__reduce_ex__", "__reduce__", "__getstate__", "__new__")
_object_parts = tuple(getattr(object, name) for name in _OBJECT_PARTS)


def copy_params(params: Any, **kwargs: Any) -> Any:
    """boto3's `copy_dynamodb_params`: a deep copy of the call's parameters, no object shared."""
    return _copied(params)


def _copied(value: Any) -> Any:
    kind = type(value)
    if kind in _SAME:
        return value
    if kind is dict:
        return {_copied(key): _copied(item) for key, item in value.items()}
    if kind is list:
        return [_copied(item) for item in value]
    if kind is tuple:
        items = [_copied(item) for item in value]
        return value if all(a is b for a, b in zip(value, items)) else tuple(items)
    if _plain_condition(kind):
        made = kind.__new__(kind)
        state = value.__dict__
        if state:
            made.__dict__.update(_copied(state))
        return made
    return copy.deepcopy(value, transform._ForgetfulDict())


def _plain_condition(kind: type) -> bool:
    """True for a class of boto3's conditions module that deepcopy rebuilds from `object`'s reduce tuple."""
    if kind.__module__ != conditions.__name__ or getattr(conditions, kind.__name__, None) is not kind:
        return False
    if tuple(getattr(kind, name) for name in _OBJECT_PARTS) != _object_parts or kind in copyreg.dispatch_table:
        return False
    return not any(hasattr(kind, name) for name in ("__deepcopy__", "__setstate__", "__slots__"))


def serialize(self: Any, value: Any) -> dict:
    """`TypeSerializer.serialize`: the value in DynamoDB's typed form."""
    if type(self) is not TypeSerializer or _SERIALIZER(TypeSerializer) != _own_serializer:
        return _serialize(self, value)
    return _typed(self, value)


def _typed(self: Any, value: Any) -> dict:
    kind = type(value)
    if kind is str:
        return {"S": value}
    if kind is dict:
        return {"M": {key: _typed(self, item) for key, item in value.items()}}
    if kind is list:
        return {"L": [_typed(self, item) for item in value]}
    if kind is bool:
        return {"BOOL": value}
    if value is None:
        return {"NULL": True}
    if kind is int:
        number = str(boto3_types.DYNAMODB_CONTEXT.create_decimal(value))
        if number not in ("Infinity", "NaN"):
            return {"N": number}
    return _serialize(self, value)


def deserialize(self: Any, value: Any) -> Any:
    """`TypeDeserializer.deserialize`: the Python value of a DynamoDB typed value."""
    if type(self) is not TypeDeserializer or _DESERIALIZER(TypeDeserializer) != _own_deserializer:
        return _deserialize(self, value)
    return _untyped(self, value)


def _untyped(self: Any, value: Any) -> Any:
    if type(value) is dict and value:
        tag = next(iter(value))
        if tag == "S":
            return value["S"]
        if tag == "M":
            return {key: _untyped(self, item) for key, item in value["M"].items()}
        if tag == "N":
            return boto3_types.DYNAMODB_CONTEXT.create_decimal(value["N"])
        if tag == "L":
            return [_untyped(self, item) for item in value["L"]]
        if tag == "BOOL":
            return value["BOOL"]
        if tag == "NULL":
            return None
    return _deserialize(self, value)


def install() -> None:
    """Copy resource calls' parameters and convert their values with the paths above (idempotent). A resource made
    earlier keeps the copy handler it registered."""
    if not _patches:
        _patches.replace(transform, "copy_dynamodb_params", copy_params)
        _patches.replace(TypeSerializer, "serialize", serialize)
        _patches.replace(TypeDeserializer, "deserialize", deserialize)


def uninstall() -> None:
    """boto3's own copy and conversions (for resources made afterwards; conversions at once)."""
    _patches.undo()


def installed() -> bool:
    """True while resource calls' parameters are copied and converted by this module."""
    return (transform.copy_dynamodb_params is copy_params and TypeSerializer.serialize is serialize
            and TypeDeserializer.deserialize is deserialize)
