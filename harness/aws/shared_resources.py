"""Resource classes built for less: what boto3's resource factory works out from the resource model and the
service's shapes, kept once per process; every class, and everything on it, is still made per call.

boto3 builds a new class for every resource it hands out: `boto3.resource("dynamodb")` builds the service
resource's class, and every `dynamodb.Table(name)` builds a `dynamodb.Table` class again (the replies handlers
call it at every invocation). For each class, `ResourceModel.load_rename_map` and `ResourceModel.get_attributes`
walk the resource's shape: `ServiceModel.shape_for` makes a new `Shape` at each call, so its `members` (one
shape object per member, 31 for a DynamoDB table description) are resolved from the description twice per class,
about half of a `Table(...)` (0.46 ms).

Both answers are a pure function of the resource's JSON definition, the service's resource definitions, the
shape's description and the shape map it resolves members from (all the loader's cached JSON, which nothing
changes) and, for the attributes, of the rename map: so they are worked out once per such objects (`is`, the
objects kept with the answer) and handed out again as new containers: each `ResourceModel` gets its own
`_renamed` dict and each call its own attributes dict, with the same debug records boto3 logs while renaming.
The member shapes in the attributes are shared between the classes that document them (botocore's shapes are
read-only: the same argument as harness/aws/shared_models.py, whose shared service model already shares its
operations' shapes between clients). The class itself, its `ResourceMeta`, `ResourceModel`, properties, methods,
actions, docstring objects and the `creating-resource-class` event are made per call, as boto3 makes them: a
handler's classes and instances are its own, in every execution environment.

Of what is left, the class's attribute properties are the most (29 for a table, about half of a `Table(...)` once
its layout is kept): boto3 makes each with a call that defines a closure over the attribute's name and builds a
lazily written `AttributeDocstring` through its constructor. `autoload_property` makes the same objects from
boto3's own closure code (a new function and cell per property, named as boto3 names it) and a docstring object
with the attributes boto3's constructor gives it, after checking once that boto3 makes them that way (else
boto3's own method is used).
"""
from __future__ import annotations

import threading
import types
from dataclasses import dataclass
from typing import Any

from boto3.docs.docstring import AttributeDocstring
from boto3.resources import factory as resource_factory
from boto3.resources import model as resource_model

_original_load_rename_map = resource_model.ResourceModel.load_rename_map
_original_get_attributes = resource_model.ResourceModel.get_attributes
_original_autoload_property = resource_factory.ResourceFactory._create_autoload_property
_lock = threading.Lock()
MAX_LAYOUTS = 1024  # resources kept; past it the store starts again


@dataclass
class _Layout:
    """One resource's rename map and attributes, and the JSON objects they were worked out from."""

    sources: tuple  # (definition, resource definitions, shape description, shape map): compared with `is`
    renamed: tuple[tuple[tuple[str, str], str], ...]  # the rename map's items, in boto3's order
    renamed_dict: dict
    attributes: tuple[tuple[str, tuple[str, Any]], ...] | None = None


_layouts: dict[tuple, _Layout] = {}


def _sources(model: Any, shape: Any) -> tuple | None:
    """The objects a resource's layout is a function of, or None when this module does not know the shape."""
    if type(model) is not resource_model.ResourceModel:
        return None
    if shape is None:
        return (model._definition, model._resource_defs, None, None)
    resolver = getattr(shape, "_shape_resolver", None)
    shape_map = getattr(resolver, "_shape_map", None)
    description = getattr(shape, "_shape_model", None)
    if not isinstance(shape_map, dict) or not isinstance(description, dict):  # botocore's JSON: OrderedDicts
        return None
    return (model._definition, model._resource_defs, description, shape_map)


def _key(model: Any, shape: Any, sources: tuple) -> tuple:
    return (model.name, type(shape), getattr(shape, "name", None), *map(id, sources))


def _layout(model: Any, shape: Any) -> tuple[tuple | None, _Layout | None]:
    sources = _sources(model, shape)
    if sources is None:
        return None, None
    key = _key(model, shape, sources)
    entry = _layouts.get(key)
    if entry is not None and all(a is b for a, b in zip(entry.sources, sources, strict=True)):
        return key, entry
    return key, None


def shared_rename_map(self: Any, shape: Any = None) -> None:
    """`ResourceModel.load_rename_map`: the rename map worked out once per resource and shape description."""
    key, entry = _layout(self, shape)
    if key is None:
        return _original_load_rename_map(self, shape)
    if entry is None:
        _original_load_rename_map(self, shape)  # an error (a name it cannot rename) is raised, never kept
        with _lock:
            if len(_layouts) >= MAX_LAYOUTS:
                _layouts.clear()
            renamed = tuple(self._renamed.items())
            _layouts[key] = _Layout(_sources(self, shape), renamed, dict(renamed))
        return None
    self._renamed = {}
    for (category, name), new_name in entry.renamed:
        resource_model.logger.debug("Renaming %s %s %s", self.name, category, name)  # as boto3 logs each rename
        self._renamed[(category, name)] = new_name
    return None


