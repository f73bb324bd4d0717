"""Library state each execution environment keeps to itself. On AWS every environment is its own process, so a
library imported by handler code has one copy per environment: Powertools' metrics (class-level dicts shared
by every `Metrics` of the process), its cold-start flags, and the named logger a `Logger(service=...)` configures
(handler, formatter and appended keys) all belong to one environment. In the harness all environments share
one process, so a container imports these libraries afresh (its module namespace holds them, see container.py)
and keeps the named loggers and botocore session initializers its code created out of the process while it
does not hold the baton; otherwise concurrent invocations in two environments mix each other's metrics and
logger keys. The same goes for `typing.overload`'s registry (Powertools registers overloads of its own functions):
left in the process's registry, an environment's entries would keep its module namespaces alive after the
environment is discarded, until the next environment of that code replaced them."""
from __future__ import annotations

import functools
import logging
import typing
from collections.abc import Callable
from importlib.machinery import PathFinder

import botocore

# Libraries whose module state belongs to one execution environment (imported once per container).
PER_ENVIRONMENT_LIBRARIES = ("aws_lambda_powertools",)
_PRECONFIGURED = "init"  # the attribute Powertools sets on a logger it configured (LOGGER_ATTRIBUTE_PRECONFIGURED)
# typing.overload's registry: module name -> qualified name -> first line -> function (one object for the process:
# typing.clear_overloads() empties it in place).
_OVERLOADS: dict = typing._overload_registry  # type: ignore[attr-defined]


@functools.cache
def library_folders() -> tuple[str, ...]:
    """The package folders of the per-environment libraries that are installed (their code is compiled once per
    process, see codecache.py)."""
    folders: list[str] = []
    for name in PER_ENVIRONMENT_LIBRARIES:
        spec = PathFinder.find_spec(name)
        folders.extend((spec and spec.submodule_search_locations) or ())
    return tuple(folders)


def _powertools_configured(item: object) -> bool:
    return isinstance(item, logging.Logger) and bool(getattr(item, _PRECONFIGURED, False))


class LibrarySlot:
    """The named loggers and botocore initializers one environment's code created, installed into the process
    while the environment runs and taken out when it stops."""

    def __init__(self, owns_name: Callable[[str], bool]):
        self._owns_name = owns_name  # top-level names of the environment's own modules and libraries
        self.loggers: dict[str, logging.Logger | logging.PlaceHolder] = {}
        self._initializers: list = []
        self._shadowed: dict = {}
        self._host_configured: list[str] | None = None  # service loggers the host process configured
        self._registry_len = self._initializers_len = 0
        # typing.overload's entries of this environment's modules (by module name), out of the registry while it
        # does not run; the host's entries of names it owns (its libraries, imported by the host too), found at its
        # first install, are out of the registry while it runs.
        self._overloads: dict[str, dict] = {}
        self._overloads_host: list[str] | None = None
        self._overloads_shadowed: dict[str, dict] = {}
        self._overloads_len = 0

    def install(self) -> None:
        """Put this environment's loggers and initializers into the process, hiding the host's namesakes."""
        registry = logging.Logger.manager.loggerDict
        if self._host_configured is None:  # once: what Powertools configured outside this environment
            self._host_configured = [name for name, item in registry.items() if _powertools_configured(item)]
        for name in (*self._host_configured, *self.loggers):
            if name in registry and registry[name] is not self.loggers.get(name):
                self._shadowed[name] = registry.pop(name)
        registry.update(self.loggers)
        self._registry_len = len(registry)
        if self._initializers:
            botocore._INITIALIZERS.extend(self._initializers)
        self._initializers_len = len(botocore._INITIALIZERS)
        if self._overloads_host is None:
            self._overloads_host = [name for name in _OVERLOADS if self._owns_name(name.partition(".")[0])]
        if self._overloads or self._overloads_host:
            self._install_overloads()
        self._overloads_len = len(_OVERLOADS)

    def uninstall(self) -> None:
        """Take this environment's loggers and initializers out; put the host's back."""
        registry = logging.Logger.manager.loggerDict
        if len(registry) != self._registry_len:  # its code created loggers: keep those that are its own
            for name, item in registry.items():
                if name not in self.loggers and self._owned(name, item):
                    self.loggers[name] = item
        for name in self.loggers:
            registry.pop(name, None)
        if self._shadowed:
            registry.update(self._shadowed)
            self._shadowed = {}
        initializers = botocore._INITIALIZERS
        if len(initializers) != self._initializers_len or self._initializers:
            start = self._initializers_len - len(self._initializers)
            self._initializers = initializers[start:]
            del initializers[start:]
        if self._overloads or self._overloads_shadowed or len(_OVERLOADS) != self._overloads_len:
            self._uninstall_overloads()

    def _install_overloads(self) -> None:
        for name in (*self._overloads_host, *self._overloads):  # type: ignore[misc]
            held = _OVERLOADS.pop(name, None)
            if held is not None:
                self._overloads_shadowed[name] = held
        _OVERLOADS.update(self._overloads)

    def _uninstall_overloads(self) -> None:
        if len(_OVERLOADS) != self._overloads_len:  # its code registered overloads of new modules: keep its own
            for name, entry in _OVERLOADS.items():  # (while it runs, every name it owns is its own)
                if name not in self._overloads and self._owns_name(name.partition(".")[0]):
                    self._overloads[name] = entry
        for name in self._overloads:
            _OVERLOADS.pop(name, None)
        if self._overloads_shadowed:
            _OVERLOADS.update(self._overloads_shadowed)
            self._overloads_shadowed = {}

    def _owned(self, name: str, item: object) -> bool:
        top = name.partition(".")[0]
        return (self._owns_name(top) or _powertools_configured(item)
                or _powertools_configured(logging.Logger.manager.loggerDict.get(top)))

