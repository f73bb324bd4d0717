"""moto's JSON-protocol request parser and response serializer, walked by functions made once per shape (moto 5.2.5;
installed by the moto backends with the other fast paths).

For every request of a JSON-protocol service (DynamoDB, SQS, Secrets Manager, EventBridge) moto walks the operation's
input shape over the parsed JSON body (`JSONParser._parse_shape`: a method looked up by name per value, every member
of every structure asked for), and walks the output shape over its answer (`ResponseSerializer._serialize`: a method
looked up by name and the key path pushed and popped per value, an `AttributePickerContext` and alias providers per
member; for a DynamoDB item that is every attribute times the 10 members of an AttributeValue). What each step does
depends only on the shape, so here each shape gets one function, made the first time it is met, that does what
moto's methods do for it:

- parsing: a structure takes its members' JSON names from the body, in the shape's order, and parses those present
  and not null; lists, maps, numbers, blobs and timestamps are converted by moto's rules and parsers; anything else
  is kept as it is. A value of another JSON type than the shape expects (moto's walk would fail on it or treat it
  its own way) is parsed by moto's own method, from there down.
- serializing: a plain `dict` value of a structure gives each member the value of the first key moto's picker would
  try (worked out once per member: the alias providers read only the shape, its parent and the value's class) and
  skips those that are None; dict maps, lists, text, integers and floats of their own exact types are written as moto
  writes them; any other value (a model object, an Enum, a number moto would convert, a blob, a timestamp) is
  serialized by moto's own `_serialize`, from there down.

Only moto's own `JSONParser` and `JSONSerializer` classes take these paths, while the methods they would call are
moto's (checked per request), with plain dicts as maps and, for the serializer, moto's picker without response
transformers (which read the key path); errors are serialized by moto. tests/harness/aws/test_moto_json.py compares
patched and unpatched moto byte for byte through boto3 (and the other fast-path tests run with this in place).
"""
from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from harness.aws.patches import Patches

_patches = Patches()
_saved = _patches.saved  # moto's originals, while installed
# id(shape) -> (shape, parse(parser, value)), and the shape's description (`_described`) -> the same function: botocore
# resolves a member's shape into a new object each time it is reached, so a recursive shape (a DynamoDB map of
# AttributeValues) is only ever met again as another object with the same description
_PARSERS: dict[Any, tuple[Any, Callable]] = {}
_SERIALIZERS: dict[Any, tuple[Any, Callable]] = {}  # the same for write(serializer, out, value, key)
_LIMIT = 50_000
_PARSE_METHODS = ("_parse_shape", "_parse_structure", "_parse_list", "_parse_map", "_default_handle",
                  "_parse_blob", "_parse_timestamp", "_parse_float", "_parse_double", "_parse_integer",
                  "_parse_byte", "_parse_short", "_parse_long", "_parse_string", "_parse_boolean",
                  "_parse_json_body", "_parse_body_as_json")
_SERIALIZE_METHODS = ("_serialize", "_serialize_type_structure", "_serialize_structure_member",
                      "_serialize_type_map", "_serialize_type_list", "_serialize_type_string", "_default_serialize",
                      "_serialize_type_integer", "_serialize_type_long", "_serialize_type_float",
                      "_serialize_type_double", "_serialize_type_boolean", "_serialize_result",
                      "_serialized_result_to_response", "get_serialized_name")
_GETTERS: dict[tuple, tuple[Any, tuple[str, ...]]] = {}  # names -> (a getter of those moto's class has, the others)


def installed() -> bool:
    """True while the fast paths are in place."""
    return bool(_patches)


def install() -> None:
    """Patch moto's JSON parser and serializer entry points (idempotent)."""
    if _patches:
        return
    from moto.core import parse, serialize
    json_parser, json_serializer = parse.JSONParser, serialize.JSONSerializer
    _patches.keep(parse=parse, serialize=serialize, parse_json_body=json_parser.__dict__["_parse_json_body"],
                  get_value=serialize.ResponseSerializer.get_value)
    _patches.replace(json_parser, "_parse_json_body", _parse_json_body)
    _patches.replace(serialize.ResponseSerializer, "_serialize_result", _serialize_result, key="serialize_result")
    # what the made functions stand in for: a class whose methods differ from these is walked by moto
    for cls, names in ((json_parser, _PARSE_METHODS), (json_serializer, _SERIALIZE_METHODS)):
        present = tuple(name for name in names if hasattr(cls, name))
        _GETTERS[names] = (operator.attrgetter(*present), tuple(name for name in names if name not in present))
    _patches.keep(parser_methods=_methods(json_parser, _PARSE_METHODS),
                  serializer_methods=_methods(json_serializer, _SERIALIZE_METHODS))


