"""The virtual clock: the only source of time for handler code inside a simulation."""
from __future__ import annotations

import calendar
import contextlib
import datetime as _dt
import sys
import threading
import time as _time
from collections.abc import Callable, Iterator

import freezegun
import freezegun.api

from harness.freezer import start as start_freezer
from harness.freezer import stop as stop_freezer

# Real clocks for the harness's own wall-clock needs (watchdog, bench). Kept inside a tuple because freezegun
# rewrites every module attribute that *is* a real time function when it starts.
_REAL = (freezegun.api.real_monotonic, freezegun.api.real_perf_counter, _time.sleep, freezegun.api.real_time)


def _REAL_TIME() -> float:
    return _REAL[3]()


def real_monotonic() -> float:
    """Wall-clock monotonic seconds, even inside a simulation."""
    return _REAL[0]()


def real_perf_counter() -> float:
    """Wall-clock perf counter, even inside a simulation."""
    return _REAL[1]()


def real_sleep(seconds: float) -> None:
    """A real sleep (only the driver thread ever uses it)."""
    _REAL[2](seconds)

_UTC = _dt.UTC

# freezegun's start() looks in every loaded module for names bound to a real time function (`from time import
# time`) and checks its per-module cache by hashing the sorted `dir()` of each module: about 10 µs a module, and
# 1,000-2,500 modules on every simulation start (half of a short scenario run). This cache is checked by the
# module's identity and attribute count instead (a new binding such as `from time import time` adds a name), and
# the bindings it remembers must still be in place; a miss asks freezegun's own cache, so what gets patched is
# what freezegun would patch. (freezegun keys its cache by `__name__`, which `io` and `_io` share, so it misses
# those on every start.) A simulation's own start (harness/freezer.py) asks it only for the entries that are new or
# changed since its last start.
_TIME_ATTRIBUTES: dict[tuple, tuple[int, list]] = {}
_freezegun_cached_attributes = freezegun.api._get_cached_module_attributes


def _cached_time_attributes(module) -> list:
    """freezegun's (name, real time function) pairs of `module`, recomputed only when its namespace changed."""
    namespace = getattr(module, "__dict__", None)
    if not isinstance(namespace, dict):
        return _freezegun_cached_attributes(module)
    key = (module.__name__, namespace.get("__file__"), id(module))
    hit = _TIME_ATTRIBUTES.get(key)
    if hit is not None and hit[0] == len(namespace) and (
            not hit[1] or all(namespace.get(name) is value for name, value in hit[1])):
        return hit[1]
    if len(_TIME_ATTRIBUTES) > 4 * len(sys.modules) + 1000:  # modules imported afresh per run leave old keys
        _TIME_ATTRIBUTES.clear()
    attributes = _freezegun_cached_attributes(module)
    _TIME_ATTRIBUTES[key] = (len(namespace), attributes)
    return attributes


freezegun.api._get_cached_module_attributes = _cached_time_attributes

# freezegun's fake `time.time()` (and monotonic/perf_counter) turns the factory's datetime into seconds on every call
# (`calendar.timegm` of its timetuple, in Python); the virtual clock hands out one datetime object per instant, so the
# seconds are remembered for that object (datetimes are immutable). The same checks run first (freezegun's ignore
# list and stack inspection: `fake_time` is called where freezegun's was, so the frames it inspects are the same)
# and a new datetime (another instant, a ticking factory) is converted as freezegun converts it. Installed before
# any freeze starts: a start binds `time.time` and the module attributes it patches to `freezegun.api.fake_time`.
_api = freezegun.api
_converted: tuple = (None, 0.0)  # (the datetime last converted, its seconds)


def _seconds(current: _dt.datetime) -> float:
    global _converted
    last = _converted
    if last[0] is current:
        return last[1]
    seconds = calendar.timegm(current.timetuple()) + current.microsecond / 1000000.0
    _converted = (current, seconds)
    return seconds


def fake_time() -> float:
    """freezegun's fake `time.time()`, converting each datetime the clock hands out once."""
    if _api._should_use_real_time():
        return _api.real_time()
    return _seconds(_api.get_current_time())


def _get_fake_monotonic() -> float:
    return _seconds(_api.get_current_time())


