"""botocore's parameter validation answered by a check made once per input shape, when the parameters are valid.

Before serializing a call botocore's `ParamValidator.validate` walks the parameters with the operation's input
shape, collecting every error: at each node it looks for special cases, formats a method name and calls a
type-checking wrapper (a `put_item` with a nested item: about 32 µs outside a run). Nearly every call is valid.

`validate` (as `ParamValidator.validate`) first asks a check made once per input shape object whether botocore's
walk would find no error; when it says yes, the answer is an empty `ValidationErrors`, which is what botocore's
walk returns then. The check accepts only what botocore accepts: a structure that is exactly a `dict` with every
required member, no unknown one and (for a tagged union) exactly one; a list exactly a `list` or `tuple`, a map
exactly a `dict`; a string exactly `str`, an integer or long exactly `int` or `bool`, a boolean exactly `bool`, a
float or double exactly `float`, `int`, `bool` or `Decimal`; a blob exactly `bytes`, `bytearray` or `str`; each with
its shape's `min` length or value (a host label: at least 1). Anything else (a timestamp, a document, a JSON-value
header, a subclass of a container type, a shape type it does not know) makes it answer no, and botocore's own walk
runs: a call with an error gets botocore's own report. A validator of another class or a replaced method of
`ParamValidator` goes to botocore's code.
"""
from __future__ import annotations

import operator
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from botocore.validate import ParamValidator, ValidationErrors

from harness.aws.patches import Patches
from harness.aws.per_shape import PerShape

MAX_CHECKS = 512  # input shapes kept; past it the memory starts again

Check = Callable[[Any], bool]

_patches = Patches()
_original = ParamValidator.validate
_METHODS = operator.attrgetter(
    "_validate", "_check_special_validation_cases", "_validate_structure", "_validate_string", "_validate_list",
    "_validate_map", "_validate_integer", "_validate_long", "_validate_boolean", "_validate_double",
    "_validate_float", "_validate_blob", "_shape_has_constraints", "SCALAR_TYPES", "CONTAINER_TYPES")
_own = _METHODS(ParamValidator)
_NUMBERS = frozenset((int, bool, float, Decimal))
_checks: PerShape[Check] = PerShape(lambda shape: _make(shape, {}), MAX_CHECKS)


def _never(value: Any) -> bool:
    return False


def check(shape: Any) -> Check:
    """The check answering whether botocore finds no error in parameters of `shape`."""
    return _checks(shape)


def _least(shape: Any) -> int | float | None:
    """The smallest length or value botocore's `range_check` lets through for `shape` (None: no bound)."""
    if "min" in shape.metadata:
        return shape.metadata["min"]
    return 1 if shape.serialization.get("hostLabel") else None


def _make(shape: Any, made: dict) -> Check:
    kind = shape.type_name
    if kind in ("structure", "list", "map"):
        if kind == "structure" and shape.is_document_type:
            return _never
        key = (kind, shape.name, bool(shape.serialization.get("hostLabel")))
        if key not in made:
            cell: list[Check] = []
            made[key] = lambda value: cell[0](value)
            cell.append({"structure": _structure, "list": _list, "map": _map}[kind](shape, made))
            made[key] = cell[0]
        return made[key]
    least = _least(shape)
    if kind == "string":
        if shape.serialization.get("jsonvalue"):
            return _never
        if least is None:
            return lambda value: type(value) is str
        return lambda value: type(value) is str and not len(value) < least
    if kind in ("integer", "long"):
        return _bounded((int, bool), least)
    if kind in ("float", "double"):
        return _bounded(_NUMBERS, least)
    if kind == "boolean":
        return lambda value: type(value) is bool
    if kind == "blob":
        return lambda value: type(value) in (bytes, bytearray, str)
    return _never


def _bounded(types: Any, least: Any) -> Check:
    if least is None:
        return lambda value: type(value) in types
    return lambda value: type(value) in types and not value < least


def _structure(shape: Any, made: dict) -> Check:
    members = {name: _make(member, made) for name, member in shape.members.items()}
    required = tuple(shape.metadata.get("required", ()))
    union = shape.is_tagged_union

    def structure(value: Any) -> bool:
        if type(value) is not dict or (union and len(value) != 1):
            return False
        for name in required:
            if name not in value:
                return False
        for name, item in value.items():
            member = members.get(name)
            if member is None or not member(item):
                return False
        return True

    return structure


def _list(shape: Any, made: dict) -> Check:
    member, least = _make(shape.member, made), _least(shape)

    def items(value: Any) -> bool:
        if (type(value) is not list and type(value) is not tuple) or (least is not None and len(value) < least):
            return False
        return all(map(member, value))

    return items


def _map(shape: Any, made: dict) -> Check:
    key, item = _make(shape.key, made), _make(shape.value, made)

    def entries(value: Any) -> bool:
        if type(value) is not dict:
            return False
        return all(key(k) and item(v) for k, v in value.items())

    return entries


def validate(self: Any, params: Any, shape: Any) -> ValidationErrors:
    """`ParamValidator.validate`: the errors botocore finds in `params` (none, when the shape's check passes)."""
    if type(self) is ParamValidator and _METHODS(ParamValidator) == _own and shape is not None \
            and check(shape)(params):
        return ValidationErrors()
    return _original(self, params, shape)


def install() -> None:
    """Answer valid parameters from checks made once per input shape (idempotent)."""
    if not _patches:
        _patches.replace(ParamValidator, "validate", validate)


def uninstall() -> None:
    """botocore walks every call's parameters again."""
    _patches.undo()


def installed() -> bool:
    """True while valid parameters are answered from remembered checks."""
    return ParamValidator.validate is validate