def uninstall() -> None:
    """Put moto's own code back (tests compare both)."""
    _patches.undo()
    _PARSERS.clear()
    _SERIALIZERS.clear()
    _GETTERS.clear()


def _methods(cls: type, names: tuple[str, ...]) -> tuple:
    """The class's attributes of these names (None where it has none): those moto's class has in one C-level call,
    then the others."""
    getters = _GETTERS.get(names)
    if getters is None:
        return tuple(getattr(cls, name, None) for name in names)
    present, absent = getters
    try:
        return present(cls) + tuple([getattr(cls, name, None) for name in absent])
    except AttributeError:  # a method moto's class had is gone: not the class the made functions stand in for
        return ()


# ------------------------------------------------------------------ parsing
def _parse_json_body(parser: Any, raw_body: Any, shape: Any) -> Any:
    """moto's `JSONParser._parse_json_body`: the body's JSON walked by the shape's own function."""
    if type(parser) is not _saved["parse"].JSONParser or _methods(type(parser), _PARSE_METHODS) \
            != _saved["parser_methods"]:
        return _saved["parse_json_body"](parser, raw_body, shape)
    return _parser_of(shape)(parser, parser._parse_body_as_json(raw_body))


def _parser_of(shape: Any) -> Callable:
    return _made_for(_PARSERS, shape, _PARSE_KINDS, _saved["parse"].JSONParser, "_parse_", _moto_parse,
                     _parse_as_is)


def _made_for(store: dict, shape: Any, kinds: dict, moto_class: Any, prefix: str, moto_made: Callable,
              as_is: Callable) -> Callable:
    """The function made for `shape` (kept by the shape, else by what its behaviour follows from), made once."""
    hit = store.get(id(shape))
    if hit is not None and hit[0] is shape:
        return hit[1]
    if len(store) >= _LIMIT:
        store.clear()
    hit = store.get(_described(shape))
    if hit is not None:
        store[id(shape)] = (shape, hit[1])
        return hit[1]
    kind = shape.type_name
    make = kinds.get(kind)
    if make is None:  # moto's default handling, unless its class has a method for the kind
        make = moto_made if hasattr(moto_class, prefix + kind) else as_is
    made = make(shape)
    _remember(store, shape, made)
    return made


def _described(shape: Any) -> tuple:
    """What a shape object's behaviour here follows from: its model (the resolver's, kept alive by the entry's shape)
    its name, kind, and the serialization and metadata its reference gave it."""
    return (id(shape._shape_resolver), shape.name, shape.type_name, repr(sorted(shape.serialization.items())),
            repr(sorted(shape.metadata.items())))


def _remember(made: dict, shape: Any, function: Callable) -> None:
    made[id(shape)] = (shape, function)
    made[_described(shape)] = (shape, function)


def _moto_parse(shape: Any) -> Callable:
    def parse(parser: Any, value: Any) -> Any:
        return parser._parse_shape(shape, value)
    return parse


def _parse_structure(shape: Any) -> Callable:
    if shape.is_document_type:
        return _parse_as_is(shape)
    members: list[tuple[str, str, Callable]] = []
    moto = _moto_parse(shape)

    def parse(parser: Any, value: Any) -> Any:
        if type(value) is not dict:
            return None if value is None else moto(parser, value)
        parsed = parser.MAP_TYPE()
        for name, json_name, member in members:
            raw = value.get(json_name)
            if raw is not None:
                parsed[name] = member(parser, raw)
        return parsed

    _remember(_PARSERS, shape, parse)  # a recursive shape (a DynamoDB map of AttributeValues) finds itself
    members.extend((name, member.serialization.get("name", name), _parser_of(member))
                   for name, member in shape.members.items())
    return parse


