"""Matching helpers for expectations: subset comparison, count specs and trace event selectors."""
from __future__ import annotations

import copy
import json
import re
from decimal import Decimal
from typing import Any

from pydantic import model_validator

from harness.scenario.values import Model

ANY = "$any"


def subset(expected: Any, found: Any) -> bool:
    """True when `found` has everything `expected` has: mappings recursively, lists element-wise,
    numbers by value; `"$any"` matches any present value and `{"$regex": p}` a matching string."""
    return matches(expected, found, exact=False)


def equals(expected: Any, found: Any) -> bool:
    """Exact equality: as `subset`, but every mapping has exactly the expected keys, nothing more
    (`"$any"` and `{"$regex": p}` still match a value)."""
    return matches(expected, found, exact=True)


def matches(expected: Any, found: Any, exact: bool) -> bool:
    """`subset` (exact=False) or `equals` (exact=True); JSON text is parsed when a structure is expected."""
    if expected == ANY:
        return True
    if isinstance(expected, dict) and set(expected) == {"$regex"}:
        return isinstance(found, str) and re.search(str(expected["$regex"]), found) is not None
    if isinstance(expected, dict):
        found = _maybe_json(found)
        return isinstance(found, dict) and (not exact or set(expected) == set(found)) and \
            all(k in found and matches(v, found[k], exact) for k, v in expected.items())
    if isinstance(expected, list):
        found = _maybe_json(found)
        return isinstance(found, list) and len(found) == len(expected) and \
            all(matches(e, f, exact) for e, f in zip(expected, found))
    return equal_scalars(expected, found)


def equal_scalars(expected: Any, found: Any) -> bool:
    """Numbers compare by value (1 == 1.0 == Decimal('1')); everything else with ==."""
    numbers = (int, float, Decimal)
    if isinstance(expected, numbers) and isinstance(found, numbers) and not isinstance(expected, bool) \
            and not isinstance(found, bool):
        return Decimal(str(expected)) == Decimal(str(found))
    return expected == found


def _maybe_json(value: Any) -> Any:
    if isinstance(value, (str, bytes)):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def plain(value: Any) -> Any:
    """JSON-friendly copy: Decimals become int/float, bytes become text."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [plain(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def copied(value: Any) -> Any:
    """A deep copy of plain JSON values (dicts, lists, scalars) made without `copy.deepcopy`'s bookkeeping; any
    other value is copied by `copy.deepcopy`."""
    kind = type(value)
    if kind is dict:
        return {k: copied(v) for k, v in value.items()}
    if kind is list:
        return [copied(v) for v in value]
    if kind in _ATOMS:
        return value
    return copy.deepcopy(value)


_ATOMS = frozenset({str, int, float, bool, type(None)})


# What json.dumps(value, sort_keys=True, default=str) builds on every call, built once.
_SHOW_JSON = json.JSONEncoder(sort_keys=True, default=str)


def show(value: Any, limit: int = 300) -> str:
    """Compact JSON for messages, shortened to `limit` characters."""
    try:
        text = _SHOW_JSON.encode(plain(value))
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Range(Model):
    """An inclusive count range: `{min: 1}`, `{max: 3}`, `{min: 1, max: 3}`."""

    min: int | None = None
    max: int | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.min is None and self.max is None:
            raise ValueError("expected at least one of min, max")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        return self


Count = int | Range


def count_ok(spec: Count, n: int) -> bool:
    """Does `n` satisfy an exact count or a range?"""
    if isinstance(spec, int):
        return n == spec
    return (spec.min is None or n >= spec.min) and (spec.max is None or n <= spec.max)


def count_text(spec: Count) -> str:
    """'3', 'at least 1', 'between 1 and 3'."""
    if isinstance(spec, int):
        return str(spec)
    if spec.max is None:
        return f"at least {spec.min}"
    if spec.min is None:
        return f"at most {spec.max}"
    return f"between {spec.min} and {spec.max}"
