"""freezegun's start and stop for the virtual clock's time patch, with the module scan remembered between starts.

A simulation run outside a batch (`run_scenario` alone: the pytest plugin, `harness run FILE --seed`, incident
export) starts and stops freezegun once. freezegun's own `_freeze_time.start` walks every loaded module in Python
(about 2.3 µs a module, 1,200-2,500 modules) and makes and closes an asyncio event loop only to learn its class;
its `stop` calls `dir()` on every module imported while time was patched. Here:

- The scan's answer (which module attributes are bound to a real time function) is remembered per sys.modules
  entry: its name, the module's identity and its namespace's size. A start lists the entries at C speed and, when
  they are the ones of the last start and every remembered binding is still in place, patches what it patched
  then; else it reads the new or changed entries only, through freezegun's own filter and attribute cache, where
  freezegun's walk reads them (datetime and time already patched: a module the walk imports binds the fakes, and
  is restored at stop). A rebinding that keeps a namespace's size (`x = 1` replaced by `x = time.time`) is missed
  as freezegun's own cache (a hash of the names) misses it.
- The event loop class is learned once per event-loop policy and loop factory (the stock policy makes its loops
  with `_loop_factory()`); any other policy, or a replaced `asyncio.new_event_loop`, makes a loop as freezegun does.
- `stop`, when no module name came or went since the start (the names listed again compare equal, in order),
  restores what freezegun's stop restores without listing the names into a set; otherwise it is freezegun's own
  `stop`, whose `modules_at_start` (`ModulesAtStart`, left by the start) is a set whose difference from the
  current names leaves out the new plain modules none of whose values is a fake: `dir()` on them would only
  confirm it.

What is copied from freezegun 1.5.5 is `_start_patching` (its `_freeze_time.start` when no freeze is active),
`ModuleScan._scan` (its module filter) and `_stop_patching` (its `stop` of the last freeze, less the walk of new
modules). Anything else (another freezegun version, a freeze already active such as a test's `freeze_time` or a
batch's resident patch, a ticking freezer, an ignore list other than freezegun's configured default, sys.modules
changing while it is listed) uses freezegun's own start and stop.

Measured (docs/performance.md, "Time patch outside a batch, seventh wave"), thread CPU per run with 1,213 modules
loaded: `TimePatch.start` 2.6-2.9 ms before, 0.30-0.35 ms after; `stop` 0.18-0.19 ms before, 0.12-0.13 ms after.
"""
from __future__ import annotations

import asyncio
import copyreg
import datetime
import sys
import time
import types
import uuid
import warnings
from itertools import repeat
from operator import is_
from typing import Any

import freezegun
import freezegun.api
import freezegun.config

BUILT_FOR = "1.5.5"
_api = freezegun.api
_NO_NAMESPACE: dict = {}
_FAKES_OF_TIME = ("time", "monotonic", "perf_counter", "localtime", "gmtime", "strftime", "time_ns", "monotonic_ns",
                  "perf_counter_ns")
_STOCK_NEW_EVENT_LOOP = asyncio.new_event_loop
_STOCK_POLICY_NEW_LOOP = asyncio.events.BaseDefaultEventLoopPolicy.new_event_loop


def _to_patch() -> list[tuple[Any, Any]]:
    """freezegun's (real, fake) pairs, in its order (read now: the harness installs its own `fake_time`)."""
    api = _api
    return [(api.real_date, api.FakeDate), (api.real_datetime, api.FakeDatetime), (api.real_gmtime, api.fake_gmtime),
            (api.real_localtime, api.fake_localtime), (api.real_monotonic, api.fake_monotonic),
            (api.real_perf_counter, api.fake_perf_counter), (api.real_strftime, api.fake_strftime),
            (api.real_time, api.fake_time), (api.real_time_ns, api.fake_time_ns),
            (api.real_monotonic_ns, api.fake_monotonic_ns), (api.real_perf_counter_ns, api.fake_perf_counter_ns)]


def applies(freezer: freezegun.api._freeze_time) -> bool:
    """Whether `start` can take the remembered path for `freezer` (else it is freezegun's own start)."""
    api = _api
    return (freezegun.__version__ == BUILT_FOR and not api.freeze_factories and not freezer.tick
            and not freezer.auto_tick_seconds and api.real_clock is None
            and freezer.ignore == tuple(freezegun.config.settings.default_ignore_list))