def _parse_list(shape: Any) -> Callable:
    moto = _moto_parse(shape)
    inner: list[Callable] = []

    def parse(parser: Any, value: Any) -> Any:
        if type(value) is not list:
            return moto(parser, value)
        member = inner[0]
        return [member(parser, item) for item in value]

    _remember(_PARSERS, shape, parse)
    inner.append(_parser_of(shape.member))
    return parse


def _parse_map(shape: Any) -> Callable:
    moto = _moto_parse(shape)
    inner: list[Callable] = []

    def parse(parser: Any, value: Any) -> Any:
        if type(value) is not dict:
            return moto(parser, value)
        key, val = inner
        parsed = parser.MAP_TYPE()
        for k, v in value.items():
            parsed[key(parser, k)] = val(parser, v)
        return parsed

    _remember(_PARSERS, shape, parse)
    inner.extend((_parser_of(shape.key), _parser_of(shape.value)))
    return parse


def _parse_as_is(shape: Any) -> Callable:
    def parse(parser: Any, value: Any) -> Any:
        return value
    return parse


def _parse_number(convert: type) -> Callable:
    def make(shape: Any) -> Callable:
        undefined = _saved["parse"].UNDEFINED

        def parse(parser: Any, value: Any) -> Any:
            return value if value is undefined else convert(value)
        return parse
    return make


def _parse_blob(shape: Any) -> Callable:
    def parse(parser: Any, value: Any) -> Any:
        return parser._blob_parser(value)
    return parse


def _parse_timestamp(shape: Any) -> Callable:
    def parse(parser: Any, value: Any) -> Any:
        return parser._timestamp_parser(value)
    return parse


_PARSE_KINDS: dict[str, Callable[[Any], Callable]] = {
    "structure": _parse_structure, "list": _parse_list, "map": _parse_map, "blob": _parse_blob,
    "timestamp": _parse_timestamp, "float": _parse_number(float), "double": _parse_number(float),
    "integer": _parse_number(int), "byte": _parse_number(int), "short": _parse_number(int),
    "long": _parse_number(int)}


# ------------------------------------------------------------------ serializing
def _serialize_result(serializer: Any, resp: Any, result: Any) -> Any:
    """moto's `ResponseSerializer._serialize_result`: the result written by the output shape's own function."""
    if not _fast_serializer(serializer):
        return _saved["serialize_result"](serializer, resp, result)
    output_shape = serializer.operation_model.output_shape
    serialized_result: dict = {}
    if output_shape is not None:
        _writer_of(output_shape)(serializer, serialized_result, result, "")
    return serializer._serialized_result_to_response(resp, result, output_shape, serialized_result)


def _fast_serializer(serializer: Any) -> bool:
    serialize = _saved["serialize"]
    picker = serializer._value_picker
    return (type(serializer) is serialize.JSONSerializer and serializer.MAP_TYPE is dict
            and _methods(serialize.JSONSerializer, _SERIALIZE_METHODS) == _saved["serializer_methods"]
            and type(picker) is serialize.XFormedAttributePicker
            and picker.alias_providers is serialize.DEFAULT_ALIAS_PROVIDERS and not picker.response_transformers
            and type(serializer).get_value in (_saved["get_value"], _dispatch_get_value()))


def _dispatch_get_value() -> Any:
    from harness.aws import moto_dispatch
    return moto_dispatch._get_value


def _writer_of(shape: Any) -> Callable:
    return _made_for(_SERIALIZERS, shape, _WRITE_KINDS, _saved["serialize"].JSONSerializer, "_serialize_type_",
                     _moto_write, _write_as_is)


def _moto_write(shape: Any) -> Callable:
    def write(serializer: Any, out: dict, value: Any, key: str) -> None:
        serializer._serialize(out, value, shape, key)
    return write


def _named(shape: Any) -> tuple[bool, Any]:
    """(whether the shape names its own key, that name): moto's `shape.serialization.get("name", key)`."""
    return "name" in shape.serialization, shape.serialization.get("name")


