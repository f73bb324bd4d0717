"""Service models shared by the clients of one session, and their client methods made from one template.

botocore gives every new client its own `ServiceModel` built over the loader's JSON description (the loader
caches one description per service and API version for its session). A model computes everything from that
description lazily and keeps it: `operation_model(name)` (an `instance_cache`), and on each model object the
`CachedProperty` values (an operation's `input_shape`, `output_shape`, `idempotent_members`, `error_shapes`,
context parameters...; a shape's `members`, `metadata`, `serialization`, `required_members`, a list's `member`, a
map's `key` and `value`...; the service's `_error_code_cache`, `error_shapes`, `operation_names`,
`endpoint_discovery_required`...). So a client's first call of each operation pays for shape objects built from
the description and walked once (`generate_idempotent_uuid` walks the input's members, an error response builds
every error shape of the service), and every new client pays it again: a handler module's clients are new at
each cold start.

Nothing changes a model once made: every cached value is worked out from the description alone (the service
name given at creation aside), and the only setter (`ServiceModel.signature_version`) is read by nothing in
botocore. What botocore's S3 handlers rewrite (`remove_bucket_from_url_paths_from_model`,
`remove_accid_host_prefix_from_model`) is the description's own `http` and `endpoint` dicts, which the loader
already shares between all clients of the session. So clients made from the same description object and service
name share one model here (`shared_service_model`), kept while their loader (its session) lives.

The client class a creation builds has one method per operation (62 for DynamoDB): a closure over the operation's
two names with a lazily written docstring object. `client_methods` makes the same functions from botocore's own
closure code, with their own cells and docstring objects (nothing of one class's methods is another's), without
looking each operation up again; the class itself is built per client as before (the `creating-client-class`
event gets a new dict it may change).
"""
from __future__ import annotations

import threading
import types
import weakref
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from botocore import client as botocore_client
from botocore.docs.docstring import ClientMethodDocstring
from botocore.model import ServiceModel

_original_load_service_model = botocore_client.ClientCreator._load_service_model
_original_create_methods = botocore_client.ClientCreator._create_methods
_original_create_name_mapping = botocore_client.ClientCreator._create_name_mapping
_original_create_api_method = botocore_client.ClientCreator._create_api_method
_lock = threading.Lock()


class _Operation(NamedTuple):
    """What a client method and its docstring are made from."""

    py_name: str
    name: str
    model: Any
    documentation: str
    example_prefix: str


@dataclass
class _Service:
    """One shared model, the description it reads, and what its client classes' methods are made from."""

    description: dict = field(repr=False)
    model: ServiceModel
    operations: list[_Operation] | None = None
    name_mapping: dict[str, str] | None = None
    docstring_arguments: tuple[Any, list[tuple[str, str, dict]]] | None = None  # (emitter, per operation)


@dataclass
class _LoaderModels:
    """The shared models of one loader (one session)."""

    by_key: dict[tuple, _Service] = field(default_factory=dict)  # (service name, API version) -> its model
    by_model: dict[int, _Service] = field(default_factory=dict)  # id(model) -> its entry (which keeps the model)


_store: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # loader -> _LoaderModels


def _models_of(loader: Any) -> _LoaderModels | None:
    try:
        models = _store.get(loader)
        if models is None:
            models = _store[loader] = _LoaderModels()
    except TypeError:  # a loader that cannot be weakly referenced: no sharing
        return None
    return models


def shared_service_model(self: Any, service_name: str, api_version: str | None = None) -> ServiceModel:
    """`ClientCreator._load_service_model`: the model of this loader's description of the service, made once per
    description object and service name."""
    loader = self._loader
    description = loader.load_service_model(service_name, "service-2", api_version=api_version)
    with _lock:
        models = _models_of(loader)
        if models is None:
            return ServiceModel(description, service_name=service_name)
        key = (service_name, api_version)
        entry = models.by_key.get(key)
        if entry is None or entry.description is not description:  # a loader whose cache was cleared: a new one
            if entry is not None:
                del models.by_model[id(entry.model)]
            entry = models.by_key[key] = _Service(description, ServiceModel(description, service_name=service_name))
            models.by_model[id(entry.model)] = entry
        return entry.model


def _entry_of(creator: Any, service_model: Any) -> _Service | None:
    models = _store.get(getattr(creator, "_loader", None)) if type(creator) is botocore_client.ClientCreator \
        else None
    entry = models.by_model.get(id(service_model)) if models is not None else None
    return entry if entry is not None and entry.model is service_model else None


