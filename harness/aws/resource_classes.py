"""boto3 resource classes built from a remembered plan instead of walking the models again.

Every `dynamodb.Table(name)` (the replies and twin handlers make one per AWS call) builds a whole new resource
class: boto3's `ResourceFactory.load_from_definition` makes a `ResourceModel`, resolves the resource's shape
(`TableDescription`) twice into new shape objects and walks their members to find name collisions and attributes,
builds the model's actions, waiters and references, and only then makes the class's functions and properties
(one `_create_*` call each), emits `creating-resource-class` and calls `type(...)`. The walking part depends only
on the resource's JSON definition, the service's resource definitions and its service model, which the loader and
`shared_models` hand out as the same objects every time; it is about half of a `Table(...)` (0.45 ms).

`load_from_definition` here records, once per such definition, what boto3's own `_load_*` methods do with the
factory: they run with a stand-in factory that writes down each `_create_*` call (its arguments: names, flags and
read-only model objects) and each attribute set, in order, together with the rename map the model loaded and the
identifier names. Every call, the first included, then replays the plan: a new `ResourceModel` with that rename
map, a new `ResourceMeta`, each `_create_*` called on the real factory with the call's own service context (so
every class still gets its own functions, properties, `ServiceAction`s and docstring objects, made by boto3's
code), then boto3's `creating-resource-class` event with a new attribute dict and base list (hooks may change
them) and `type(...)`. Only the model objects the plan holds (shapes, action and identifier models) are shared
between classes; nothing in boto3 or botocore changes them once made.

Most of a class's attributes are properties over a closure holding a name or a model, with one of botocore's lazy
docstrings (a `Table` has 29 such attribute properties of its 43 made values). Once boto3 has made one, a `_Recipe`
makes the next ones the way `shared_models` makes client methods: a new function of the same code, globals and name
with new cells of the same contents (the factory, its emitter and the service context being the replay's own), and a
new docstring object of the same class with the same arguments. Values holding anything else (an action's
`ServiceAction`, a waiter, a collection class, a reference's handler) are made by boto3's call every time.

A factory of another class, `_load_*` methods that ask the factory for anything but `_create_*`, or a plan that
sets an attribute to anything but a made value go to boto3's own code.
"""
from __future__ import annotations

import types
from typing import Any

from boto3.resources import factory as boto3_factory
from boto3.resources import model as resource_model_module
from boto3.resources.base import ResourceMeta, ServiceResource
from boto3.resources.model import ResourceModel
from botocore.docs.docstring import LazyLoadedDocstring
from botocore.model import ServiceModel, Shape

from harness.memo import remember

MAX_PLANS = 256  # distinct resource definitions kept; past it the memory starts again

_original = boto3_factory.ResourceFactory.load_from_definition
_LOADERS = ("_load_identifiers", "_load_actions", "_load_attributes", "_load_collections", "_load_has_relations",
            "_load_waiters")
_plans: dict[tuple, Any] = {}


class _Made:
    """A value one `_create_*` call made while recording: the call, to make it again with a replay's own service
    context and attribute dict in the places the recorded ones were."""

    __slots__ = ("args", "context_keys", "kwargs", "method", "recipe", "swapped_args")

    def __init__(self, method: str, args: tuple, kwargs: dict) -> None:
        self.method, self.args, self.kwargs = method, args, kwargs
        self.recipe: tuple[Any, _Recipe | None] | None = None  # (the method it was learned from, its recipe)
        self.context_keys = tuple(key for key, value in kwargs.items() if value is _Context)
        self.swapped_args = (any(value is _Context or value is _Attrs for value in args)
                             or any(value is _Attrs for value in kwargs.values()))

    def make(self, factory: Any, attrs: dict, service_context: Any) -> Any:
        """Call the method on `factory` with this replay's service context and attributes."""
        if self.swapped_args:  # the rare call given the attribute dict itself

            def real(value: Any) -> Any:
                return service_context if value is _Context else attrs if value is _Attrs else value
            return getattr(factory, self.method)(*map(real, self.args),
                                                 **{key: real(value) for key, value in self.kwargs.items()})
        kwargs = self.kwargs.copy()
        for key in self.context_keys:
            kwargs[key] = service_context
        return getattr(factory, self.method)(*self.args, **kwargs)

    def value_for(self, factory: Any, attrs: dict, service_context: Any) -> Any:
        """The value for this replay: the factory's call made, or (once one was made by the same method and
        checked) its copy."""
        method = getattr(type(factory), self.method, None)
        learned = self.recipe
        if learned is not None and learned[0] is method:
            if learned[1] is not None:
                return learned[1].copy(factory, service_context)
            return self.make(factory, attrs, service_context)
        value = self.make(factory, attrs, service_context)
        self.recipe = (method, _Recipe.of(value, factory, service_context))  # learned again if the method changes
        return value


