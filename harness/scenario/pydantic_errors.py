"""Turns pydantic validation errors into located, plain-language Problems."""
from __future__ import annotations

import re
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from harness.scenario.errors import Problem, one_of, suggest
from harness.scenario.source import Source

_KIND = {
    "int_parsing": "an integer", "int_type": "an integer", "int_from_float": "a whole number",
    "float_parsing": "a number", "float_type": "a number", "string_type": "text",
    "bool_parsing": "true or false", "bool_type": "true or false", "dict_type": "a mapping",
    "model_type": "a mapping", "model_attributes_type": "a mapping", "list_type": "a list",
    "tuple_type": "a list", "none_required": "nothing (null)",
}


def problems(source: Source, base: tuple, exc: ValidationError, model: type[BaseModel]) -> list[Problem]:
    """Problems for every error in `exc`, located at `base` + the error's path within the data."""
    data = _at(source.data, base)
    grouped: dict[tuple, list[dict]] = {}
    for err in exc.errors():
        path, is_key = _data_path(data, err["loc"], err["type"] in ("missing", "extra_forbidden"))
        grouped.setdefault((path, is_key), []).append(err)
    # An error deeper inside a value says more than the union branch that rejected the whole value.
    deepest = {k: v for k, v in grouped.items()
               if not any(o[0][: len(k[0])] == k[0] and len(o[0]) > len(k[0]) for o in grouped)}
    out = []
    for (path, is_key), errs in deepest.items():
        full = base + path
        errs_types = [e["type"] for e in errs]
        if "missing" in errs_types:
            err = errs[errs_types.index("missing")]
            name = path[-1] if path else "?"
            out.append(source.problem(full[:-1], f"missing required key {name!r}"
                                                 f"{_expected_keys(model, err['loc'][:-1])}"))
            continue
        if "extra_forbidden" in errs_types:
            name = path[-1]
            valid = _fields_at(model, next(e for e in errs if e["type"] == "extra_forbidden")["loc"][:-1])
            hint = f"{suggest(name, valid)}; expected one of {one_of(valid)}" if valid else ""
            out.append(source.problem(full, f"unknown key {name!r}{hint}", key=True))
            continue
        out.append(source.problem(full, _message(errs), key=is_key))
    # "missing 'system'" says nothing new next to "unknown key 'sytem' (did you mean 'system'?)".
    suggested = {(p.path.rsplit(".", 1)[0] if "." in p.path else "", m.group(1)) for p in out
                 for m in [re.search(r"did you mean '([^']+)'", p.message)] if m and "unknown key" in p.message}
    return [p for p in out if not (p.message.startswith("missing required key") and
                                   (p.path, re.search(r"'([^']+)'", p.message).group(1)) in suggested)]


def _message(errs: list[dict]) -> str:
    # Of a union's branches, the one whose type fit the value explains best (e.g. a Range with min > max).
    specific = [e for e in errs if e["type"] not in _KIND]
    if specific and len(specific) < len(errs):
        errs = specific
    got = errs[0].get("input")
    shown = _show(got)
    if len(errs) > 1 and all(e["type"] in _KIND for e in errs):
        kinds = []
        for e in errs:
            if _KIND[e["type"]] not in kinds:
                kinds.append(_KIND[e["type"]])
        return f"expected {' or '.join(kinds)}; got {shown}"
    err = errs[0]
    kind = err["type"]
    if kind in _KIND:
        return f"expected {_KIND[kind]}; got {shown}"
    if kind in ("literal_error", "enum"):
        options = re.findall(r"'([^']*)'", str((err.get("ctx") or {}).get("expected", "")))
        return f"expected one of {one_of(options)}; got {shown}{suggest(got, options)}"
    if kind == "value_error":
        return re.sub(r"^Value error, ", "", err["msg"])
    if kind == "too_short":
        return "expected a non-empty list" if isinstance(got, list) else "expected non-empty text"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bound = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}[kind]
        limit = next(iter((err.get("ctx") or {}).values()), "?")
        return f"expected a value {bound} {limit}; got {shown}"
    return f"{err['msg']}; got {shown}"


def _show(value: Any) -> str:
    text = repr(value)
    if isinstance(value, dict):
        text = "a mapping " + text
    elif isinstance(value, list):
        text = "a list " + text
    return text if len(text) <= 80 else text[:77] + "..."


def _at(data: Any, path: tuple) -> Any:
    for part in path:
        if isinstance(data, dict) and part in data or isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return None
    return data


def _data_path(data: Any, loc: tuple, names_key: bool) -> tuple[tuple, bool]:
    """Keep the parts of a pydantic location that index into the data (drop union branch labels)."""
    path: list = []
    node = data
    is_key = False
    for i, part in enumerate(loc):
        if part == "[key]":
            is_key = True
            continue
        if isinstance(node, dict) and part in node or isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
            path.append(part)
        elif names_key and isinstance(node, dict) and i == len(loc) - 1 and isinstance(part, str):
            path.append(part)  # a missing or unknown key: point at it by name
    return tuple(path), is_key


def _unwrap(annotation: Any) -> list[type[BaseModel]]:
    """Model classes reachable from an annotation (through Optional, Union, list, dict, Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    out: list = []
    for arg in typing.get_args(annotation):
        out += _unwrap(arg)
    return out


def _fields_at(model: type[BaseModel], loc: tuple) -> list[str]:
    """Valid keys of the model found at `loc` (field aliases where set)."""
    candidates = [model]
    for part in loc:
        if isinstance(part, int) or part == "[key]":
            continue
        nxt = []
        for cls in candidates:
            for name, info in cls.model_fields.items():
                if part in (name, info.alias):
                    nxt += _unwrap(info.annotation)
        candidates = nxt or candidates
    names: list[str] = []
    for cls in candidates:
        names += [info.alias or name for name, info in cls.model_fields.items()]
    return sorted(set(names))


def _expected_keys(model: type[BaseModel], loc: tuple) -> str:
    valid = _fields_at(model, loc)
    return f" (keys here: {one_of(valid)})" if valid else ""
