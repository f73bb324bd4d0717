"""Cheaper boto3 client creation: one endpoint rule set per service and process.

Every `boto3.client(...)` (a handler module's cold start makes one or two) builds botocore's endpoint rule set
afresh from the service's `endpoint-rule-set-1` data: every rule, condition and parameter as an object, about
13 % of a client's creation (0.3 ms of 2-3 ms). Once built, a rule set is never changed: an `EndpointProvider`
only reads it, and its endpoint cache (`lru_cache_weakref`) is one process-wide cache keyed by provider and
parameters. So providers built from the same data objects (the loader caches them: one dict per service and
API version, one for the partitions) and the same excluded parameters are interchangeable, and this module
hands out one per such key.

Everything else is still per client: its class, its own event emitter (a copy of the session's), its
credentials and region (read from the environment at each creation), its endpoint resolver (builtins such as
the region and endpoint URL, client context, auth scheme), its HTTP session and the router's hooks.
"""
from __future__ import annotations

import threading
from typing import Any

from botocore import regions
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


def install() -> None:
    """Make botocore's endpoint resolvers take their provider from `shared_provider` (idempotent)."""
    regions.EndpointProvider = shared_provider


def uninstall() -> None:
    """Give botocore back its own EndpointProvider (every client built afterwards builds its own)."""
    regions.EndpointProvider = EndpointProvider


def installed() -> bool:
    """True while clients share endpoint providers."""
    return regions.EndpointProvider is shared_provider