class _Stand:
    """Stands for an object a made value holds that belongs to the replay: the factory, its emitter, the context."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


_FACTORY, _EMITTER, _CONTEXT = _Stand("factory"), _Stand("emitter"), _Stand("service context")
_new_str = str.__new__


def _shareable(value: Any) -> bool:
    """Text, numbers, None and model objects: what classes may hold in common (nothing changes them once made)."""
    return (value is None or type(value) in (str, int, bool) or isinstance(value, (Shape, ServiceModel))
            or type(value).__module__ == resource_model_module.__name__)


class _Recipe:
    """How to make again, without boto3's `_create_*` call, a value that is a function (or a property over one)
    holding only text, numbers and model objects besides the replay's own factory, emitter and service context, with
    one of botocore's lazy docstrings: a new function of the same code, globals and name with new cells holding the
    same contents, and a new docstring object of the same class with the same arguments."""

    __slots__ = ("cells", "cells_stand", "code", "doc_class", "doc_kwargs", "doc_stands", "globals", "is_property",
                 "name")

    @classmethod
    def of(cls, value: Any, factory: Any, service_context: Any) -> _Recipe | None:
        """The recipe of `value` as boto3 made it, or None when it holds anything else."""
        is_property = type(value) is property
        function = value.fget if is_property else value
        if is_property and (value.fset is not None or value.fdel is not None):
            return None
        if (type(function) is not types.FunctionType or function.__defaults__ is not None or vars(function)
                or function.__kwdefaults__ is not None):
            return None
        doc = function.__doc__
        doc_class = type(doc)
        if (not isinstance(doc, LazyLoadedDocstring) or doc_class.__new__ is not LazyLoadedDocstring.__new__
                or doc_class.__init__ is not LazyLoadedDocstring.__init__ or list(vars(doc)) != _DOC_STATE
                or doc._gen_args != () or doc._docstring is not None or type(doc._gen_kwargs) is not dict):
            return None
        stands = {id(factory): _FACTORY, id(factory._emitter): _EMITTER, id(service_context): _CONTEXT}
        held = [cell.cell_contents for cell in function.__closure__ or ()] + list(doc._gen_kwargs.values())
        if not all(id(value) in stands or _shareable(value) for value in held):
            return None
        recipe = cls()
        recipe.code, recipe.globals, recipe.name = function.__code__, function.__globals__, function.__name__
        recipe.cells = tuple(stands.get(id(cell.cell_contents), cell.cell_contents)
                             for cell in function.__closure__ or ())
        recipe.doc_class, recipe.is_property = doc_class, is_property
        recipe.doc_kwargs = {key: stands.get(id(value), value) for key, value in doc._gen_kwargs.items()}
        recipe.cells_stand = any(type(value) is _Stand for value in recipe.cells)
        recipe.doc_stands = tuple(key for key, value in recipe.doc_kwargs.items() if type(value) is _Stand)
        return recipe

    def copy(self, factory: Any, service_context: Any) -> Any:
        """A new function (or property) as boto3's call would make it for this factory and service context."""
        mine = {_FACTORY: factory, _EMITTER: factory._emitter, _CONTEXT: service_context}
        cells = self.cells
        if self.cells_stand:
            cells = [mine[value] if type(value) is _Stand else value for value in cells]
        function = types.FunctionType(self.code, self.globals, self.name, None, tuple(map(types.CellType, cells)))
        kwargs = self.doc_kwargs.copy()
        for key in self.doc_stands:
            kwargs[key] = mine[kwargs[key]]
        doc = _new_str(self.doc_class)
        doc.__dict__ = {"_gen_args": (), "_gen_kwargs": kwargs, "_docstring": None}
        function.__doc__ = doc
        return property(function) if self.is_property else function


