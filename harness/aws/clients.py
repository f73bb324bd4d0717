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

Each client gets its own event emitter, a copy of the session's: botocore copies its handler trie node by node
(0.3 ms and about 800 objects per creation for the router session's ~200 nodes; about 15 % of a creation). A
`SharedTrie` copy shares the nodes instead and copies a node only before either side changes the handlers under it
(a client registers a few dozen handlers on a few paths), so each emitter still has its own handlers: what the
session registers later reaches no existing client, what a client registers reaches no other. The original of a
copy becomes a `SharedTrie` too (its class is swapped): it must not change shared nodes either. uninstall() leaves
existing shared tries as they are (they keep copying before changing); copies made afterwards are full copies, as
botocore makes them.

Each client's emitter is wrapped in its own `EventAliaser` (which maps old service names in event names to new
ones), whose cache of aliased names starts empty: every handler a client registers walks the ~40 aliases again
(about 6 % of a creation). The aliased name depends only on the event name and the alias table, so copies whose
table is botocore's EVENT_ALIASES share one cache (`copy_aliaser`); an aliaser whose table is another keeps its own.

Each creation asks urllib for proxies and for whether to bypass them, and urllib decodes every environment
variable twice for each question (about 6 % of a creation) to find names ending in `_proxy`; where there is none
(as in every execution environment the harness makes) the answers are {} and False, found from the encoded names.

Each client's HTTP session makes an `ssl.SSLContext` (OpenSSL's `SSL_CTX_new` and its options: about a fifth of a
creation), used only when the client opens an HTTPS connection, which a client answered by the router never does.
`DeferredContext` makes it when the session first hands out its connection manager, before any pool exists, so
a connection gets the context it would have had (urllib3 copies `ssl_context` into each pool it makes).

Installed with these, in their own modules: clients of one session share their service models, and a client
class's methods are made from botocore's own template (shared_models.py); config variables and User-Agent texts are
read for less (client_settings.py); SigV4 signing keys are derived once per date, region, service and secret
(signing.py); boto3 resource classes are built from a remembered plan (resource_classes.py).

Everything else is still per client: its class, its credentials and region (read from the environment at each
creation), its endpoint resolver (builtins such as the region and endpoint URL, client context, auth scheme), its
HTTP session and the router's hooks.
"""
from __future__ import annotations

import copy
import inspect
import os
import threading
import types
import urllib.request
from typing import Any

from botocore import compat, hooks, httpsession, regions
from botocore import utils as botocore_utils
from botocore.endpoint_provider import EndpointProvider
from botocore.utils import EVENT_ALIASES

from harness.aws import (
    client_settings,
    config_objects,
    profile_reads,
    resource_classes,
    shared_models,
    signing,
)

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


def _own_node(node: dict) -> dict:
    """A copy of one trie node that a trie may change: its own children mapping and value lists; the children
    themselves are still shared."""
    copied = dict(node)
    copied["children"] = dict(node["children"])
    values = node.get("values")
    if isinstance(values, hooks.NodeList):
        copied["values"] = copy.copy(values)  # NodeList.__copy__: three new lists
    return copied


class SharedTrie(hooks._PrefixTrie):
    """botocore's handler trie, copied by sharing its nodes: a copy (a new client's emitter) and its original
    share every node until one of them changes a key's handlers, which copies the nodes on that key's path first
    (the nodes it made itself since the last copy are its own and change in place). Lookups read the same
    structure botocore's own copy would have made."""

    _owned: set | None = None  # ids of the nodes this trie may change in place; None: all of them (never copied)

    def _own_path(self, key_parts: list[str], create: bool) -> dict:
        """The node at `key_parts`, every node on the way made this trie's own (created when missing and
        `create`); returns the deepest node reached."""
        owned = self._owned
        if owned is None:
            owned = self._owned = set()
            self._mark(self._root, owned)
        current = self._root
        if id(current) not in owned:
            current = self._root = _own_node(current)
            owned.add(id(current))
        for part in key_parts:
            children = current["children"]
            child = children.get(part)
            if child is None:
                if not create:
                    return current
                child = {"chunk": part, "values": None, "children": {}}
            elif id(child) in owned:
                current = child
                continue
            else:
                child = _own_node(child)
            children[part] = child
            owned.add(id(child))
            current = child
        return current

    @staticmethod
    def _mark(node: dict, owned: set) -> None:
        owned.add(id(node))
        for child in node["children"].values():
            SharedTrie._mark(child, owned)

    def append_item(self, key: str, value: Any, section: int = hooks._MIDDLE) -> None:
        """Add an item to a key (botocore's own walk, over nodes made this trie's own)."""
        self._own_path(key.split("."), create=True)
        super().append_item(key, value, section)

    def remove_item(self, key: str, value: Any) -> None:
        """Remove an item from a key (botocore's own removal, over nodes made this trie's own)."""
        self._own_path(key.split("."), create=False)
        super().remove_item(key, value)

    def __copy__(self) -> SharedTrie:
        if hooks._PrefixTrie.__copy__ is share_trie:
            return share_trie(self)
        new = SharedTrie.__new__(SharedTrie)  # uninstalled: copied in full, as botocore copies (owning every node)
        new._root = self._recursive_copy(self._root)
        return new


def share_trie(trie: Any) -> SharedTrie:
    """`copy.copy` of botocore's handler trie: a trie sharing its nodes until either side changes them."""
    if type(trie) not in (hooks._PrefixTrie, SharedTrie) or trie.__dict__.keys() - {"_root", "_owned"}:
        return _trie_copy(trie)
    trie.__class__ = SharedTrie  # from now on the original copies its nodes before changing them, too
    trie._owned = set()
    new = SharedTrie.__new__(SharedTrie)
    new._root, new._owned = trie._root, set()
    return new


