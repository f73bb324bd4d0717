"""The endpoint rule set's parameters of a call found from a plan made once per operation.

Before every call botocore's `EndpointRulesetResolver._get_provider_params` finds a value for each parameter of the
service's rule set (DynamoDB has eight: Region, UseFIPS, UseDualStack, Endpoint, AccountId, AccountIdEndpointMode,
ResourceArn, ResourceArnList): for each one it asks four lookups in turn (the operation's static context parameters,
its dynamic context parameters, its operation context parameters, the client's context parameters), each through
`instance_cache` (a key tuple built and hashed per lookup), then the builtins, checking each builtin's name against
every member of `EndpointResolverBuiltins`. Which lookup can answer a parameter, and from which member, path or
variable, depends only on the rule set's parameter definitions, the operation model and the service model, which are
the same objects for every call of every client of a service (the loader and `shared_models` hand them out). So the
plan made once per such triple says, per parameter in the rule set's order: its static value, the member a dynamic
context parameter reads, the JMESPath of an operation context parameter, the client context variable, the builtin.

Each call still does what botocore does with the call's own inputs: `before-endpoint-resolution` is emitted with a
fresh copy of the client's builtins (handlers may change it), the call's parameters are read with `.get` and
`jmespath.search`, the client context is read from the resolver, a callable builtin is called, the lookups run in
botocore's order and stop at the first value that is not None, and each value found registers its feature ids
through the resolver's own `_register_endpoint_feature_ids`. A resolver of another class, a replaced lookup method,
or a builtin name botocore does not know (botocore raises when it reaches it) goes to botocore's own code.
"""
from __future__ import annotations

import operator
from typing import Any

import jmespath
from botocore import xform_name
from botocore.regions import EndpointResolverBuiltins, EndpointRulesetResolver

from harness.memo import remember

MAX_PLANS = 512  # distinct (rule set, operation, service model) plans kept; past it the memory starts again

_original = EndpointRulesetResolver._get_provider_params
_METHODS = ("_get_customized_builtins", "_resolve_param_from_context", "_resolve_param_as_static_context_param",
            "_resolve_param_as_dynamic_context_param", "_resolve_param_as_operation_context_param",
            "_resolve_param_as_client_context_param", "_resolve_param_as_builtin", "_get_static_context_params",
            "_get_dynamic_context_params", "_get_client_context_params")
_methods_of = operator.attrgetter(*_METHODS)
_own = _methods_of(EndpointRulesetResolver)
_BUILTINS = frozenset(EndpointResolverBuiltins.__members__.values())
_plans: dict[tuple[int, int, int], tuple[Any, Any, Any, tuple | None]] = {}


def plan_of(resolver: Any, operation_model: Any) -> tuple | None:
    """Per rule set parameter, in order: (name, static value, dynamic member, operation context path, client context
    variable, builtin name); None when a builtin name is unknown to botocore."""
    definitions, service_model = resolver._param_definitions, resolver._service_model
    key = (id(definitions), id(operation_model), id(service_model))
    entry = _plans.get(key)
    # The entry holds the three objects, so their ids cannot be reused while it lives; `is` makes sure.
    if entry is not None and entry[0] is definitions and entry[1] is operation_model and entry[2] is service_model:
        return entry[3]
    plan = _make_plan(definitions, operation_model, service_model)
    remember(_plans, key, (definitions, operation_model, service_model, plan), MAX_PLANS)
    return plan


def _make_plan(definitions: Any, operation_model: Any, service_model: Any) -> tuple | None:
    static = {param.name: param.value for param in operation_model.static_context_parameters}
    dynamic = {param.name: param.member_name for param in operation_model.context_parameters}
    operation = operation_model.operation_context_parameters
    client = {param.name: xform_name(param.name) for param in service_model.client_context_parameters}
    steps = []
    for name, definition in definitions.items():
        builtin = definition.builtin
        if builtin is not None and builtin not in _BUILTINS:
            return None
        path = operation[name]["path"] if name in operation else None
        steps.append((name, static.get(name), dynamic.get(name), path, client.get(name), builtin))
    return tuple(steps)


def get_provider_params(self: Any, operation_model: Any, call_args: Any, request_context: Any) -> dict:
    """`EndpointRulesetResolver._get_provider_params`: a value for each rule set parameter, in botocore's order."""
    if type(self) is not EndpointRulesetResolver or _methods_of(EndpointRulesetResolver) != _own:
        return _original(self, operation_model, call_args, request_context)
    plan = plan_of(self, operation_model)
    if plan is None:
        return _original(self, operation_model, call_args, request_context)
    provider_params = {}
    builtins = self._get_customized_builtins(operation_model, call_args, request_context)
    for name, static, member, path, variable, builtin in plan:
        value = static
        if value is None and member is not None:
            value = call_args.get(member)
        if value is None and path is not None:
            value = jmespath.search(path, call_args)
        if value is None and variable is not None:
            value = self._client_context.get(variable)
        if value is None and builtin is not None:
            value = builtins.get(builtin)
            if callable(value):
                value = value()
        if value is not None:
            provider_params[name] = value
            self._register_endpoint_feature_ids(name, value)
    return provider_params


def install() -> None:
    """Find a call's rule set parameters from plans made once per operation (idempotent)."""
    EndpointRulesetResolver._get_provider_params = get_provider_params


def uninstall() -> None:
    """botocore asks its four lookups and the builtins for every parameter of every call again."""
    EndpointRulesetResolver._get_provider_params = _original


def installed() -> bool:
    """True while rule set parameters are found from remembered plans."""
    return EndpointRulesetResolver._get_provider_params is get_provider_params