_DOC_STATE = ["_gen_args", "_gen_kwargs", "_docstring"]  # what LazyLoadedDocstring.__init__ sets, in its order


class _Context:
    """Stands for the service context a plan was recorded with (each replay passes its own)."""


class _Attrs:
    """Stands for the attribute dict a `_create_*` call changed in place (each replay passes its own)."""


class _Unplannable(Exception):
    """boto3's `_load_*` methods did something a plan cannot replay."""


class _RecordingFactory:
    """The factory as boto3's `_load_*` methods see it while recording: each `_create_*` call is written down."""

    def __init__(self, attrs: _RecordingDict, service_context: Any) -> None:
        self._attrs, self._context = attrs, service_context

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("_create_"):
            raise _Unplannable(name)

        def record(*args: Any, **kwargs: Any) -> _Made:
            args = tuple(self._stand_in(value) for value in args)
            kwargs = {key: self._stand_in(value) for key, value in kwargs.items()}
            made = _Made(name, args, kwargs)
            if any(value is _Attrs for value in (*args, *kwargs.values())):
                self._attrs.steps.append(("call", made))  # it sets attributes itself
                return None
            return made

        return record

    def _stand_in(self, value: Any) -> Any:
        if value is self._context:
            return _Context
        return _Attrs if value is self._attrs else value


class _RecordingDict(dict):
    """The attribute dict while recording: every set written down in order."""

    def __init__(self) -> None:
        super().__init__()
        self.steps: list[tuple] = []

    def __setitem__(self, name: str, value: Any) -> None:
        if type(value) is not _Made:
            raise _Unplannable(name)
        self.steps.append(("set", name, value))
        super().__setitem__(name, value)


class _Plan:
    """What building one resource class takes once the models are walked."""

    __slots__ = ("definition", "identifiers", "renamed", "resource_defs", "service_model", "steps")

    def __init__(self, definition: Any, resource_defs: Any, service_model: Any, model: ResourceModel,
                 identifiers: list[str], steps: list[tuple]) -> None:
        self.definition, self.resource_defs, self.service_model = definition, resource_defs, service_model
        self.renamed, self.identifiers, self.steps = model._renamed, identifiers, steps


def _record(factory: Any, resource_name: str, definition: Any, service_context: Any) -> _Plan | None:
    """Walk the models as boto3 does, with a stand-in factory; None when boto3 did something a plan cannot hold."""
    model = ResourceModel(resource_name, definition, service_context.resource_json_definitions)
    shape = service_context.service_model.shape_for(model.shape) if model.shape else None
    model.load_rename_map(shape)
    meta = ResourceMeta(service_context.service_name, resource_model=model)
    attrs = _RecordingDict()
    stand_in = _RecordingFactory(attrs, service_context)
    common = {"attrs": attrs, "resource_model": model}
    named = {**common, "resource_name": resource_name, "service_context": service_context}
    try:
        boto3_factory.ResourceFactory._load_identifiers(stand_in, meta=meta, resource_name=resource_name, **common)
        boto3_factory.ResourceFactory._load_actions(stand_in, **named)
        boto3_factory.ResourceFactory._load_attributes(stand_in, meta=meta, **named)
        boto3_factory.ResourceFactory._load_collections(stand_in, service_context=service_context, **common)
        boto3_factory.ResourceFactory._load_has_relations(stand_in, **named)
        boto3_factory.ResourceFactory._load_waiters(stand_in, **named)
    except _Unplannable:
        return None
    return _Plan(definition, service_context.resource_json_definitions, service_context.service_model, model,
                 list(meta.identifiers), attrs.steps)