_trie_copy = hooks._PrefixTrie.__copy__
_getproxies, _proxy_bypass = botocore_utils.getproxies, botocore_utils.proxy_bypass
_FROM_ENVIRONMENT = (_getproxies is urllib.request.getproxies_environment
                     and _proxy_bypass is urllib.request.proxy_bypass_environment)  # not macOS or Windows


def _without_proxy_variables() -> bool:
    """True when no environment variable's name ends in `_proxy` (in any case): then `getproxies_environment()`
    is {} and `proxy_bypass_environment(host)` False. Names that are not ASCII are left to urllib."""
    data = getattr(os.environ, "_data", None)
    if type(data) is not dict:
        return False
    names = b"\0".join(data) + b"\0"  # a name cannot hold a NUL
    return names.isascii() and b"_proxy\0" not in names.lower()


def getproxies() -> dict[str, str]:
    """urllib's `getproxies()` (proxies from the environment), without decoding every variable when none is one."""
    return {} if _without_proxy_variables() else _getproxies()


def proxy_bypass(host: Any) -> Any:
    """urllib's `proxy_bypass(host)` (the environment's no_proxy), the same way."""
    return False if _without_proxy_variables() else _proxy_bypass(host)
_aliaser_copy = hooks.EventAliaser.__copy__
_STANDARD_ALIASES: dict[str, str] = {}  # event name -> its aliased name, under botocore's own alias table


def copy_aliaser(aliaser: Any) -> Any:
    """`copy.copy` of an EventAliaser (botocore's own), whose aliased names are remembered with every other copy's
    while its alias table is botocore's EVENT_ALIASES (the name depends on nothing else)."""
    new = _aliaser_copy(aliaser)
    if type(new) is hooks.EventAliaser and new._event_aliases == EVENT_ALIASES and not new._alias_name_cache:
        new._alias_name_cache = _STANDARD_ALIASES
    return new


class DeferredContext:
    """Stands for the SSL context a botocore HTTP session makes at creation, until it first hands out its
    connection manager (`URLLib3Session._get_connection_manager`)."""

    def __repr__(self) -> str:
        return "<SSL context made on first connection>"


_DEFERRED = DeferredContext()
_session_init = httpsession.URLLib3Session.__init__
_connection_manager = httpsession.URLLib3Session._get_connection_manager


def _deferred_context() -> DeferredContext:
    return _DEFERRED


def _lazy_session_init(self: Any, *args: Any, **kwargs: Any) -> None:
    """URLLib3Session.__init__ with its pool manager's SSL context deferred (not when SSLKEYLOGFILE is set: the
    context reads it when made, and an execution environment's variables may differ by then)."""
    if type(self) is not httpsession.URLLib3Session or os.environ.get("SSLKEYLOGFILE"):
        return _session_init(self, *args, **kwargs)
    self._get_ssl_context = _deferred_context  # for the constructor's own pool manager only
    try:
        _session_init(self, *args, **kwargs)
    finally:
        del self._get_ssl_context


def _connection_manager_with_context(self: Any, url: str, proxy_url: str | None = None) -> Any:
    """The connection manager, its SSL context made first if it was deferred."""
    pool_kw = self._manager.connection_pool_kw
    if pool_kw.get("ssl_context") is _DEFERRED:
        pool_kw["ssl_context"] = self._get_ssl_context()
    return _connection_manager(self, url, proxy_url)


def install() -> None:
    """Share endpoint providers and service models, check handlers from their code, copy emitters in one pass, defer
    SSL contexts and read settings for less (idempotent)."""
    regions.EndpointProvider = shared_provider
    hooks.accepts_kwargs = accepts_kwargs
    hooks._PrefixTrie.__copy__ = share_trie
    hooks.EventAliaser.__copy__ = copy_aliaser
    if _FROM_ENVIRONMENT:
        botocore_utils.getproxies, botocore_utils.proxy_bypass = getproxies, proxy_bypass
    httpsession.URLLib3Session.__init__ = _lazy_session_init
    httpsession.URLLib3Session._get_connection_manager = _connection_manager_with_context
    shared_models.install()
    client_settings.install()
    profile_reads.install()
    config_objects.install()
    signing.install()
    resource_classes.install()


def uninstall() -> None:
    """Give botocore back its own EndpointProvider, check, copy and SSL contexts (every client built afterwards is
    built as before)."""
    regions.EndpointProvider = EndpointProvider
    hooks.accepts_kwargs = compat.accepts_kwargs
    hooks._PrefixTrie.__copy__ = _trie_copy
    hooks.EventAliaser.__copy__ = _aliaser_copy
    botocore_utils.getproxies, botocore_utils.proxy_bypass = _getproxies, _proxy_bypass
    httpsession.URLLib3Session.__init__ = _session_init
    httpsession.URLLib3Session._get_connection_manager = _connection_manager
    shared_models.uninstall()
    client_settings.uninstall()
    profile_reads.uninstall()
    config_objects.uninstall()
    signing.uninstall()
    resource_classes.uninstall()


def installed() -> bool:
    """True while clients share endpoint providers, handlers are checked from their code, emitters are copied in
    one pass and SSL contexts deferred."""
    return (regions.EndpointProvider is shared_provider and hooks.accepts_kwargs is accepts_kwargs
            and hooks._PrefixTrie.__copy__ is share_trie and hooks.EventAliaser.__copy__ is copy_aliaser
            and httpsession.URLLib3Session.__init__ is _lazy_session_init and shared_models.installed()
            and client_settings.installed() and profile_reads.installed() and config_objects.installed()
            and signing.installed()
            and resource_classes.installed())
