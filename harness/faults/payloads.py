"""Payload mutators: deterministic, seeded ways to make an input malformed.

    mutate(event, "drop_key", path="body.recipient", rng=random.Random(7))

A mutator works on a Lambda event (dict), an SQS/EventBridge record, a JSON or form-encoded text, bytes, or
an outbound `HttpRequest`. A `path` (`body.to`, `Records.0.body`, `detail.amount`) walks into dicts, lists and
*into JSON or form-encoded strings* (an API Gateway `body`, an SQS record `body`), re-encoding them on the way
out, so `drop_key` at `body.to` removes a key inside the JSON text of the body. Without a path, key-level
mutators pick a key with the RNG, from the body when the event has one, else from the event itself.
The input is never modified; the mutated copy is returned. `mutations(value)` is the same as a hypothesis
strategy, and the `mutate` effect applies any mutator to an invocation's event, a delivered record or an
outbound HTTP request.
"""
from __future__ import annotations

import base64
import inspect
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode

from harness.errors import InputError
from harness.faults.effects import Effect, FaultPlanError, register_effect
from harness.faults.http import HttpRequest
from harness.template import closest

SQS_MAX_BYTES = 262_144


class MutationError(InputError):
    """A mutator that cannot apply to the given input (wrong path, no body, not form-encoded)."""


@dataclass(frozen=True)
class Mutator:
    """A registered mutator: `level` says what it receives (a container and key, a text, or the envelope)."""

    name: str
    fn: Callable[..., Any]
    level: str  # key | text | envelope
    params: tuple[str, ...]


MUTATORS: dict[str, Mutator] = {}


def register_mutator(name: str, level: str = "key") -> Callable[[Callable], Callable]:
    """Register a mutator function. `key`: fn(container, key, rng, **p) -> new value for that key (or DROP);
    `text`: fn(text, rng, was_text, **p) -> new value; `envelope`: fn(value, rng, path, **p) -> new value."""

    def decorate(fn: Callable) -> Callable:
        skip = {"key": 3, "text": 3, "envelope": 3}[level]
        params = tuple(list(inspect.signature(fn).parameters)[skip:])
        MUTATORS[name] = Mutator(name, fn, level, params)
        return fn

    return decorate


def require_mutator(name: str, where: str = "mutator", error: type = FaultPlanError) -> Mutator:
    """The mutator named `name`, or an error listing the valid names."""
    if name not in MUTATORS:
        raise error(f"{where}: {name!r} is not a payload mutator{closest(name, MUTATORS)}; "
                             f"allowed: {', '.join(sorted(MUTATORS))}")
    return MUTATORS[name]


def mutate(target: Any, mutator: str, /, *, rng: random.Random | None = None, path: str | None = None,
           **params: Any) -> Any:
    """A mutated copy of `target` (deterministic for a given `rng`; default seed 0)."""
    spec = require_mutator(mutator, error=MutationError)
    unknown = [k for k in params if k not in spec.params]
    if unknown:
        raise MutationError(f"mutator {mutator!r} has no setting {unknown[0]!r}; it takes: "
                            f"{', '.join(spec.params) or '(none)'}")
    rng = rng or random.Random(0)
    if isinstance(target, HttpRequest):
        return _mutate_request(target, spec, rng, path, params)
    if spec.level == "envelope":
        return spec.fn(target, rng, path, **params)
    parts = _split(path) if path is not None else _default_path(target)
    if spec.level == "text":
        return _update(target, parts, lambda node: _text_op(spec, node, rng, params))
    return _key_op(target, parts, spec, rng, params)


def mutations(value: Any, names: list[str] | None = None) -> Any:
    """A hypothesis strategy of mutated copies of `value` (mutators that cannot apply are skipped)."""
    from hypothesis import strategies as st

    chosen = sorted(names or MUTATORS)

    def build(name: str, seed: int) -> Any:
        try:
            return mutate(value, name, rng=random.Random(seed))
        except MutationError:
            return _SKIP

    return st.builds(build, st.sampled_from(chosen), st.integers(0, 2**32 - 1)).filter(lambda v: v is not _SKIP)


_SKIP = object()
_DROP = object()


# ---------------------------------------------------------------------------------------------- walking
class _Form(list):
    """A form-encoded body as (key, value) pairs (keys may repeat)."""

    def keys(self) -> list[str]:
        return list(dict.fromkeys(k for k, _ in self))


def _split(path: str) -> list[str]:
    return [p for p in path.split(".") if p != ""]


