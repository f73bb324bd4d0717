"""Hypothesis strategies for call parameters of a botocore shape (shared by the tests of the request paths)."""
import datetime
from decimal import Decimal

from hypothesis import strategies as st

odd = st.recursive(st.none() | st.booleans() | st.integers(-2, 2) | st.text(max_size=2) | st.floats(-1, 1)
                   | st.just(Decimal("0.5")) | st.binary(max_size=2),
                   lambda inner: st.lists(inner, max_size=2) | st.tuples(inner) | st.dictionaries(
                       st.text(max_size=2), inner, max_size=2), max_leaves=3)


def params(shape, depth: int = 0) -> st.SearchStrategy:
    """Parameters of `shape` as callers pass them (required members given, optional ones now and then)."""
    kind, least = shape.type_name, shape.metadata.get("min", 0)
    if depth > 4:
        return odd
    if kind == "structure":
        members = {name: st.deferred(lambda member=member: params(member, depth + 1))
                   for name, member in shape.members.items()}
        required = {name: members[name] for name in shape.metadata.get("required", ())}
        return st.fixed_dictionaries(required, optional={k: v for k, v in members.items() if k not in required})
    if kind == "list":
        return st.lists(params(shape.member, depth + 1), min_size=least, max_size=least + 2) | st.tuples(
            params(shape.member, depth + 1))
    if kind == "map":
        return st.dictionaries(params(shape.key), params(shape.value, depth + 1), max_size=2)  # keys: strings
    if kind == "string":
        return st.text(min_size=least, max_size=least + 3)
    if kind in ("integer", "long"):
        return st.integers(least - 1, least + 100) if "min" in shape.metadata else st.integers(-5, 100) | st.booleans()
    if kind in ("float", "double"):
        return st.floats(allow_nan=True) | st.integers() | st.decimals(allow_nan=False, places=2)
    if kind == "boolean":
        return st.booleans()
    if kind == "blob":
        return st.binary(max_size=4) | st.text(max_size=2)
    if kind == "timestamp":
        return st.datetimes() | st.just("2020-01-01T00:00:00Z") | st.just(datetime.date(2020, 1, 1))
    return odd
