"""freezegun's start and stop with the module scan remembered: every start patches what freezegun's own start
patches on the same process state, and every stop restores what freezegun's own stop restores."""
import asyncio
import copyreg
import datetime as _dt
import sys
import time
import types
import uuid

import freezegun
import freezegun.api
import pytest

import harness.clock  # installs the harness's fakes and attribute cache, as a simulation has them
from harness import freezer as remembered

START = "2030-01-01T00:00:00"
TIME_FUNCTIONS = ("time", "monotonic", "perf_counter", "localtime", "gmtime", "strftime", "time_ns", "monotonic_ns",
                  "perf_counter_ns")
api = freezegun.api


@pytest.fixture
def modules():
    """Adds modules to sys.modules under the given names; removes them afterwards."""
    added = []

    def add(name: str, module_name: str | None = None, **attributes) -> types.ModuleType:
        made = types.ModuleType(module_name or name)
        vars(made).update(attributes)
        sys.modules[name] = made
        added.append(name)
        return made

    yield add
    for name in added:
        sys.modules.pop(name, None)


def _freezer():
    return freezegun.freeze_time(START, real_asyncio=True)  # as harness.clock.TimePatch makes it


def _state(freezer, loaded: set) -> dict:
    """What a start left: the patched bindings (with the value each had) and freezegun's other state."""
    fakes = set(freezer.reals)  # the ids of the fakes
    patched = {(id(target), name, id(original)) for target, name, original in freezer.undo_changes}
    for target, name, _ in freezer.undo_changes:
        if isinstance(target, type):  # the event loop class: its loops read the real monotonic clock
            assert target.time(None) == pytest.approx(api.real_monotonic(), abs=5)
        else:
            assert id(getattr(target, name)) in fakes
    return {
        "patched": patched,
        "stacks": [(type(api.freeze_factories[-1]), api.freeze_factories[-1]()), list(api.tz_offsets),
                   list(api.ignore_lists), list(api.tick_flags)],
        "datetime": (_dt.datetime, _dt.date),
        "time": [getattr(time, name) for name in TIME_FUNCTIONS],
        "copyreg": (copyreg.dispatch_table.get(api.real_datetime), copyreg.dispatch_table.get(api.real_date)),
        "uuid": (getattr(uuid, api.uuid_generate_time_attr), uuid._UuidCreate, uuid._last_timestamp),
        "names": (freezer.fake_names, freezer.reals, set(freezer.modules_at_start) == loaded),
    }


def _unpatched() -> dict:
    """The process's time state between freezes: what every stop must leave."""
    return {
        "datetime": (_dt.datetime, _dt.date),
        "time": [getattr(time, name) for name in TIME_FUNCTIONS],
        "copyreg": (api.real_datetime in copyreg.dispatch_table, api.real_date in copyreg.dispatch_table),
        "uuid": (getattr(uuid, api.uuid_generate_time_attr), uuid._UuidCreate, uuid._last_timestamp),
        "time.clock": getattr(time, "clock", "absent"),
        "stacks": (list(api.freeze_factories), list(api.ignore_lists)),
        "fakes bound": _fakes_bound(),
        "test modules": {name: dict(vars(module)) for name, module in sys.modules.items() if "tests_freezer" in name},
    }


def _fakes_bound() -> set:
    """(module name, attribute) of every loaded module attribute bound to one of freezegun's fakes."""
    fakes = {id(fake) for fake in (api.FakeDate, api.FakeDatetime, api.fake_time, api.fake_monotonic,
                                   api.fake_perf_counter, api.fake_gmtime, api.fake_localtime, api.fake_strftime,
                                   api.fake_time_ns, api.fake_monotonic_ns, api.fake_perf_counter_ns)}
    return {(name, attribute) for name, module in list(sys.modules.items())
            for attribute, value in list(getattr(module, "__dict__", {}).items()) if id(value) in fakes}


def _stock_state() -> dict:
    """freezegun's own start on the current process state (then its own stop)."""
    freezer, loaded = _freezer(), set(sys.modules)
    freezer.start()
    try:
        return _state(freezer, loaded)
    finally:
        freezer.stop()


def _remembered_state() -> dict:
    freezer, loaded = _freezer(), set(sys.modules)
    assert remembered.applies(freezer)
    remembered.start(freezer)
    try:
        return _state(freezer, loaded)
    finally:
        remembered.stop(freezer)


def _assert_starts_agree():
    _stock_state()  # a first walk may import modules (freezegun's getattr on lazy packages): the state to compare on
    before = _unpatched()
    for _ in range(2):  # the second time from what the first remembered
        stock = _stock_state()
        assert _unpatched() == before
        assert _remembered_state() == stock
        assert _unpatched() == before


