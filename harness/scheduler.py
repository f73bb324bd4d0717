"""Seeded cooperative scheduler: one thread holds the baton; virtual time orders the rest.

Every invocation runs in its own thread, but only the thread holding the baton runs. A thread hands the
baton back at a yield point (an AWS request, an outbound HTTP request, `time.sleep`, the end of its work);
the driver then resumes whatever is due next by virtual time, breaking ties with the seeded RNG, so the
same seed gives the same interleaving and another seed explores another one.
"""
from __future__ import annotations

import heapq
import itertools
import os
import random
import sys
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from harness.baton import LockBaton, PipeBaton, new_baton
from harness.clock import VirtualClock
from harness.errors import SimulationError, WatchdogTimeout
from harness.sandbox import state as _sandbox_state
from harness.sandbox import threads as _sandbox_threads
from harness.sandbox.threads import ThreadStopped

_local = threading.local()


class TaskKilled(BaseException):
    """Raised inside a task whose invocation was ended (timeout); a BaseException so `except Exception`
    in handler code cannot swallow it, as a real Lambda timeout cannot be caught."""


class View(Protocol):
    """Process-global state a task owns while it holds the baton (module namespace, environment)."""

    def enter(self) -> None: ...

    def exit(self) -> None: ...


@dataclass(eq=False)
class Task:
    """One thread of simulated work (an invocation, a poller, a timer)."""

    id: int
    name: str
    fn: Callable[[], Any]
    daemon: bool = False
    view: View | None = None
    skew: float = 0.0
    deadline: float | None = None
    kill_reason: str | None = None
    done: bool = False
    result: Any = None
    error: BaseException | None = None
    started: bool = False
    parked: bool = False  # waiting for the baton (its worker blocks on `go`)
    abandoned: bool = False  # given up on (runaway, interrupt, simulation stopped): it never touches the scheduler
    blocked_on: Task | None = None
    meta: dict = field(default_factory=dict)
    waiters: list = field(default_factory=list)
    on_done: list = field(default_factory=list)
    _token: int = 0
    _worker: _Worker | None = None

    def __repr__(self) -> str:
        return f"Task({self.id}, {self.name!r})"