def shared_attributes(self: Any, shape: Any) -> dict:
    """`ResourceModel.get_attributes`: name -> (original name, member shape), worked out once per resource, shape
    description and rename map; a new dict for each call."""
    _, entry = _layout(self, shape)
    if entry is None or shape is None or self._renamed != entry.renamed_dict:
        return _original_get_attributes(self, shape)
    if entry.attributes is None:
        entry.attributes = tuple(_original_get_attributes(self, shape).items())
    return dict(entry.attributes)


def _docstring_state(factory: Any, resource_name: str, snake_cased: str, member_model: Any,
                     service_context: Any) -> dict:
    """The attributes boto3's `AttributeDocstring(...)` gives an autoload property's docstring."""
    return {"_gen_args": (), "_gen_kwargs": {
        "service_name": service_context.service_name, "resource_name": resource_name, "attr_name": snake_cased,
        "event_emitter": factory._emitter, "attr_model": member_model, "include_signature": False},
        "_docstring": None}


class _LoaderTemplate:
    """The code of boto3's `property_loader` closure, checked once against a property boto3 made."""

    def __init__(self, factory: Any, resource_name: str, name: str, snake_cased: str, member_model: Any,
                 service_context: Any) -> None:
        made = _original_autoload_property(factory, resource_name, name, snake_cased, member_model, service_context)
        loader = made.fget if type(made) is property else None
        doc = getattr(loader, "__doc__", None)
        if (type(loader) is not types.FunctionType or loader.__code__.co_freevars != ("name",)
                or loader.__closure__[0].cell_contents is not name or loader.__defaults__ or loader.__kwdefaults__
                or vars(loader) or loader.__name__ != str(snake_cased) or made.fset or made.fdel
                or made.__doc__ is not doc or type(doc) is not AttributeDocstring
                or vars(doc) != _docstring_state(factory, resource_name, snake_cased, member_model, service_context)):
            raise LookupError("boto3's autoload properties are not made as this module knows")
        self.code, self.globals = loader.__code__, loader.__globals__


_template: _LoaderTemplate | None = None
_new_str = str.__new__


def autoload_property(factory_self: Any, resource_name: str, name: str, snake_cased: str, member_model: Any,
                      service_context: Any) -> property:
    """`ResourceFactory._create_autoload_property`: a new property whose getter loads the resource on first use,
    made as boto3 makes it (boto3's closure code with a new cell, a new docstring object with the same arguments)."""
    global _template
    if type(factory_self) is not resource_factory.ResourceFactory:
        return _original_autoload_property(factory_self, resource_name, name, snake_cased, member_model,
                                           service_context)
    if _template is None:
        try:
            _template = _LoaderTemplate(factory_self, resource_name, name, snake_cased, member_model,
                                        service_context)
        except LookupError:
            uninstall_autoload()
            return _original_autoload_property(factory_self, resource_name, name, snake_cased, member_model,
                                               service_context)
    loader = types.FunctionType(_template.code, _template.globals, str(snake_cased), None, (types.CellType(name),))
    doc = _new_str(AttributeDocstring)
    doc.__dict__ = _docstring_state(factory_self, resource_name, snake_cased, member_model, service_context)
    loader.__doc__ = doc
    return property(loader)


def uninstall_autoload() -> None:
    """Autoload properties made by boto3's own method from now on."""
    resource_factory.ResourceFactory._create_autoload_property = _original_autoload_property


def install() -> None:
    """Work out resource layouts once per process and make autoload properties from boto3's template
    (idempotent)."""
    model = resource_model.ResourceModel
    model.load_rename_map = shared_rename_map
    model.get_attributes = shared_attributes
    resource_factory.ResourceFactory._create_autoload_property = autoload_property


def uninstall() -> None:
    """Resource classes made afterwards are made entirely by boto3's own code."""
    model = resource_model.ResourceModel
    model.load_rename_map = _original_load_rename_map
    model.get_attributes = _original_get_attributes
    uninstall_autoload()


def installed() -> bool:
    """True while resource layouts are shared."""
    model = resource_model.ResourceModel
    return (model.load_rename_map is shared_rename_map and model.get_attributes is shared_attributes
            and resource_factory.ResourceFactory._create_autoload_property is autoload_property)