def test_a_start_patches_the_bindings_freezeguns_own_start_patches_as_modules_come_and_change(modules):
    _assert_starts_agree()
    late = modules("tests_freezer_late")
    _assert_starts_agree()
    late.now = time.time  # `from time import time` bound after a first start
    _assert_starts_agree()
    modules("tests_freezer_new", stamp=time.monotonic, day=_dt.date, when=_dt.datetime)  # a module new since
    _assert_starts_agree()
    del late.now  # a binding removed, the namespace keeping its size
    late.other = 1
    _assert_starts_agree()
    late.clock = time.perf_counter_ns
    late.other = time.gmtime  # a binding where another value was, with the size changed by the line above
    _assert_starts_agree()
    del sys.modules["tests_freezer_new"]  # a module gone
    _assert_starts_agree()


def test_namesake_modules_under_two_names_are_each_patched_as_freezegun_patches_them(modules):
    # `io` and `_io` share a `__name__` (freezegun's own cache misses on each in turn)
    modules("tests_freezer_io", module_name="tests_freezer_shared", now=time.time)
    modules("_tests_freezer_io", module_name="tests_freezer_shared", other=1)
    _assert_starts_agree()
    alias = modules("tests_freezer_alias")
    sys.modules["tests_freezer_alias_too"] = alias  # one module under two names, as os.path and posixpath
    alias.now = time.time
    try:
        _assert_starts_agree()
    finally:
        del sys.modules["tests_freezer_alias_too"]


def test_modules_under_freezeguns_ignore_list_and_the_time_modules_are_left_as_freezegun_leaves_them(modules):
    modules("threading_tests_freezer", now=time.time)
    modules("tests_freezer.six.moves", now=time.time)
    modules("tests_freezer_named_time", module_name="time", now=time.time)
    _assert_starts_agree()
    modules("tests_freezer_renamed", now=time.time)
    _assert_starts_agree()
    sys.modules["queue_tests_freezer_renamed"] = sys.modules.pop("tests_freezer_renamed")  # the same last module
    try:
        _assert_starts_agree()
    finally:
        del sys.modules["queue_tests_freezer_renamed"]


def _imported_during_a_run(start, stop, add) -> tuple[dict, dict]:
    """Starts, imports modules that bind fakes (plain, ignored, with their own `__dir__`), stops: what is bound."""
    freezer = _freezer()
    start(freezer)
    plain = add("tests_freezer_during", now=time.time, today=_dt.date)
    ignored = add("queue_tests_freezer_during", now=time.time)
    listed = add("tests_freezer_listed", now=time.time, __dir__=lambda: ["now"])
    add("tests_freezer_without", answer=42)
    stop(freezer)
    found = {name: {attribute: getattr(module, attribute) for attribute in ("now", "today") if hasattr(module, attribute)}
             for name, module in (("plain", plain), ("ignored", ignored), ("listed", listed))}
    for name in ("tests_freezer_during", "queue_tests_freezer_during", "tests_freezer_listed", "tests_freezer_without"):
        del sys.modules[name]
    return found, _unpatched()


def _lazily_importing_package(add, suffix: str) -> types.ModuleType:
    """A package whose `__getattr__` imports a submodule on first access (as dateutil's): freezegun's walk imports
    it while time is patched, so the submodule's `from datetime import datetime` binds freezegun's class."""
    def load(name):
        if name != "sub":
            raise AttributeError(name)
        return add(f"tests_freezer_lazy{suffix}.sub", when=_dt.datetime)
    return add(f"tests_freezer_lazy{suffix}", __getattr__=load, __dir__=lambda: ["sub"])


def test_a_module_the_walk_imports_is_patched_during_the_run_and_restored_as_with_freezeguns_own(modules):
    seen = []
    for suffix, start, stop in (("_stock", lambda f: f.start(), lambda f: f.stop()),
                                ("_remembered", remembered.start, remembered.stop)):
        package = _lazily_importing_package(modules, suffix)
        freezer = _freezer()
        start(freezer)
        during = sys.modules[package.__name__ + ".sub"].when
        stop(freezer)
        seen.append((during, sys.modules[package.__name__ + ".sub"].when))
    assert seen[0] == seen[1] == (api.FakeDatetime, api.real_datetime)