def _plan_for(factory: Any, resource_name: str, definition: Any, service_context: Any) -> tuple[_Plan | None, bool]:
    """The plan for this definition, and whether it was recorded just now (its walk logged boto3's renames)."""
    key = (resource_name, id(definition), id(service_context.resource_json_definitions),
           id(service_context.service_model))
    plan = _plans.get(key, False)
    # The plan holds the three objects, so their ids cannot be reused while it lives; `is` makes sure.
    if plan is False or (plan is not None and (plan.definition is not definition or plan.resource_defs
                                               is not service_context.resource_json_definitions
                                               or plan.service_model is not service_context.service_model)):
        plan = _record(factory, resource_name, definition, service_context)
        remember(_plans, key, plan, MAX_PLANS)
        return plan, True
    return plan, False


def load_from_definition(self: Any, resource_name: str, single_resource_json_definition: Any,
                         service_context: Any) -> type:
    """`ResourceFactory.load_from_definition`: a new resource class, as boto3 builds it, from a remembered plan."""
    plan, recorded = _plan_for(self, resource_name, single_resource_json_definition, service_context) \
        if type(self) is boto3_factory.ResourceFactory and _own_loaders() else (None, False)
    if plan is None:
        return _original(self, resource_name, single_resource_json_definition, service_context)
    boto3_factory.logger.debug("Loading %s:%s", service_context.service_name, resource_name)
    model = ResourceModel(resource_name, single_resource_json_definition, service_context.resource_json_definitions)
    for category, name in () if recorded else plan.renamed:  # the records boto3's rename map logs, in its order
        resource_model_module.logger.debug("Renaming %s %s %s", resource_name, category, name)
    model._renamed = dict(plan.renamed)
    meta = ResourceMeta(service_context.service_name, resource_model=model)
    meta.identifiers.extend(plan.identifiers)
    attrs: dict[str, Any] = {"meta": meta}
    values: dict[int, Any] = {}
    for step in plan.steps:
        made = step[-1]
        if step[0] == "call":
            made.make(self, attrs, service_context)
            continue
        value = values.get(id(made))
        if value is None:  # `reload` is the very function made for `load`
            value = values[id(made)] = made.value_for(self, attrs, service_context)
        attrs[step[1]] = value
    cls_name = "ServiceResource" if service_context.service_name == resource_name else resource_name
    cls_name = f"{service_context.service_name}.{cls_name}"
    base_classes = [ServiceResource]
    if self._emitter is not None:
        self._emitter.emit(f"creating-resource-class.{cls_name}", class_attributes=attrs,
                           base_classes=base_classes, service_context=service_context)
    return _new_class(str(cls_name), tuple(base_classes), attrs)


def _new_class_in_boto3(name: str, bases: tuple, attrs: dict) -> type:
    return type(name, bases, attrs)


# type() names a class's module after the globals of the frame calling it: boto3's classes are boto3's factory's
_new_class = types.FunctionType(_new_class_in_boto3.__code__, vars(boto3_factory), "_new_class_in_boto3")


def _own_loaders() -> bool:
    factory = boto3_factory.ResourceFactory
    return all(getattr(factory, name) is _LOADER_FUNCTIONS[name] for name in _LOADERS)


_LOADER_FUNCTIONS = {name: getattr(boto3_factory.ResourceFactory, name) for name in _LOADERS}


def install() -> None:
    """Build resource classes from remembered plans (idempotent)."""
    boto3_factory.ResourceFactory.load_from_definition = load_from_definition


def uninstall() -> None:
    """boto3 walks the models for every resource class again."""
    boto3_factory.ResourceFactory.load_from_definition = _original


def installed() -> bool:
    """True while resource classes are built from remembered plans."""
    return boto3_factory.ResourceFactory.load_from_definition is load_from_definition