def _default_path(value: Any) -> list[str]:
    if isinstance(value, dict) and "body" in value and isinstance(value["body"], (str, bytes)):
        return ["body"]
    return []


def _decode(text: str | bytes) -> tuple[Any, Callable[[Any], Any]] | None:
    """(structure, encoder back to the same kind of text) for JSON or form text, else None."""
    is_bytes = isinstance(text, bytes)
    try:
        raw = text.decode("utf-8") if is_bytes else text
    except UnicodeDecodeError:
        return None
    stripped = raw.strip()
    wrap = (lambda s: s.encode("utf-8", "surrogateescape")) if is_bytes else (lambda s: s)
    if stripped[:1] in ("{", "["):
        try:
            return json.loads(stripped), lambda v: wrap(json.dumps(v))
        except ValueError:
            return None
    if "=" in stripped and " " not in stripped:
        pairs = parse_qsl(stripped, keep_blank_values=True)
        if pairs:
            return _Form(pairs), lambda v: wrap(urlencode(list(v), errors="surrogatepass") if isinstance(v, _Form) else
                                                v if isinstance(v, str) else json.dumps(v))
    return None


def _update(node: Any, parts: list[str], fn: Callable[[Any], Any], done: str = "",
            decode_leaf: bool = False) -> Any:
    """`node` with `fn` applied at `parts`, decoding JSON/form text on the way down (and, with
    `decode_leaf`, at the end) and re-encoding it on the way back."""
    if isinstance(node, (str, bytes)) and (parts or decode_leaf):
        decoded = _decode(node)
        if decoded is None:
            if not parts:
                return fn(node)
            raise MutationError(f"cannot walk into {done or 'the value'}: it is text, not JSON or form data")
        inner, encode = decoded
        return encode(_update(inner, parts, fn, done, decode_leaf))
    if not parts:
        return fn(node)
    head, rest = parts[0], parts[1:]
    here = f"{done}.{head}" if done else head
    if isinstance(node, _Form):
        keys = node.keys()  # a form is a list of pairs: `in node` would look for a pair
        if head not in keys:
            raise MutationError(f"form data has no key {head!r} at {here}; keys: {', '.join(keys)}")
        return _form_set(node, head, _update(_value(node, head), rest, fn, here, decode_leaf))
    if isinstance(node, dict):
        if head not in node:
            raise MutationError(f"no key {head!r} at {here}{closest(head, [str(k) for k in node])}; keys: "
                                f"{', '.join(map(str, node)) or '(none)'}")
        out = dict(node)
        value = _update(node[head], rest, fn, here, decode_leaf)
        if value is _DROP:
            del out[head]
        else:
            out[head] = value
        return out
    if isinstance(node, list):
        try:
            index = int(head)
            node[index]
        except (ValueError, IndexError):
            raise MutationError(f"no index {head!r} at {here}: the list has {len(node)} items") from None
        out = list(node)
        value = _update(node[index], rest, fn, here, decode_leaf)
        if value is _DROP:
            del out[index]
        else:
            out[index] = value
        return out
    raise MutationError(f"cannot walk into {here}: {type(node).__name__} has no keys")


def _node_at(value: Any, parts: list[str]) -> Any:
    found = []
    _update(value, parts, lambda node: found.append(node) or node)
    node = found[0]
    if isinstance(node, (str, bytes)):
        decoded = _decode(node)
        if decoded is not None:
            return decoded[0]
    return node


def _key_op(value: Any, parts: list[str], spec: Mutator, rng: random.Random, params: dict) -> Any:
    node = _node_at(value, parts)
    if isinstance(node, (dict, list, _Form)):
        keys = node.keys() if isinstance(node, (dict, _Form)) else [str(i) for i in range(len(node))]
        if not keys:
            raise MutationError(f"{'.'.join(parts) or 'the value'} is empty: no key to {spec.name}")
        key = rng.choice(sorted(map(str, keys))) if isinstance(node, (dict, _Form)) else rng.choice(keys)
        if spec.name == "duplicate_form_key" or isinstance(node, _Form):
            return _update(value, parts, lambda form: spec.fn(form, key, rng, **params), decode_leaf=True)
        parent = parts
    else:
        if not parts:
            raise MutationError(f"{spec.name} needs a key: give a path such as body.field")
        parent, key = parts[:-1], parts[-1]
    return _update(value, parent, lambda container: _set_key(container, key, spec, rng, params),
                   decode_leaf=True)


