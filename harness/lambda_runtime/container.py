"""Execution environments: each imports the function's code in its own module namespace, keeps its own
environment variables and stays warm between invocations, so module-scope state really goes stale."""
from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.lambda_runtime import codecache
from harness.lambda_runtime.config import FunctionConfig
from harness.lambda_runtime.environ import EnvironmentSlot
from harness.lambda_runtime.libraries import PER_ENVIRONMENT_LIBRARIES, LibrarySlot, library_folders
from harness.lambda_runtime.runtime_errors import runtime_exception
from harness.sandbox import threads as _threads

# sys.modules keeps insertion order, so whatever a step imports ends up after this module, which `enter` moves to
# the end: `exit` reads that tail instead of every loaded module. Handler code has no reason to touch the harness's
# own entry; an entry of the rest the step deleted (re-added or not) shows in the count and costs one full walk.
_MARKER_NAME = __name__
_MARKER = sys.modules[__name__]
_MISSING = object()


def _local_names(code_dir: Path) -> set[str]:
    """Top-level module and package names a code folder provides."""
    names = set()
    for entry in code_dir.iterdir():
        if entry.suffix == ".py":
            names.add(entry.stem)
        elif entry.is_dir() and not entry.name.startswith((".", "__")):
            names.add(entry.name)
    return names


class Container:
    """One execution environment of one function."""

    def __init__(self, config: FunctionConfig, container_id: str, created_at: float, env: dict[str, str],
                 host_env: Callable[[], dict[str, str]]):
        self.config, self.id, self.created_at = config, container_id, created_at
        self._environment = EnvironmentSlot(env)
        self._host_env = host_env
        self.modules: dict[str, Any] = {}
        self.handler: Callable[[Any, Any], Any] | None = None
        self.state = "new"  # new -> idle <-> busy -> dead
        self.last_used = created_at
        self.invocations = 0
        self.skew = 0.0
        self.keep_warm_until: float | None = None
        # The function's code folder, then its layers' folders (as /opt/python is on Lambda's path).
        self._paths = [str(config.code_dir), *(str(p) for p in config.layers)]
        self._prefixes = tuple(p.rstrip(os.sep) + os.sep for p in self._paths)
        self._names = set().union(*(_local_names(Path(p)) for p in self._paths), PER_ENVIRONMENT_LIBRARIES)
        self._libraries = LibrarySlot(self._names.__contains__)
        self._shadowed: dict[str, Any] = {}
        self._modules_len = 0
        self.threads: list = []  # threads its handler code started (harness.sandbox.threads)

    @property
    def env(self) -> dict[str, str]:
        """This environment's variables (as its handler code last left them)."""
        return self._environment.env

    # ------------------------------------------------------------------ View protocol (scheduler)
    def enter(self) -> None:
        """Install this container's modules, code path and environment into the process."""
        self._environment.install()
        sys.path[0:0] = self._paths
        modules = sys.modules
        # Only modules under this code folder's top-level names can shadow ours; look further only when one
        # of those names is taken (usually nothing is: the previous container took its modules out).
        if not modules.keys().isdisjoint(self._names) and any(
                name in modules and modules[name] is not self.modules.get(name) for name in self._names):
            self._shadowed = {name: mod for name, mod in modules.items()
                              if name.split(".", 1)[0] in self._names and mod is not self.modules.get(name)}
            for name in self._shadowed:
                del modules[name]
        modules.update(self.modules)
        modules.pop(_MARKER_NAME, None)
        modules[_MARKER_NAME] = _MARKER
        self._modules_len = len(modules)
        self._libraries.install()
        if self.threads:
            _threads.thaw(self)

    def exit(self) -> None:
        """Take this container's modules and environment back out of the process."""
        if self.threads:
            _threads.freeze(self)
        modules = sys.modules
        for name, mod in self._added(modules):  # code imported something: keep what came from this folder
            if name not in self.modules and self._owns(name, mod):
                self.modules[name] = mod
        for name in self.modules:
            modules.pop(name, None)
        if self._shadowed:
            modules.update(self._shadowed)
            self._shadowed = {}
        self._libraries.uninstall()
        for path in self._paths:
            try:
                sys.path.remove(path)
            except ValueError:
                pass
        self._environment.uninstall(self._host_env())

    def _added(self, modules: dict[str, Any]) -> list[tuple[str, Any]]:
        """The entries of sys.modules the step added, in its order: the tail after the marker when the count
        says nothing before it was deleted, else every entry (the full walk)."""
        if (len(modules) == self._modules_len and next(reversed(modules), None) == _MARKER_NAME
                and modules[_MARKER_NAME] is _MARKER):
            return []  # nothing added, nothing deleted (the usual warm step)
        tail: list[str] | None = []
        try:
            for name in reversed(modules):
                if name == _MARKER_NAME:
                    break
                tail.append(name)
            else:
                tail = None  # the marker is gone
        except RuntimeError:  # another thread of this environment imported meanwhile
            tail = None
        if tail is None or modules.get(_MARKER_NAME) is not _MARKER or len(tail) != len(modules) - self._modules_len:
            return list(modules.items())
        found = [(name, modules.get(name, _MISSING)) for name in reversed(tail)]
        return [(name, mod) for name, mod in found if mod is not _MISSING]

    def _owns(self, name: str, module: Any) -> bool:
        if name.partition(".")[0] in PER_ENVIRONMENT_LIBRARIES:
            return True
        path = getattr(module, "__file__", None)
        if path:
            return str(path).startswith(self._prefixes)
        return any(str(p).startswith(self._prefixes) for p in getattr(module, "__path__", []) or [])

    # ------------------------------------------------------------------ lifecycle
    def init(self) -> None:
        """Import the handler module (init code runs now, at this container's virtual init time)."""
        if self.config.stub is not None:
            self.handler = self.config.stub
            return
        module_name, _, function_name = self.config.handler.rpartition(".")
        codecache.register((*self._paths, *library_folders()))  # compiled once per process, re-executed here
        codecache.refresh(self._paths)  # files written since the last cold start are seen (as a new process would)
        if not module_name:
            raise runtime_exception("Runtime.MalformedHandlerName", f"Bad handler '{self.config.handler}': not enough "
                                    "values to unpack (expected 2, got 1)", resets=True)
        module = importlib.import_module(module_name)
        handler = getattr(module, function_name, None)
        if not callable(handler):
            raise runtime_exception("Runtime.HandlerNotFound", f"Handler '{function_name}' missing on module "
                                    f"'{module_name}'", resets=True)
        self.handler = handler

    def expired(self, now: float, idle_lifetime: float) -> bool:
        """True when an idle container has been reclaimed."""
        if self.keep_warm_until is not None and now <= self.keep_warm_until:
            return False
        return now - self.last_used > idle_lifetime

    def set_env(self, name: str, value: str) -> None:
        """Set one of this environment's variables (as the runtime does per invocation), installed or not."""
        self._environment.put(name, value)