def _operations(entry: _Service) -> list[_Operation]:
    if entry.operations is None:
        entry.operations = []
        for name in entry.model.operation_names:
            py_name, model = botocore_client.xform_name(name), entry.model.operation_model(name)
            entry.operations.append(_Operation(py_name, name, model, model.documentation,
                                               f"response = client.{py_name}"))
    return entry.operations


def _docstring_state(operation: _Operation, emitter: Any) -> dict:
    """The attributes botocore's `ClientMethodDocstring(...)` gives an operation's docstring."""
    return {"_gen_args": (), "_gen_kwargs": {
        "operation_model": operation.model, "method_name": operation.name, "event_emitter": emitter,
        "method_description": operation.documentation, "example_prefix": operation.example_prefix,
        "include_signature": False}, "_docstring": None}


class _ApiCallTemplate:
    """The code of botocore's `_api_call` closure, where each of its two free names goes, and a check that its
    docstring is made as `_docstring_state` makes it."""

    def __init__(self, creator: Any, entry: _Service) -> None:
        operation = _operations(entry)[0]
        py_name, name = operation.py_name, operation.name
        made = _original_create_api_method(creator, py_name, name, entry.model)
        self.code, self.globals = made.__code__, made.__globals__
        expected = {"py_operation_name": py_name, "operation_name": name}
        doc = made.__doc__
        if (sorted(self.code.co_freevars) != sorted(expected) or made.__defaults__ or made.__kwdefaults__
                or vars(made) or made.__name__ != py_name or type(doc) is not ClientMethodDocstring
                or vars(doc) != _docstring_state(operation, creator._event_emitter)):
            raise LookupError("botocore's client methods are not made as this module knows")
        self.order = self.code.co_freevars


_template: _ApiCallTemplate | None = None
_new_str = str.__new__


def client_methods(self: Any, service_model: Any) -> dict[str, Any]:
    """`ClientCreator._create_methods`: a new function per operation, as botocore makes them (botocore's closure
    code with new cells, a new docstring object with the same arguments)."""
    global _template
    entry = _entry_of(self, service_model)
    if entry is None or not entry.model.operation_names:
        return _original_create_methods(self, service_model)
    if _template is None:
        try:
            _template = _ApiCallTemplate(self, entry)
        except LookupError:
            return _original_create_methods(self, service_model)
    code, module_globals = _template.code, _template.globals
    py_first = _template.order[0] == "py_operation_name"
    cell, function, doc_class, new_doc = types.CellType, types.FunctionType, ClientMethodDocstring, _new_str
    methods = {}
    for py_name, name, gen_kwargs in _docstring_arguments(entry, self._event_emitter):
        method = function(code, module_globals, py_name, None,
                          (cell(py_name), cell(name)) if py_first else (cell(name), cell(py_name)))
        doc = new_doc(doc_class)
        doc.__dict__ = {"_gen_args": (), "_gen_kwargs": gen_kwargs.copy(), "_docstring": None}
        method.__doc__ = doc
        methods[py_name] = method
    return methods


def _docstring_arguments(entry: _Service, emitter: Any) -> list[tuple[str, str, dict]]:
    """Each operation's two names and its docstring's keyword arguments (as `_docstring_state` gives them) for
    this emitter; kept for the emitter last asked about (a session's clients all ask with the session's)."""
    kept = entry.docstring_arguments
    if kept is None or kept[0] is not emitter:
        arguments = [(operation.py_name, operation.name, _docstring_state(operation, emitter)["_gen_kwargs"])
                     for operation in _operations(entry)]
        kept = entry.docstring_arguments = (emitter, arguments)
    return kept[1]


def name_mapping(self: Any, service_model: Any) -> dict[str, str]:
    """`ClientCreator._create_name_mapping`: python name -> operation name, a new dict for each class."""
    entry = _entry_of(self, service_model)
    if entry is None:
        return _original_create_name_mapping(self, service_model)
    if entry.name_mapping is None:
        entry.name_mapping = {operation.py_name: operation.name for operation in _operations(entry)}
    return dict(entry.name_mapping)


def install() -> None:
    """Share service models between clients and make client methods from the template (idempotent)."""
    creator = botocore_client.ClientCreator
    creator._load_service_model = shared_service_model
    creator._create_methods = client_methods
    creator._create_name_mapping = name_mapping


def uninstall() -> None:
    """Clients made afterwards build their own models and methods, as botocore does."""
    creator = botocore_client.ClientCreator
    creator._load_service_model = _original_load_service_model
    creator._create_methods = _original_create_methods
    creator._create_name_mapping = _original_create_name_mapping


def installed() -> bool:
    """True while clients share service models."""
    creator = botocore_client.ClientCreator
    return (creator._load_service_model is shared_service_model and creator._create_methods is client_methods
            and creator._create_name_mapping is name_mapping)