class ModuleScan:
    """freezegun's module scan for one ignore list: the (module, attribute, real time function) bindings a start
    patches, remembered per sys.modules entry between starts."""

    def __init__(self, ignore: tuple[str, ...]):
        self.ignore = ignore
        self._keys: list = []
        self._modules: list = []
        self._namespaces: list = []  # each entry's namespace as last read (a module's never changes)
        self._sizes: list = []
        self._known: dict[tuple, Any] = {}  # (name, id, size) -> module: keeps the module (and so its id) alive
        self._bound: dict[tuple, list] = {}  # the entries with bindings -> [(module, attribute, real)]
        self._bindings: list = []
        self._checks: tuple = ((), (), ())  # namespaces, attributes, reals of the bindings
        self._at_start: tuple = ((), None)  # the names listed at the last start and their ModulesAtStart

    def modules_at_start(self, names: list, fakes: frozenset[int]) -> ModulesAtStart:
        """The set of `names` for freezegun's stop: the last start's when the names are the same (freezegun only
        subtracts it from the current names; nothing adds to it)."""
        listed, made = self._at_start
        if made is None or names != listed or made.fakes != fakes:
            made = ModulesAtStart(names, fakes)
            self._at_start = (names, made)
        return made

    def listing(self) -> tuple[list, list]:
        """The names and objects in sys.modules now (the entries a start walks)."""
        modules = sys.modules
        names, objects = list(modules), list(modules.values())
        if len(names) != len(objects):
            raise RuntimeError("sys.modules changed while it was listed")
        return names, objects

    def bindings(self, names: list, objects: list) -> list[tuple[Any, str, Any]]:
        """What freezegun's start patches in these entries: (module, attribute, real time function), in a list.
        A new or changed entry is read as freezegun reads it (which may import modules: call it where freezegun's
        start walks the modules, time patched)."""
        unchanged = (names == self._keys and len(objects) == len(self._modules)
                     and all(map(is_, objects, self._modules)) and list(map(len, self._namespaces)) == self._sizes)
        if not (unchanged and self._in_place()):
            self._learn(names, objects)
        return self._bindings

    def _in_place(self) -> bool:
        namespaces, attributes, reals = self._checks
        return all(map(is_, map(_lookup, namespaces, attributes), reals))

    def _learn(self, keys: list, objects: list) -> None:
        namespaces = list(map(getattr, objects, repeat("__dict__"), repeat(_NO_NAMESPACE)))
        sizes = list(map(len, namespaces))
        current = dict(zip(zip(keys, map(id, objects), sizes), objects))
        bound = {entry: found for entry, found in self._bound.items() if entry in current}
        for entry in current.keys() - self._known.keys():
            bound[entry] = self._scan(entry[0], current[entry])
        for entry, found in bound.items():
            if not all(_lookup(_namespace(module), name) is real for module, name, real in found):
                bound[entry] = self._scan(entry[0], current[entry])
        self._bound = {entry: found for entry, found in bound.items() if found}
        self._known = current
        self._keys, self._modules, self._namespaces, self._sizes = keys, objects, namespaces, sizes
        self._bindings = [binding for found in self._bound.values() for binding in found]
        self._checks = (tuple(_namespace(module) for module, _, _ in self._bindings),
                        tuple(name for _, name, _ in self._bindings), tuple(real for _, _, real in self._bindings))

    def _scan(self, name: str, module: Any) -> list:
        """One entry as freezegun's start filters and reads it (copied from freezegun 1.5.5)."""
        api = _api
        if name is None or module is None or name == api.__name__:
            return []
        if name.startswith(self.ignore) or name.endswith(".six.moves"):
            return []
        if not hasattr(module, "__name__") or module.__name__ in ("datetime", "time"):
            return []
        return [(module, attribute, value) for attribute, value in api._get_cached_module_attributes(module)
                if id(value) in api._real_time_object_ids]


def _namespace(module: Any) -> Any:
    return getattr(module, "__dict__", None)


def _lookup(namespace: Any, name: str) -> Any:
    return namespace.get(name) if type(namespace) is dict else None  # not a plain namespace: never "in place"


_scan: ModuleScan | None = None  # the last start's scan (one ignore list at a time)


def _scan_for(ignore: tuple[str, ...]) -> ModuleScan:
    global _scan
    if _scan is None or _scan.ignore != ignore:
        _scan = ModuleScan(ignore)
    return _scan


_loop_class: tuple | None = None  # (policy, its loop factory, the class of the loops it makes)


def event_loop_class() -> type:
    """The class of the event loops asyncio makes now (freezegun makes and closes one to learn it)."""
    global _loop_class
    policy = asyncio.get_event_loop_policy()
    stock = asyncio.new_event_loop is _STOCK_NEW_EVENT_LOOP and type(policy).new_event_loop is _STOCK_POLICY_NEW_LOOP
    factory = getattr(policy, "_loop_factory", None) if stock else None
    if factory is not None and _loop_class is not None and _loop_class[0] is policy and _loop_class[1] is factory:
        return _loop_class[2]
    loop = asyncio.new_event_loop()
    loop.close()
    if factory is not None:
        _loop_class = (policy, factory, type(loop))
    return type(loop)


def start(freezer: freezegun.api._freeze_time) -> Any:
    """freezegun's `freezer.start()`, patching the bindings remembered since the last start; returns its factory."""
    if not applies(freezer):
        return freezer.start()
    scan = _scan_for(freezer.ignore)
    try:
        names, objects = scan.listing()
    except Exception:  # noqa: BLE001 - sys.modules cannot be listed as it usually is: freezegun's own start
        return freezer.start()
    return _start_patching(freezer, scan, names, objects)