_api.fake_time = fake_time
_api._get_fake_monotonic = _get_fake_monotonic
# freezegun's default ignore list makes calls whose 5 nearest frames include e.g. `threading` read real time,
# which a short handler called from a task thread would hit. Inside a simulation every caller reads virtual
# time (an empty list also skips freezegun's per-call stack inspection); the harness's own wall-clock needs use
# the real_* functions above.
_IGNORE: tuple[str, ...] = ()


def to_epoch(value: float | str | _dt.datetime | None) -> float:
    """Convert a start time (epoch seconds, ISO-8601 string or datetime) to epoch seconds, UTC."""
    if value is None:
        return _dt.datetime(2030, 1, 1, tzinfo=_UTC).timestamp()
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        try:
            value = _dt.datetime.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(f"start time {value!r} is not ISO-8601 (expected e.g. 2030-01-01T00:00:00Z)") from exc
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_UTC)
        return value.timestamp()
    raise TypeError(f"start time must be a number, ISO-8601 string or datetime, got {type(value).__name__}")


class VirtualClock:
    """Virtual epoch time; only the scheduler moves it forward."""

    def __init__(self, start: float | str | _dt.datetime | None = None):
        self.start = to_epoch(start)
        self._now = self.start
        self._last: tuple[float, type, _dt.datetime] | None = None  # (instant, datetime class, its datetime)

    def now(self) -> float:
        """Current virtual time in epoch seconds (no skew)."""
        return self._now

    def elapsed(self) -> float:
        """Virtual seconds since the simulation started."""
        return self._now - self.start

    def advance_to(self, t: float) -> None:
        """Move time forward to `t`; moving backwards is a harness bug."""
        if t < self._now:
            raise ValueError(f"virtual time cannot go backwards ({t} < {self._now})")
        self._now = t

    def datetime(self, skew: float = 0.0) -> _dt.datetime:
        """Naive UTC datetime for the current virtual time plus `skew` seconds (freezegun's format)."""
        # Every time.time() and datetime.now() in handler code lands here, mostly many times at one instant:
        # datetimes are immutable, so the last one is reused while the instant (and freezegun's class) holds.
        at, cls = self._now + skew, _dt.datetime
        if self._last is None or self._last[0] != at or self._last[1] is not cls:
            self._last = (at, cls, cls.fromtimestamp(at, _UTC).replace(tzinfo=None))
        return self._last[2]


class BudgetExceeded(Exception):
    """A real-time run would need more wall time than its `max_real_seconds` budget."""


class RealTimeClock(VirtualClock):
    """Wall-clock time for simulations that include a backend whose timers follow the wall clock (LocalStack):
    `advance_to` really waits. Starts at the real current time whatever start was asked for."""

    def __init__(self, max_real_seconds: float | None = None):
        super().__init__(_REAL_TIME())
        self.max_real_seconds = max_real_seconds

    def now(self) -> float:
        return max(self._now, _REAL_TIME())

    def elapsed(self) -> float:
        return self.now() - self.start

    def advance_to(self, t: float) -> None:
        """Wait (really) until wall time reaches `t`, within the budget."""
        if self.max_real_seconds is not None and t - self.start > self.max_real_seconds:
            raise BudgetExceeded(f"needs at least {t - self.start:.0f} s of real time, over the max_real_seconds "
                                 f"budget of {self.max_real_seconds:g} s on a real-clock backend")
        wait = t - _REAL_TIME()
        if wait > 0:
            real_sleep(wait)
        self._now = max(self._now, t)

    def datetime(self, skew: float = 0.0) -> _dt.datetime:
        return _dt.datetime.fromtimestamp(self.now() + skew, _UTC).replace(tzinfo=None)


class _Factory:
    """Stands in for freezegun's time factory: answers with the virtual clock plus the caller's skew."""

    def __init__(self, clock: VirtualClock, skew: Callable[[], float]):
        self.clock, self.skew = clock, skew

    def __call__(self) -> _dt.datetime:
        return self.clock.datetime(self.skew())

    # freezegun's factory interface, for code that grabbed the factory (e.g. `with freeze_time() as f`).
    def tick(self, delta=1):  # pragma: no cover - not used by the harness
        raise RuntimeError("virtual time only moves through the simulation's scheduler")

    def move_to(self, target):  # pragma: no cover
        raise RuntimeError("virtual time only moves through the simulation's scheduler")