def test_a_module_imported_during_a_run_is_restored_as_freezeguns_own_stop_restores_it(modules):
    stock = _imported_during_a_run(lambda freezer: freezer.start(), lambda freezer: freezer.stop(), modules)
    fast = _imported_during_a_run(remembered.start, remembered.stop, modules)
    assert fast == stock
    found, _ = fast
    assert found["plain"] == {"now": api.real_time, "today": api.real_date}
    assert found["listed"] == {"now": api.real_time}
    assert found["ignored"] == {"now": api.fake_time}  # freezegun leaves a module it ignores as it is


def test_stop_restores_every_binding_the_start_patched(modules):
    modules("tests_freezer_bound", now=time.time, stamp=time.monotonic)
    before = _unpatched()
    freezer = _freezer()
    remembered.start(freezer)
    changes = list(freezer.undo_changes)
    assert ("now", "stamp") <= tuple(name for module, name, _ in changes if module is sys.modules["tests_freezer_bound"])
    remembered.stop(freezer)
    assert all(getattr(target, name) is original for target, name, original in changes)
    assert _unpatched() == before


def _counting_stock_start(monkeypatch) -> list:
    calls = []
    stock = freezegun.api._freeze_time.start

    def start(self):
        calls.append(self)
        return stock(self)

    monkeypatch.setattr(freezegun.api._freeze_time, "start", start)
    return calls


def test_a_start_inside_a_tests_own_freeze_time_is_freezeguns_own(monkeypatch):
    calls = _counting_stock_start(monkeypatch)
    with freezegun.freeze_time("2031-05-06"):
        patch = harness.clock.TimePatch(harness.clock.VirtualClock(START + "Z"), harness.clock.real_sleep, lambda: 0.0)
        patch.start()
        assert time.time() == harness.clock.VirtualClock(START + "Z").now()
        patch.stop()
        assert _dt.datetime.now() == _dt.datetime(2031, 5, 6)  # the test's own freeze is back
    assert len(calls) == 2
    assert not api.freeze_factories and _dt.datetime is api.real_datetime and time.time is api.real_time


@pytest.mark.parametrize("change", ["version", "ignore", "tick"])
def test_an_unexpected_freezer_or_freezegun_falls_back_to_freezeguns_own_start(monkeypatch, change):
    calls = _counting_stock_start(monkeypatch)
    freezer = _freezer()
    if change == "version":
        monkeypatch.setattr(freezegun, "__version__", "9.9.9")
    elif change == "ignore":
        freezer = freezegun.freeze_time(START, ignore=["tests_freezer"], real_asyncio=True)
    else:
        freezer = freezegun.freeze_time(START, tick=True, real_asyncio=True)
    before = _unpatched()
    remembered.start(freezer)
    remembered.stop(freezer)
    assert calls == [freezer]
    assert _unpatched() == before


class _OwnLoop(asyncio.SelectorEventLoop):
    pass


class _OwnPolicy(asyncio.DefaultEventLoopPolicy):
    _loop_factory = _OwnLoop


def test_the_event_loop_class_is_learned_again_when_the_policy_changes():
    stock_class = type(asyncio.new_event_loop())
    assert remembered.event_loop_class() is stock_class
    previous = asyncio.get_event_loop_policy()
    asyncio.set_event_loop_policy(_OwnPolicy())
    try:
        assert remembered.event_loop_class() is _OwnLoop
        freezer = _freezer()
        remembered.start(freezer)
        try:
            assert (_OwnLoop, "time", asyncio.BaseEventLoop.time) in freezer.undo_changes
            loop = asyncio.new_event_loop()
            assert loop.time() == pytest.approx(api.real_monotonic(), abs=5)
            loop.close()
        finally:
            remembered.stop(freezer)
    finally:
        asyncio.set_event_loop_policy(previous)
    assert remembered.event_loop_class() is stock_class


def _time_and_uuid_after(start, stop) -> tuple:
    """Starts and stops from a process where `time.clock` was never set and `uuid._UuidCreate` holds a value."""
    if hasattr(time, "clock"):
        del time.clock
    uuid._UuidCreate = "before"
    freezer = _freezer()
    start(freezer)
    stop(freezer)
    return (getattr(time, "clock", "absent"), uuid._UuidCreate, getattr(uuid, api.uuid_generate_time_attr),
            uuid._last_timestamp)


def test_a_stop_leaves_time_and_uuid_as_freezeguns_own_stop_leaves_them():
    stock = _time_and_uuid_after(lambda freezer: freezer.start(), lambda freezer: freezer.stop())
    assert _time_and_uuid_after(remembered.start, remembered.stop) == stock
    assert stock == (api.real_clock, api.real_uuid_create, api.real_uuid_generate_time, None)