class ContainerPool:
    """Warm containers of one function; the most recently used idle one is reused first."""

    def __init__(self, config: FunctionConfig, idle_lifetime: float):
        self.config, self.idle_lifetime = config, idle_lifetime
        self.containers: list[Container] = []
        self.created = 0
        self.force_cold = False
        self.pinned: Container | None = None

    def acquire(self, now: float, make: Callable[[], Container]) -> Container:
        """A warm idle container (the most recently used), or a new one; expired idle ones are reclaimed first."""
        alive, idle = [], []
        for container in self.containers:  # one pass: reclaim the expired, keep the living, note the idle
            if container.state == "idle":
                if container.expired(now, self.idle_lifetime):
                    container.state = "dead"
                    continue
                idle.append(container)
            elif container.state == "dead":
                continue
            alive.append(container)
        self.containers = alive
        if self.force_cold:
            self.force_cold = False
        else:
            if self.pinned is not None and self.pinned.state == "idle":
                return self._busy(self.pinned)
            if idle:
                return self._busy(max(idle, key=lambda c: (c.last_used, c.created_at)))
        container = make()
        self.created += 1
        self.containers.append(container)
        return self._busy(container)

    @staticmethod
    def _busy(container: Container) -> Container:
        container.state = "busy"
        return container

    def release(self, container: Container, now: float, reset: bool) -> None:
        """Back to idle, or discarded when the environment must be reset (timeout, crash, init failure)."""
        container.last_used = now
        container.state = "dead" if reset else "idle"
        if reset:
            self.containers = [c for c in self.containers if c is not container]

    def recycle(self) -> None:
        """Reclaim every idle container (the next invocation is a cold start)."""
        for container in self.containers:
            if container.state == "idle":
                container.state = "dead"
        self.containers = [c for c in self.containers if c.state != "dead"]