class TimePatch:
    """Installs the virtual clock into time/datetime (via freezegun) and `time.sleep` (via the scheduler)."""

    def __init__(self, clock: VirtualClock, sleep: Callable[[float], None], skew: Callable[[], float]):
        self._freezer = freezegun.freeze_time(clock.datetime(), real_asyncio=True)
        self._factory = _Factory(clock, skew)
        self._sleep = sleep
        self._lock = threading.Lock()
        self._started = False

    def start(self) -> None:
        """Patch time; after this handler code sees virtual time."""
        start_freezer(self._freezer)  # inside resident_time(): only pushes this clock (the modules are patched)
        self._started = True
        freezegun.api.freeze_factories[-1] = self._factory
        freezegun.api.ignore_lists[-1] = _IGNORE
        if _RESIDENT:
            _resident_run(True)
        _time.sleep = self._sleep

    def stop(self) -> None:
        """Restore real time."""
        _time.sleep = real_sleep
        if not self._started:  # never started: nothing of ours to pop (inside resident_time, the batch's is)
            raise IndexError("the time patch was not started")
        self._started = False
        if _RESIDENT:
            _resident_run(False)
        stop_freezer(self._freezer)


# A batch of runs (harness.runner) keeps freezegun's patches installed from its start to its end, so each
# simulation's start only pushes its clock on freezegun's stack instead of scanning every loaded module again
# (about 3 ms of a 50 ms run). What a start and stop of freezegun do besides patching modules is done per run:
# pickling and copying datetimes the way freezegun does while a simulation runs, the fresh uuid1 timestamp.
# Between runs time is real: the batch's own entry answers with the real time (naive UTC, freezegun's convention)
# and its ignore list ('' starts every module name) makes time.time(), monotonic() and friends the real ones.
_RESIDENT: list = []


def _real_utc() -> _dt.datetime:
    return freezegun.api.real_datetime.now(_UTC).replace(tzinfo=None)


def _plain_datetime(fields: tuple, fold: int) -> _dt.datetime:
    return freezegun.api.real_datetime(*fields, fold=fold)


def _plain_date(fields: tuple) -> _dt.date:
    return freezegun.api.real_date(*fields)


def _reduce_plain_datetime(value: _dt.datetime) -> tuple:
    return _plain_datetime, ((value.year, value.month, value.day, value.hour, value.minute, value.second,
                              value.microsecond, value.tzinfo), value.fold)


def _reduce_plain_date(value: _dt.date) -> tuple:
    return _plain_date, ((value.year, value.month, value.day),)


def _resident_run(begins: bool) -> None:
    """What freezegun's own start (begins) or stop does besides patching modules, for one run in a batch: a
    running simulation pickles and copies datetimes as freezegun's fakes; between runs they stay plain ones (pickle
    would refuse them, `datetime.datetime` being freezegun's class while patched)."""
    import copyreg
    import uuid
    api = freezegun.api
    if begins:
        copyreg.dispatch_table[api.real_datetime] = api.pickle_fake_datetime
        copyreg.dispatch_table[api.real_date] = api.pickle_fake_date
    else:
        copyreg.dispatch_table[api.real_datetime] = _reduce_plain_datetime
        copyreg.dispatch_table[api.real_date] = _reduce_plain_date
    uuid._last_timestamp = None  # type: ignore[attr-defined]


@contextlib.contextmanager
def resident_time() -> Iterator[None]:
    """Keep time patched for the whole block (a batch of runs), so each simulation started in it only pushes its
    clock; a no-op when time is already patched (inside a simulation or a test's freeze_time) or nested."""
    if _RESIDENT or freezegun.api.freeze_factories:
        yield
        return
    freezer = freezegun.freeze_time(ignore=[""], real_asyncio=True)
    freezer.start()
    freezegun.api.freeze_factories[-1] = _real_utc
    _resident_run(False)  # between runs, datetimes pickle and copy as they do unpatched
    _RESIDENT.append(freezer)
    try:
        yield
    finally:
        _RESIDENT.pop()
        api = freezegun.api
        for stack in (api.freeze_factories, api.tz_offsets, api.ignore_lists, api.tick_flags):
            del stack[1:]  # a run interrupted inside its time patch's start leaves no entry above the batch's
        _resident_run(True)  # freezegun's stop removes them
        freezer.stop()