def _set_key(container: Any, key: str, spec: Mutator, rng: random.Random, params: dict) -> Any:
    if isinstance(container, _Form):
        return spec.fn(container, key, rng, **params)
    if isinstance(container, list):
        index = int(key)
        out = list(container)
        new = spec.fn(container, index, rng, **params)
        if new is _DROP:
            del out[index]
        else:
            out[index] = new
        return out
    if not isinstance(container, dict):
        raise MutationError(f"{spec.name} needs a mapping at the parent of {key!r}, found {type(container).__name__}")
    if key not in container:
        raise MutationError(f"no key {key!r}{closest(key, list(container))}; keys: {', '.join(map(str, container))}")
    out = dict(container)
    new = spec.fn(container, key, rng, **params)
    if new is _DROP:
        del out[key]
    else:
        out[key] = new
    return out


def _text_op(spec: Mutator, node: Any, rng: random.Random, params: dict) -> Any:
    was_text = isinstance(node, (str, bytes))
    if isinstance(node, bytes):
        text = node.decode("utf-8", "surrogateescape")
    elif isinstance(node, str):
        text = node
    else:
        text = json.dumps(node)
    result = spec.fn(text, rng, was_text, **params)
    if isinstance(node, bytes) and isinstance(result, str):
        return result.encode("utf-8", "surrogateescape")
    return result


# ---------------------------------------------------------------------------------------------- key level
def _form_set(form: _Form, key: str, new: Any) -> _Form:
    if new is _DROP:
        return _Form([(k, v) for k, v in form if k != key])
    first = True
    out = _Form()
    for k, v in form:
        if k == key:
            if first:
                out.append((k, new))
                first = False
        else:
            out.append((k, v))
    return out


def _value(container: Any, key: Any) -> Any:
    if isinstance(container, _Form):
        return next(v for k, v in container if k == key)
    return container[key]


@register_mutator("drop_key")
def drop_key(container: Any, key: Any, rng: random.Random) -> Any:
    """Remove the key (or list item)."""
    return _form_set(container, key, _DROP) if isinstance(container, _Form) else _DROP


@register_mutator("wrong_type")
def wrong_type(container: Any, key: Any, rng: random.Random) -> Any:
    """Replace the value with one of another type (string <-> number, object <-> list)."""
    value = _value(container, key)
    if isinstance(container, _Form):
        return _form_set(container, key, "not-a-number" if str(value).lstrip("-").isdigit() else "12345")
    if isinstance(value, bool):
        return "true"
    if isinstance(value, (int, float)):
        return "not-a-number"
    if isinstance(value, str):
        return 12345
    if isinstance(value, dict):
        return ["unexpected", "list"]
    if isinstance(value, list):
        return {"unexpected": "object"}
    return "unexpected-string"


@register_mutator("null")
def null(container: Any, key: Any, rng: random.Random) -> Any:
    """Set the value to null (form data: an empty value)."""
    return _form_set(container, key, "") if isinstance(container, _Form) else None


@register_mutator("empty_string")
def empty_string(container: Any, key: Any, rng: random.Random) -> Any:
    """Set the value to an empty string."""
    return _form_set(container, key, "") if isinstance(container, _Form) else ""


