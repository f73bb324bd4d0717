"""Cheaper boto3 client creation: one endpoint rule set per service and process, and botocore's handler check
read from the code object.

Every `boto3.client(...)` (a handler module's cold start makes one or two) builds botocore's endpoint rule set
afresh from the service's `endpoint-rule-set-1` data: every rule, condition and parameter as an object, about
13 % of a client's creation (0.3 ms of 2-3 ms). Once built, a rule set is never changed: an `EndpointProvider`
only reads it, and its endpoint cache (`lru_cache_weakref`) is one process-wide cache keyed by provider and
parameters. So providers built from the same data objects (the loader caches them: one dict per service and
API version, one for the partitions) and the same excluded parameters are interchangeable, and this module
hands out one per such key.

Each client also registers a few dozen event handlers (retries, its own `_register_handlers`...), and botocore
checks each one takes `**kwargs` with `inspect.getfullargspec`, which builds a whole Signature (about 10 % of a
creation). For a plain function or a method of one, with no `__signature__`, `__text_signature__` or
`_partialmethod`, that answer is the code object's `**kwargs` name, and `accepts_kwargs` reads it there; anything
else still goes to botocore's own check.

Everything else is still per client: its class, its own event emitter (a copy of the session's), its
credentials and region (read from the environment at each creation), its endpoint resolver (builtins such as
the region and endpoint URL, client context, auth scheme), its HTTP session and the router's hooks.
"""
from __future__ import annotations

import inspect
import threading
import types
from typing import Any

from botocore import compat, hooks, regions
from botocore.endpoint_provider import EndpointProvider

_lock = threading.Lock()
_providers: dict[tuple, tuple[Any, Any, EndpointProvider]] = {}


def shared_provider(ruleset_data: Any, partition_data: Any, excluded_params: Any = None) -> EndpointProvider:
    """The EndpointProvider for these rule set and partition data objects, built once per process."""
    key = (id(ruleset_data), id(partition_data), frozenset(excluded_params or ()))
    with _lock:
        entry = _providers.get(key)
        # The entry holds the data objects, so their ids cannot be reused while it lives; `is` makes sure.
        if entry is None or entry[0] is not ruleset_data or entry[1] is not partition_data:
            provider = EndpointProvider(ruleset_data=ruleset_data, partition_data=partition_data,
                                        excluded_params=excluded_params)
            entry = _providers[key] = (ruleset_data, partition_data, provider)
        return entry[2]


def accepts_kwargs(func: Any) -> str | None:
    """The name of `func`'s `**kwargs` parameter, or None: what botocore's `accepts_kwargs` answers."""
    target = func.__func__ if type(func) is types.MethodType else func
    if (type(target) is not types.FunctionType or getattr(target, "__signature__", None) is not None
            or getattr(target, "__text_signature__", None) or hasattr(target, "_partialmethod")):
        return compat.accepts_kwargs(func)
    code = target.__code__
    if not code.co_flags & inspect.CO_VARKEYWORDS:
        return None
    return code.co_varnames[code.co_argcount + code.co_kwonlyargcount + bool(code.co_flags & inspect.CO_VARARGS)]


def install() -> None:
    """Share endpoint providers and check handlers from their code (idempotent)."""
    regions.EndpointProvider = shared_provider
    hooks.accepts_kwargs = accepts_kwargs


def uninstall() -> None:
    """Give botocore back its own EndpointProvider and check (every client built afterwards is built as before)."""
    regions.EndpointProvider = EndpointProvider
    hooks.accepts_kwargs = compat.accepts_kwargs


def installed() -> bool:
    """True while clients share endpoint providers and handlers are checked from their code."""
    return regions.EndpointProvider is shared_provider and hooks.accepts_kwargs is accepts_kwargs