class _Worker:
    """A reusable OS thread that runs tasks one after another. `go` is its baton (harness.baton): whoever hands
    this thread the next step gives it; the thread takes it to run."""

    def __init__(self) -> None:
        self.go = new_baton()
        self.job: tuple[Scheduler, Task] | None = None
        self.thread = threading.Thread(target=self._loop, name="sim-task-idle", daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        mine = False  # the step this thread chose when its last task ended is its own: no hand-off to wait for
        while True:
            if not mine:
                self.go.take()
            scheduler, task = self.job  # type: ignore[misc]
            self.job = None
            hand_on = scheduler._bootstrap(task)  # once the task is done (and this worker is idle again)
            abandoned = task.abandoned
            # The baton is handed on only once this frame holds nothing of the task: the driver may end the run
            # at once, and its simulation (execution environments included) is then garbage, which the end of a
            # batch's run collects young (harness/runner/heap.py); parked, this thread keeps none of it alive.
            del scheduler, task
            mine = hand_on is None
            if not mine:
                hand_on.give()
            if abandoned:
                return  # a thread given up on ends with its task, never serves another


_IDLE: list[_Worker] = []  # parked worker threads, reused by every scheduler in this process
_SCHEDULERS: weakref.WeakSet = weakref.WeakSet()


_OTHER_POOLS: list[Callable[[], list[threading.Thread]]] = []  # other reused threads a simulation runs on


def add_thread_pool(threads: Callable[[], list[threading.Thread]]) -> None:
    """Count the threads `threads()` lists among the pooled ones (the gateway's connection threads)."""
    _OTHER_POOLS.append(threads)


def pooled_threads() -> list[threading.Thread]:
    """The parked task threads every scheduler of this process reuses, and the other pools' threads."""
    return [worker.thread for worker in _IDLE] + [thread for pool in _OTHER_POOLS for thread in pool()]


def _after_fork_in_child() -> None:  # pragma: no cover - runs in a forked child
    for worker in _IDLE:
        worker.go.close()
    _IDLE.clear()  # their threads exist only in the parent
    for scheduler in list(_SCHEDULERS):  # a pipe baton is shared with the parent: the child gets its own
        scheduler._back.close()
        scheduler._back = new_baton()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _where_stuck(task: Task) -> str:
    """Whose code a task that overran the watchdog is running: handler code, the AWS backend or the harness."""
    worker = task._worker
    frame = sys._current_frames().get(worker.thread.ident) if worker is not None else None
    if frame is None:
        return "a busy loop or real blocking I/O in handler code"
    code_dir = str(getattr(getattr(task.view, "config", None), "code_dir", "") or "")
    frames = []
    while frame is not None:
        frames.append(frame)
        frame = frame.f_back
    handler = next((f for f in frames if code_dir and f.f_code.co_filename.startswith(code_dir)), None)
    at = handler or frames[0]
    where = f"{at.f_code.co_filename}:{at.f_lineno} in {at.f_code.co_name}"
    if handler is not None:
        return f"a busy loop or real blocking I/O in handler code, at {where}"
    if any(f"{os.sep}moto{os.sep}" in f.f_code.co_filename for f in frames):
        return (f"the AWS backend (moto) is slow to answer one request, at {where}; not handler code (a very "
                f"deep queue or a large table scan can do this)")
    return f"the harness's own task is slow, at {where}; not handler code (please report it)"


def current_task() -> Task | None:
    """The task whose thread is calling, or None on the driver (test) thread."""
    return getattr(_local, "task", None)


class Scheduler:
    """Runs tasks one at a time in virtual-time order; ties broken by `random.Random(seed)`."""

    # A task that gives the baton away (yield point, sleep, wait, end) hands it straight to the next step the
    # driver would choose (one thread hand-off instead of two; none when a task continues itself or a finished
    # task's thread starts the next new task); False sends every step through the driver (tests compare the two:
    # the same trace either way).
    pass_baton_directly = True

    def __init__(self, clock: VirtualClock, rng: random.Random, watchdog_seconds: float = 30.0):
        self.clock, self.rng = clock, rng
        self.watchdog_seconds = watchdog_seconds
        self._heap: list = []
        self._seq = itertools.count()
        self._ids = itertools.count(1)
        self._back = new_baton()  # the driver's: a task gives it to hand the baton back
        self._running: Task | None = None
        self._installed: View | None = None  # whose process-global state is in place (None: the host's)
        self._idle_probes: list[Callable[[], bool]] = []
        self._stop: Callable[[list], bool] | None = None  # the running driver loop's stop condition
        self._stop_asks_sources = False  # it may call the idle probes (only the driver thread does that)
        self.on_resume: list[Callable[[Task], None]] = []  # run before each task step (by whoever hands it over)
        self._failed: BaseException | None = None  # a hand-over that failed on a task thread, for the driver
        self._reclaiming = False  # the watchdog is stopping a task: the baton must come back to the driver
        self.steps = 0
        self.tasks_started = 0
        self._gave_up = False  # a task was abandoned: a baton it holds may still be given
        self.runaways: list[str] = []  # tasks stopped by the watchdog (reported by the simulation)
        self.meter: Any = None  # checks the run's budgets before each step (harness.sandbox.budgets.Meter)
        self.gauge: Any = None  # measures each step's memory growth (harness.sandbox.memory.Gauge)
        self._live: set[Task] = set()  # started, not finished
        _SCHEDULERS.add(self)

    # ---------------------------------------------------------------- creating work
    def spawn(self, fn: Callable[[], Any], *, name: str, at: float | None = None, delay: float = 0.0,
              daemon: bool = False, view: View | None = None, skew: float = 0.0,
              deadline: float | None = None) -> Task:
        """Schedule `fn` to run in a new task at virtual time `at` (default: now + delay)."""
        task = Task(next(self._ids), name, fn, daemon=daemon, view=view, skew=skew, deadline=deadline)
        self._push(task, self.clock.now() + delay if at is None else max(at, self.clock.now()))
        if deadline is not None:
            self._push_deadline(task, deadline)
        return task

    def add_idle_probe(self, has_work: Callable[[], bool]) -> None:
        """Register a probe: while any probe reports pending work, daemon tasks keep `run_until_idle` going."""
        self._idle_probes.append(has_work)

    # ---------------------------------------------------------------- yield points (task side)
    def yield_now(self) -> None:
        """Yield point: give the baton back; resume when the scheduler picks this task again."""
        task = current_task()
        if task is None:
            _sandbox_threads.checkpoint()  # a handler thread: frozen here while its container is
            return
        self._settle(task)
        self._push(task, self.clock.now())
        self._park(task)

    def sleep(self, seconds: float) -> None:
        """Sleep in virtual time (the task is resumed at now + seconds, or killed at its deadline)."""
        task = current_task()
        if task is None:
            raise SimulationError("Scheduler.sleep called outside a task")
        self._settle(task)
        seconds = max(0.0, float(seconds))
        self._push(task, self.clock.now() + seconds)
        self._park(task)

    def wait_for(self, other: Task) -> Task:
        """Block the calling task until `other` is done (e.g. a synchronous invoke)."""
        task = current_task()
        if task is None:
            raise SimulationError("Scheduler.wait_for called outside a task; use run_until_done")
        self._settle(task)
        if not other.done:
            other.waiters.append(task)
            task.blocked_on = other
            task._token += 1  # not in the heap while blocked
            try:
                self._park(task)
            finally:
                task.blocked_on = None
        return other

    def _settle(self, task: Task) -> None:
        """A yield point: the step's memory is folded into its invocation's (OutOfMemory when over its size)."""
        if self.gauge is not None:
            self.gauge.settle(task.meta)

    def enter_view(self, view: View | None) -> None:
        """Give the calling task `view` (its process-global state) for the rest of its steps, or none."""
        task = current_task()
        if task is None:
            raise SimulationError("Scheduler.enter_view called outside a task")
        task.view = view
        self._switch(view)

    def set_deadline(self, task: Task, deadline: float) -> None:
        """Kill `task` (TaskKilled at its next resume) once virtual time reaches `deadline`."""
        task.deadline = deadline
        self._push_deadline(task, deadline)

    # ---------------------------------------------------------------- driving (driver side)
    def run_until(self, t_end: float) -> None:
        """Run everything due up to virtual time `t_end`, then set the clock to `t_end`."""
        self._run(lambda entry: entry[0] > t_end)
        if self.clock.now() < t_end:
            self.clock.advance_to(t_end)
            if self.meter is not None:
                self.meter.check()

    def run_until_idle(self, max_virtual_seconds: float | None = None) -> None:
        """Run until only daemon tasks remain and no idle probe reports pending work."""
        limit = None if max_virtual_seconds is None else self.clock.now() + max_virtual_seconds

        def stop(entry) -> bool:
            if limit is not None and entry[0] > limit:
                return True
            return self._only_daemons() and not any(probe() for probe in self._idle_probes)

        self._run(stop, asks_sources=True)

    def run_until_done(self, task: Task, max_virtual_seconds: float | None = None) -> None:
        """Run until `task` has finished."""
        limit = None if max_virtual_seconds is None else self.clock.now() + max_virtual_seconds
        self._run(lambda entry: task.done or (limit is not None and entry[0] > limit))

    def next_time(self) -> float | None:
        """Virtual time of the next due entry, if any."""
        self._drop_stale()
        return self._heap[0][0] if self._heap else None

    # ---------------------------------------------------------------- internals
    def _push(self, task: Task, at: float) -> None:
        task._token += 1
        heapq.heappush(self._heap, [at, self.rng.random(), next(self._seq), task, task._token, False])

    def _push_deadline(self, task: Task, at: float) -> None:
        heapq.heappush(self._heap, [at, self.rng.random(), next(self._seq), task, -1, True])

    def _drop_stale(self) -> None:
        heap = self._heap
        while heap:
            at, _, _, task, token, is_deadline = heap[0]
            if task.done or (not is_deadline and token != task._token) or (
                    is_deadline and (task.deadline is None or task.deadline != at or task.kill_reason)):
                heapq.heappop(heap)
                continue
            return

    def _only_daemons(self) -> bool:
        return all(entry[3].daemon for entry in self._heap
                   if not entry[3].done and (entry[5] or entry[4] == entry[3]._token))

    def _switch(self, view: View | None) -> None:
        """Swap process-global state only when another view takes the baton (a task resumed again and again
        keeps its container's modules and environment in place)."""
        if view is not self._installed:
            if self._installed is not None:
                self._installed.exit()
            self._installed = None
            if view is not None:
                view.enter()
                self._installed = view

    def _run(self, stop: Callable[[list], bool], asks_sources: bool = False) -> None:
        if current_task() is not None:
            raise SimulationError("the simulation can only be driven from the test thread, not from a task")
        outer = self._stop, self._stop_asks_sources
        self._stop, self._stop_asks_sources = stop, asks_sources
        try:
            self._loop(stop)
        finally:
            self._stop, self._stop_asks_sources = outer
            self._switch(None)  # the driver's code runs with the host's state

    def _loop(self, stop: Callable[[list], bool]) -> None:
        while True:
            task = self._next(stop)
            if task is None:
                return
            self._step(task).give()  # type: ignore[union-attr] - never the driver's own
            self._wait(task)

    def _next(self, stop: Callable[[list], bool], in_task: bool = False) -> Task | None:
        """Take the entry due next (advancing the clock to it) unless the run stops here; None then. From a task
        thread (`in_task`), a timeout or a stop that may ask the event sources is left to the driver."""
        self._drop_stale()
        if not self._heap:
            return None
        entry = self._heap[0]
        at, _, _, task, _, is_deadline = entry
        if in_task and (is_deadline or (self._stop_asks_sources and self._only_daemons())):
            return None
        if stop(entry):
            return None
        if self.meter is not None:
            self.meter.step()  # may raise OverBudget (on a task thread, _pass hands it to the driver)
        heapq.heappop(self._heap)
        if at > self.clock.now():
            self.clock.advance_to(at)
        if is_deadline:
            task.kill_reason = "timeout"
            if task.blocked_on is not None and task in task.blocked_on.waiters:
                task.blocked_on.waiters.remove(task)
            task._token += 1  # cancel its pending wake-up, resume it now so it dies at once
        return task

    def _step(self, task: Task, worker: _Worker | None = None,
              own: _Worker | None = None) -> PipeBaton | LockBaton | None:
        """Begin `task`'s next step: hooks, its view, a worker when it is new (`worker`, else a pooled one); the
        baton the caller gives to hand the step over (its worker's `go`), None when that worker is `own` (the
        calling thread's): the caller runs the step itself, without a hand-off."""
        self.steps += 1
        self._running = task
        for hook in self.on_resume:
            hook(task)
        self._switch(task.view)
        if self.gauge is not None and "memory_limit_kb" in task.meta:  # an invocation's step: measure it
            self.gauge.start(task.meta)
        if not task.started:
            task.started = True
            self.tasks_started += 1
            self._live.add(task)
            task._worker = worker or (_IDLE.pop() if _IDLE else _Worker())
            task._worker.job = (self, task)
            task._worker.thread.name = f"sim-task-{task.id}-{task.name}"
        if task._worker is own:
            return None
        return task._worker.go  # type: ignore[union-attr]

    def _wait(self, task: Task) -> None:
        """The driver waits for the baton to come back; the watchdog fires when no step begins for its time."""
        try:
            steps = self.steps
            while not self._back.take_within(self.watchdog_seconds):
                if self.steps == steps:
                    self._reclaiming = True  # the stopped task's thread must give the baton back to us
                    try:
                        self._runaway(self._running or task)
                    finally:
                        self._reclaiming = False
                    break
                steps = self.steps
        except BaseException:  # interrupted (SIGINT) while a task runs: it must not outlive the step
            if not self._back.try_take():
                self._abandon(self._running or task)
            raise
        finally:
            self._running = None
        if self._failed is not None:
            failed, self._failed = self._failed, None
            raise failed

    def _pass(self, worker: _Worker | None, own: _Worker | None = None) -> PipeBaton | LockBaton | None:
        """Give the baton away from a task thread: straight to the next step when the driver would take it now,
        else back to the driver; the caller gives the baton returned (a task thread whose task ended lets go of
        the task first). `worker` (a thread whose task just ended) may run the next step itself; `own` is the
        calling task's worker. None when the next step is the calling thread's own (no hand-off)."""
        try:
            task = None
            if self._stop is not None and self.pass_baton_directly and not self._reclaiming:
                task = self._next(self._stop, in_task=True)
            if task is not None:
                if task.started and worker is not None:
                    _IDLE.append(worker)
                    worker = None
                return self._step(task, worker, own=worker or own)
        except BaseException as exc:  # noqa: BLE001 - the driver raises it, as it would have raised it itself
            self._failed = exc
            self._running = None
        if worker is not None:
            _IDLE.append(worker)  # before the baton goes back, so reuse does not depend on timing
        return self._back

    def _runaway(self, task: Task) -> None:
        """The task spun past the watchdog: an invocation is stopped as AWS would (its timeout), anything
        else is abandoned and the run fails."""
        if task.deadline is not None and not task.kill_reason and task._worker is not None:
            if task.deadline > self.clock.now():
                self.clock.advance_to(task.deadline)
            task.kill_reason = "timeout"
            if _sandbox_threads.stop_thread(task._worker.thread, TaskKilled,
                                            stopped=lambda: self._back.try_take(),
                                            acknowledged=lambda: task.kill_reason is None or task.done):
                self.runaways.append(task.name)
                return
        where = _where_stuck(task)  # before the thread is stopped
        self._abandon(task)
        raise WatchdogTimeout(
            f"task {task.name!r} held the baton for more than {self.watchdog_seconds:g} s of wall "
            f"time without reaching a yield point (AWS request, HTTP request, time.sleep or return): {where}")

    def _abandon(self, task: Task) -> None:
        """Give up on a task: stop its thread for good, or poison the process when it will not stop."""
        task.abandoned = True
        self._gave_up = True
        self._back = new_baton()  # the abandoned task may still give the old one (kept open: never reused)
        worker = task._worker
        if worker is None:
            return
        if task.parked and not task.done:
            worker.go.give()  # it wakes and meets ThreadStopped in _park (a running one gets the exception)
        if _sandbox_threads.stop_thread(worker.thread, ThreadStopped, acknowledged=lambda: task.done):
            return
        if _sandbox_threads.runs_python(worker.thread):
            _sandbox_state.poison(f"task {task.name!r} (thread {worker.thread.name}) runs Python and swallows "
                                  f"every exception sent to stop it")
        else:  # blocked in C: the pending exception ends it the moment it returns, and it never steps again
            self.runaways.append(f"{task.name} (blocked outside Python; abandoned, ends when it returns)")

    def shutdown(self) -> None:
        """End every task still parked or running (the simulation stops); none may outlive it."""
        for task in list(self._live):
            if not task.done and not task.abandoned:
                self._abandon(task)
        self._live.clear()
        if not self._gave_up:
            # No thread can give the driver's baton any more: close its pipe (a process running thousands of
            # simulations would otherwise run out of descriptors). A lock stands in should the scheduler be used
            # again. A baton an abandoned task may still give stays open: its descriptor is never reused.
            back, self._back = self._back, LockBaton()
            back.close()

    def _park(self, task: Task) -> None:
        if task.abandoned:
            raise ThreadStopped(f"task {task.name!r} was abandoned")
        worker = task._worker
        task.parked = True
        baton = self._pass(None, own=worker)
        if baton is not None:
            baton.give()
            worker.go.take()  # type: ignore[union-attr]
        task.parked = False
        if task.abandoned:
            raise ThreadStopped(f"task {task.name!r} was abandoned")
        if task.kill_reason:
            raise TaskKilled(task.kill_reason)

    def _bootstrap(self, task: Task) -> PipeBaton | LockBaton | None:
        """Run `task` on the calling worker thread; the baton its end hands on, for the caller to give (None when
        the next step is this thread's own, or the task was abandoned)."""
        _local.task = task
        try:
            if task.kill_reason:
                raise TaskKilled(task.kill_reason)
            task.result = task.fn()
        except BaseException as exc:  # noqa: BLE001 - the task's outcome, whatever it is, is recorded
            task.error = exc
        finally:
            task.done = True
            if task.abandoned:  # the driver moved on: touching the scheduler now would steal another step
                _local.task = None
                return None  # noqa: B012 - deliberate: an abandoned task ends silently
            self._live.discard(task)
            for callback in task.on_done:
                callback(task)
            for waiter in task.waiters:
                self._push(waiter, self.clock.now())
            task.waiters.clear()
            _local.task = None
            worker, task._worker = task._worker, None
            return self._pass(worker)  # noqa: B012 - this idle thread may take the next new task itself