@register_mutator("huge_string")
def huge_string(container: Any, key: Any, rng: random.Random, size: int = SQS_MAX_BYTES + 1) -> Any:
    """Set the value to a string of `size` characters (default: one byte over SQS's 256 KiB limit)."""
    text = ("huge-" * (size // 5 + 1))[:size]
    return _form_set(container, key, text) if isinstance(container, _Form) else text


# Text that is valid JSON but trips code that assumes more: a lone surrogate (UTF-8 cannot encode it), NUL, a
# BOM, a right-to-left override, a combining sequence, an astral emoji, a non-breaking blank, a long grapheme.
UNICODE_EDGES = ("\ud800", "a\x00b", "\ufeffvalue", "\u202eevil", "e\u0301\u0301\u0301", "\U0001f600",
                 "\u00a0", "\u1100\u1161\u11a8" * 50)


@register_mutator("unicode_edge")
def unicode_edge(container: Any, key: Any, rng: random.Random, value: str | None = None) -> Any:
    """Replace the value with a Unicode edge case (`value`, or one chosen by the RNG from UNICODE_EDGES)."""
    text = value if value is not None else rng.choice(UNICODE_EDGES)
    return _form_set(container, key, text) if isinstance(container, _Form) else text


@register_mutator("duplicate_form_key")
def duplicate_form_key(container: Any, key: Any, rng: random.Random, value: str | None = None) -> Any:
    """Repeat a form key with a second value (`Body=a&Body=b`)."""
    if not isinstance(container, _Form):
        raise MutationError("duplicate_form_key needs a form-encoded body (key=value&...)")
    original = _value(container, key)
    return _Form(list(container) + [(key, value if value is not None else f"{original}-duplicate")])


# ---------------------------------------------------------------------------------------------- text level
@register_mutator("truncated_json", level="text")
def truncated_json(text: str, rng: random.Random, was_text: bool, keep: int | None = None) -> str:
    """Cut the JSON text short (at `keep` characters, or at a seeded point inside it)."""
    if len(text) < 2:
        raise MutationError("truncated_json needs at least 2 characters of text")
    cut = keep if keep is not None else rng.randint(1, len(text) - 1)
    return text[:max(0, min(cut, len(text) - 1))]


@register_mutator("non_dict_json", level="text")
def non_dict_json(text: str, rng: random.Random, was_text: bool,
                  kind: Literal["list", "number", "string", "null"] = "list") -> Any:
    """Replace a JSON object with valid JSON of another kind: a list, a number, a string or null."""
    documents = {"list": [text[:64]], "number": 42, "string": "not an object", "null": None}
    if kind not in documents:
        raise MutationError(f"non_dict_json kind {kind!r} is not one of {', '.join(documents)}")
    document = documents[kind]
    return json.dumps(document) if was_text else document


# ---------------------------------------------------------------------------------------------- envelope
def _headers_key(headers: dict, name: str) -> str | None:
    return next((k for k in headers if k.lower() == name.lower()), None)


@register_mutator("missing_body", level="envelope")
def missing_body(value: Any, rng: random.Random, path: str | None) -> Any:
    """No body at all: `body: null` in an event, no bytes in a request (the value at `path` removed)."""
    if path:
        parts = _split(path)
        return _update(value, parts[:-1], lambda c: _set_key(c, parts[-1], MUTATORS["drop_key"], rng, {}),
                       decode_leaf=True)
    if isinstance(value, dict) and "body" in value:
        out = dict(value)
        out["body"] = None
        if "isBase64Encoded" in out:
            out["isBase64Encoded"] = False
        return out
    if isinstance(value, (str, bytes)):
        return type(value)()
    raise MutationError("missing_body needs an event with a 'body', a request or a path")


@register_mutator("wrong_content_type", level="envelope")
def wrong_content_type(value: Any, rng: random.Random, path: str | None,
                       content_type: str = "text/plain") -> Any:
    """Claim another Content-Type than the body has (in `headers`, and `multiValueHeaders` when present)."""
    if not isinstance(value, dict):
        raise MutationError("wrong_content_type needs an event with headers or a request")
    out = dict(value)
    headers = dict(out.get("headers") or {})
    key = _headers_key(headers, "content-type") or ("content-type" if out.get("version") == "2.0" else "Content-Type")
    headers[key] = content_type
    out["headers"] = headers
    if isinstance(out.get("multiValueHeaders"), dict):
        multi = dict(out["multiValueHeaders"])
        multi[_headers_key(multi, "content-type") or key] = [content_type]
        out["multiValueHeaders"] = multi
    return out


@register_mutator("invalid_base64", level="envelope")
def invalid_base64(value: Any, rng: random.Random, path: str | None) -> Any:
    """A body (or the value at `path`) that claims to be base64 but is not (`isBase64Encoded: true`)."""
    bad = "!!not*base64%%"
    if path:
        parts = _split(path)
        return _update(value, parts, lambda node: bad)
    if isinstance(value, dict) and "body" in value:
        return {**value, "body": bad, "isBase64Encoded": True}
    if isinstance(value, (str, bytes)):
        return bad if isinstance(value, str) else bad.encode()
    raise MutationError("invalid_base64 needs an event with a 'body', a text or a path")


@register_mutator("invalid_utf8", level="envelope")
def invalid_utf8(value: Any, rng: random.Random, path: str | None) -> Any:
    """Bytes that are not UTF-8: in an event's body (base64-encoded, as API Gateway delivers binary), in a
    request's body, or (in text fields) as lone surrogates that fail when encoded."""
    bad = b"\xff\xfe\xfa"
    if path:
        return _update(value, _split(path), lambda node: bad + node if isinstance(node, bytes) else
                       "\udcff\udcfe" + (node if isinstance(node, str) else json.dumps(node)))
    if isinstance(value, dict) and "body" in value:
        body = value["body"] or ""
        raw = body.encode("utf-8", "surrogateescape") if isinstance(body, str) else body
        return {**value, "body": base64.b64encode(bad + raw).decode(), "isBase64Encoded": True}
    if isinstance(value, bytes):
        return bad + value
    if isinstance(value, str):
        return "\udcff\udcfe" + value
    raise MutationError("invalid_utf8 needs an event with a 'body', a text, bytes or a path")


@register_mutator("non_ascii_base64", level="envelope")
def non_ascii_base64(value: Any, rng: random.Random, path: str | None) -> Any:
    """A body (or the value at `path`) that claims to be base64 but holds non-ASCII text (`isBase64Encoded:
    true`); Python's b64decode raises a plain ValueError on it, not binascii.Error."""
    bad = rng.choice(["é", "Zm9v\u00e9", "\u00ff\u00fe==", "\U0001f600"])
    if path:
        return _update(value, _split(path), lambda node: bad)
    if isinstance(value, dict) and "body" in value:
        return {**value, "body": bad, "isBase64Encoded": True}
    if isinstance(value, str):
        return bad
    raise MutationError("non_ascii_base64 needs an event with a 'body', a text or a path")


def _mutate_request(request: HttpRequest, spec: Mutator, rng: random.Random, path: str | None,
                    params: dict) -> HttpRequest:
    if spec.name == "wrong_content_type":
        headers = {k: v for k, v in request.headers.items() if k.lower() != "content-type"}
        headers["Content-Type"] = params.get("content_type", "text/plain")
        return request.replace(headers=headers)
    if spec.name == "missing_body":
        headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
        return request.replace(body=None, headers=headers)
    if request.body is None:
        raise MutationError(f"{spec.name} needs a request body; this {request.method} has none")
    if path is not None and (path == "body" or path.startswith("body.")):
        path = path[5:] or None  # a request's paths start inside its body
    body = mutate(request.body, spec.name, rng=rng, path=path, **params)
    if not isinstance(body, bytes):
        body = body.encode("utf-8", "surrogateescape") if isinstance(body, str) else json.dumps(body).encode()
    headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
    headers["Content-Length"] = str(len(body))
    return request.replace(body=body, headers=headers)


# ---------------------------------------------------------------------------------------------- the effect
@register_effect("mutate")
@dataclass(frozen=True)
class Mutate(Effect):
    """Apply a payload mutator to the matched invocation's event, a delivered record (`index`, default one
    chosen by the seeded RNG) or an outbound HTTP request."""

    default_point = "invoke"
    mutator: str
    path: str | None = None
    index: int | None = None
    size: int | None = None
    kind: str | None = None
    content_type: str | None = None
    value: str | None = None
    keep: int | None = None

    def check(self, rule: Any, where: str) -> None:
        spec = require_mutator(self.mutator, where + ".mutator")
        for name in ("size", "kind", "content_type", "value", "keep"):
            if getattr(self, name) is not None and name not in spec.params:
                raise FaultPlanError(f"{where}.{name}: mutator {self.mutator!r} has no setting {name!r}; it takes: "
                                     f"{', '.join(spec.params) or '(none)'}")
        if self.mutator == "non_dict_json" and self.kind not in (None, "list", "number", "string", "null"):
            raise FaultPlanError(f"{where}.kind: {self.kind!r} is not allowed; allowed: 'list', 'number', 'string', "
                                 f"'null'")
        if self.index is not None and rule.point != "delivery":
            raise FaultPlanError(f"{where}.index: only deliveries have several records (this rule applies at "
                                 f"{rule.point})")

    def _params(self) -> dict:
        return {name: getattr(self, name) for name in ("size", "kind", "content_type", "value", "keep")
                if getattr(self, name) is not None}

    def apply(self, value: Any, rng: random.Random) -> Any:
        """The mutated copy of `value`."""
        return mutate(value, self.mutator, rng=rng, path=self.path, **self._params())

    def invoke(self, ctx: Any) -> None:
        request = ctx.extra["request"]
        request.payload = self.apply(request.payload, ctx.rng)

    def http_request(self, ctx: Any) -> HttpRequest:
        return self.apply(ctx.raw, ctx.rng)

    def deliver(self, ctx: Any, delivery: Any) -> Any:
        records = list(delivery.records)
        if not records:
            return delivery
        index = self.index if self.index is not None else ctx.rng.randrange(len(records))
        if not -len(records) <= index < len(records):
            return delivery
        records[index] = self.apply(records[index], ctx.rng)
        return delivery.replace(records=tuple(records))