def _write_structure(shape: Any) -> Callable:
    if shape.is_document_type:
        def write_document(serializer: Any, out: dict, value: Any, key: str) -> None:
            out[key] = value
        return write_document
    moto = _moto_write(shape)
    members = []
    for member_key, member_shape in shape.members.items():
        member_shape.parent = shape  # what moto sets before asking its picker
        keys = _picker_keys(member_key, member_shape)
        if keys is None:
            return moto  # a dotted key is a path for moto's get_value: moto walks this structure
        members.append((member_key, keys))
    has_name, name = _named(shape)
    writers: list[tuple[str, tuple[str, ...], Callable]] = []

    def write(serializer: Any, out: dict, value: Any, key: str) -> None:
        if type(value) is not dict:
            if value is not None:
                moto(serializer, out, value, key)
            return
        wrapper = {} if key else out
        for member_key, keys, member in writers:
            for possible in keys:
                if possible in value:
                    found = value[possible]
                    if found is not None:
                        member(serializer, wrapper, found, member_key)
                    break
        if key:
            out[name if has_name else key] = wrapper

    _remember(_SERIALIZERS, shape, write)
    writers.extend((member_key, keys, _writer_of(shape.members[member_key])) for member_key, keys in members)
    return write


def _picker_keys(member_key: str, member_shape: Any) -> tuple[str, ...] | None:
    """The keys moto's picker tries, in order, for this member of a plain dict; None when one is a dotted path."""
    serialize = _saved["serialize"]
    picker = serialize.XFormedAttributePicker()
    context = serialize.AttributePickerContext(obj={}, key=member_key, shape=member_shape)
    keys = tuple(picker.get_possible_keys(context))
    return None if any("." in key for key in keys) else keys


def _write_map(shape: Any) -> Callable:
    moto = _moto_write(shape)
    has_name, name = _named(shape)
    inner: list[Callable] = []

    def write(serializer: Any, out: dict, value: Any, key: str) -> None:
        if type(value) is not dict:
            return moto(serializer, out, value, key)
        value_writer = inner[0]
        written: dict = {}
        out[name if has_name else key] = written
        for sub_key, sub_value in value.items():
            value_writer(serializer, written, sub_value, sub_key)
        return None

    _remember(_SERIALIZERS, shape, write)
    inner.append(_writer_of(shape.value))
    return write


def _write_list(shape: Any) -> Callable:
    moto = _moto_write(shape)
    item_key = shape.member.name
    has_name, name = _named(shape)
    inner: list[Callable] = []

    def write(serializer: Any, out: dict, value: Any, key: str) -> None:
        if type(value) is not list:
            return moto(serializer, out, value, key)
        item_writer = inner[0]
        written = []
        for item in value:
            wrapper: dict = {}
            item_writer(serializer, wrapper, item, item_key)
            written.append(wrapper.get(item_key, item))
        out[name if has_name else key] = written
        return None

    _remember(_SERIALIZERS, shape, write)
    inner.append(_writer_of(shape.member))
    return write


def _write_exact(kind: type) -> Callable:
    """A shape whose moto method gives a value of `kind` back as it is (str of a str, int of an int, float of a
    float): that value is written under its key; any other goes to moto's method."""
    def make(shape: Any) -> Callable:
        moto = _moto_write(shape)
        has_name, name = _named(shape)

        def write(serializer: Any, out: dict, value: Any, key: str) -> None:
            if type(value) is kind:
                out[name if has_name else key] = value
            else:
                moto(serializer, out, value, key)
        return write
    return make


def _write_as_is(shape: Any) -> Callable:
    """A shape moto's JSON serializer writes as it is (`_default_serialize`: booleans, and unknown kinds)."""
    has_name, name = _named(shape)

    def write(serializer: Any, out: dict, value: Any, key: str) -> None:
        out[name if has_name else key] = value
    return write


_WRITE_KINDS: dict[str, Callable[[Any], Callable]] = {
    "structure": _write_structure, "map": _write_map, "list": _write_list, "string": _write_exact(str),
    "integer": _write_exact(int), "long": _write_exact(int), "float": _write_exact(float),
    "double": _write_exact(float), "blob": _moto_write, "timestamp": _moto_write}