def _start_patching(freezer: freezegun.api._freeze_time, scan: ModuleScan, names: list, objects: list) -> Any:
    """What freezegun 1.5.5's start does when no freeze is active, in its order, its module walk asking `scan`."""
    api = _api
    factory = api.FrozenDateTimeFactory(freezer.time_to_freeze)
    api.freeze_factories.append(factory)
    api.tz_offsets.append(freezer.tz_offset)
    api.ignore_lists.append(freezer.ignore)
    api.tick_flags.append(freezer.tick)
    datetime.datetime = api.FakeDatetime  # type: ignore[misc]
    datetime.date = api.FakeDate  # type: ignore[misc]
    for name in _FAKES_OF_TIME:
        setattr(time, name, getattr(api, "fake_" + name))
    if api.uuid_generate_time_attr:
        setattr(uuid, api.uuid_generate_time_attr, None)
    uuid._UuidCreate = None  # type: ignore[attr-defined]
    uuid._last_timestamp = None  # type: ignore[attr-defined]
    copyreg.dispatch_table[api.real_datetime] = api.pickle_fake_datetime
    copyreg.dispatch_table[api.real_date] = api.pickle_fake_date
    to_patch = _to_patch()
    freezer.fake_names = tuple(fake.__name__ for _, fake in to_patch)
    freezer.reals = {id(fake): real for real, fake in to_patch}
    fakes = {id(real): fake for real, fake in to_patch}
    freezer.modules_at_start = scan.modules_at_start(names, frozenset(freezer.reals))
    undo = freezer.undo_changes
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore")
        for module, name, real in scan.bindings(names, objects):
            setattr(module, name, fakes[id(real)])
            undo.append((module, name, real))
    if freezer.real_asyncio:
        loop_class = event_loop_class()
        undo.append((loop_class, "time", loop_class.time))
        loop_class.time = lambda self: api.real_monotonic()  # type: ignore[method-assign]
    return factory


def stop(freezer: freezegun.api._freeze_time) -> None:
    """freezegun's `freezer.stop()`; when a start here left it and no module name came or went since, without the
    listing of the module names loaded since (there are none)."""
    at_start = getattr(freezer, "modules_at_start", None)
    if (freezegun.__version__ == BUILT_FOR and len(_api.freeze_factories) == 1 and isinstance(at_start, ModulesAtStart)
            and _names_now() == at_start.names):
        _stop_patching(freezer)
    else:
        freezer.stop()  # its walk of the new modules leaves out the plain ones holding no fake (ModulesAtStart)


def _names_now() -> list | None:
    try:
        return list(sys.modules)
    except RuntimeError:  # another thread imports meanwhile: freezegun's own stop
        return None


def _stop_patching(freezer: freezegun.api._freeze_time) -> None:
    """What freezegun 1.5.5's stop does for the last freeze, when no module was loaded since its start."""
    api = _api
    api.freeze_factories.pop()
    api.ignore_lists.pop()
    api.tick_flags.pop()
    api.tz_offsets.pop()
    datetime.datetime = api.real_datetime  # type: ignore[misc]
    datetime.date = api.real_date  # type: ignore[misc]
    copyreg.dispatch_table.pop(api.real_datetime)
    copyreg.dispatch_table.pop(api.real_date)
    for target, name, original in freezer.undo_changes:
        setattr(target, name, original)
    freezer.undo_changes = []
    freezer.modules_at_start = set()
    for name in _FAKES_OF_TIME:
        setattr(time, name, getattr(api, "real_" + name))
    time.clock = api.real_clock  # type: ignore[attr-defined]
    if api.uuid_generate_time_attr:
        setattr(uuid, api.uuid_generate_time_attr, api.real_uuid_generate_time)
    uuid._UuidCreate = api.real_uuid_create  # type: ignore[attr-defined]
    uuid._last_timestamp = None  # type: ignore[attr-defined]


class ModulesAtStart(set):
    """The names of the modules loaded at a start, for freezegun's stop: the modules it restores are the current
    names minus these, computed here as freezegun computes them but leaving out the plain modules that `dir()` and
    `getattr` would show hold no fake (a set subclass's reflected difference is asked first)."""

    def __init__(self, names: list, fakes: frozenset[int]):
        super().__init__(names)
        self.names, self.fakes = names, fakes

    def __rsub__(self, current):
        """The names in `current` but not here whose modules may hold a fake."""
        if not isinstance(current, (set, frozenset)):
            return NotImplemented
        modules = sys.modules
        return {name for name in set.difference(current, self) if _may_hold_fakes(modules.get(name), self.fakes)}


def _may_hold_fakes(module: Any, fakes: frozenset[int]) -> bool:
    """False when `dir()` and `getattr` would surely find no fake in `module`: a plain module (no `__dir__` of its
    own) whose namespace holds none."""
    if module is None:
        return False
    namespace = _namespace(module)
    return not (type(module) is types.ModuleType and type(namespace) is dict and "__dir__" not in namespace
                and fakes.isdisjoint(map(id, namespace.values())))
