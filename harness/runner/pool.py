"""Forked worker processes: warm copies of the parent (everything imported, every scenario loaded) that run
jobs sent to them one at a time and send the results back; a worker that dies is replaced."""
from __future__ import annotations

import dataclasses
import os
import pickle
import signal
import traceback
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing import connection
from multiprocessing.connection import Connection

from harness import affinity, sandbox
from harness.runner import heap
from harness.runner.job import Job, execute
from harness.scenario.runner import ScenarioResult

AHEAD = 2  # jobs a worker holds at once: the one it runs and the next, so it never waits for the parent between two


@dataclass
class _Worker:
    pid: int
    conn: Connection
    core: int = 0  # the core it prefers (harness/affinity.py)
    queued: deque[int] = field(default_factory=deque)  # the jobs sent to it, in the order it runs them


def run_forked(jobs: Sequence[Job], workers: int, on_done: Callable[[int, ScenarioResult], None],
               prepare: Callable[[], None] = lambda: None,
               run: Callable[[Job], ScenarioResult] = execute) -> None:
    """Run `jobs` on `workers` forked processes; `on_done(index, result)` is called in the parent as each ends.
    Each worker runs its jobs with `run` (made here, used in the workers)."""
    pool = WorkerPool(prepare, run)
    try:
        pool.run(jobs, workers, on_done)
    finally:
        pool.close()


class WorkerPool:
    """Forked worker processes that serve one batch of jobs after another (each job is sent with its index), so
    a search's later rounds start at once, without a fork and its first run's copy-on-write faults; `close()` ends
    them. `prepare()` runs in each new worker, which runs its jobs with `run`."""

    def __init__(self, prepare: Callable[[], None] = lambda: None,
                 run: Callable[[Job], ScenarioResult] = execute) -> None:
        self._prepare, self._run = prepare, run
        self._workers: list[_Worker] = []

    def run(self, jobs: Sequence[Job], workers: int, on_done: Callable[[int, ScenarioResult], None]) -> None:
        """Run `jobs` on up to `workers` of the pool's processes (forking what is missing); `on_done(index,
        result)` in this process as each ends. A worker still holding jobs when this returns early (on_done or
        Ctrl-C raised) is stopped: what it was running belongs to a batch nobody waits for any more."""
        pending = list(range(len(jobs)))
        pending.reverse()  # pop() hands out jobs in order
        pool = self._workers
        try:
            while pending or any(w.queued for w in pool):
                busy = sum(1 for w in pool if w.queued)
                while len(pool) < min(workers, busy + len(pending)):
                    pool.append(_fork(self._prepare, self._run, core=_free_core(pool)))
                _hand_out(pool, pending, jobs, on_done)
                for conn in connection.wait([w.conn for w in pool if w.queued]):
                    worker = next(w for w in pool if w.conn is conn)
                    index, result, poisoned = _receive(worker)
                    if result is None:  # the worker died: reap it; a new one is forked for what is left
                        _retire(worker, pool, pending)
                        result = died(jobs[index], _reap(worker))
                    elif poisoned:  # a handler thread it could not stop: retire it, a clean one takes over
                        _retire(worker, pool, pending)
                        _stop(worker)
                    on_done(index, result)
        finally:
            for worker in [w for w in pool if w.queued]:
                pool.remove(worker)
                _stop(worker)

    def close(self) -> None:
        """Stop every worker."""
        while self._workers:
            _stop(self._workers.pop())


def _free_core(pool: list[_Worker]) -> int:
    """The lowest core index no worker of the pool prefers."""
    taken = {w.core for w in pool}
    return next(core for core in range(len(pool) + 1) if core not in taken)


def _hand_out(pool: list[_Worker], pending: list[int], jobs: Sequence[Job],
              on_done: Callable[[int, ScenarioResult], None]) -> None:
    """Send each worker jobs until it holds AHEAD (the first ones to the idle workers, so all start at once); a job
    that cannot be sent (a value in it pickle refuses) is reported as that job's error."""
    for depth in range(1, AHEAD + 1):
        for worker in pool:
            while pending and len(worker.queued) < depth:
                index = pending.pop()
                try:
                    message = pickle.dumps((index, _without_tag(jobs[index])), protocol=pickle.HIGHEST_PROTOCOL)
                except Exception:  # noqa: BLE001 - the job's error, not the batch's end
                    on_done(index, _crashed(jobs[index], traceback.format_exc()))
                    continue
                worker.queued.append(index)
                worker.conn.send_bytes(message)


def _without_tag(job: Job) -> Job:
    """The job as a worker needs it: the tag is the caller's, kept in this process."""
    return job if job.tag is None else dataclasses.replace(job, tag=None)


def _retire(worker: _Worker, pool: list[_Worker], pending: list[int]) -> None:
    """Take a worker out of the pool; the jobs it was sent but did not start go back to be handed out first."""
    pool.remove(worker)
    pending.extend(reversed(worker.queued))
    worker.queued.clear()


def _fork(prepare: Callable[[], None], run: Callable[[Job], ScenarioResult], core: int = 0) -> _Worker:
    parent_end, child_end = connection.Pipe(duplex=True)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child, which never returns
        status = 0
        try:
            parent_end.close()
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
            affinity.prefer(core)  # workers side by side each keep their simulations on their own core
            prepare()
            _serve(child_end, run)
        except BaseException:  # noqa: BLE001 - a child must never unwind into the parent's code
            status = 70
        finally:
            os._exit(status)
    child_end.close()
    return _Worker(pid, parent_end, core)


def _serve(conn: Connection, run: Callable[[Job], ScenarioResult]) -> None:
    served = 0
    while True:
        try:
            message = conn.recv_bytes()
        except EOFError:
            return
        if not message:
            return  # the parent's stop
        index, job = pickle.loads(message)
        try:
            result = run(job)
        except BaseException:  # noqa: BLE001 - reported as the job's error, the worker keeps serving
            result = _crashed(job, traceback.format_exc())
        poisoned = sandbox.poisoned() is not None
        try:
            payload = pickle.dumps((index, result, poisoned), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 - e.g. an unpicklable value kept in the result
            payload = pickle.dumps((index, _crashed(job, traceback.format_exc()), poisoned))
        conn.send_bytes(payload)
        if poisoned:
            return  # this process refuses further simulations: the parent forks a clean worker
        served += 1
        if served == 1:  # each later run collects its own garbage when it ends (heap.run_ended, in run_scenario)
            heap.settle()  # what its first run warmed stays out of the collector's passes for the next ones


def _receive(worker: _Worker) -> tuple[int, ScenarioResult | None, bool]:
    """The worker's next result: for its oldest job, which leaves its queue (result None: the worker died)."""
    index = worker.queued.popleft()
    try:
        got_index, result, poisoned = pickle.loads(worker.conn.recv_bytes())
    except (EOFError, OSError):
        return index, None, False
    assert got_index == index, (got_index, index)  # a worker runs its jobs in the order they were sent
    return got_index, result, poisoned


def _reap(worker: _Worker) -> str:
    worker.conn.close()
    _, status = os.waitpid(worker.pid, 0)
    return how_it_ended(status)


def how_it_ended(status: int) -> str:
    """A process's wait status in words."""
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit status {os.WEXITSTATUS(status)}"


def _stop(worker: _Worker) -> None:
    try:
        worker.conn.send_bytes(b"")
    except OSError:
        pass
    if worker.queued:  # interrupted mid-job: do not wait for it
        try:
            os.kill(worker.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    worker.conn.close()
    try:
        os.waitpid(worker.pid, 0)
    except ChildProcessError:
        pass


def _crashed(job: Job, text: str) -> ScenarioResult:
    return ScenarioResult(job.path.stem, str(job.path), job.seed or 0, job.backend or "moto", "error",
                          error=text)


def died(job: Job, how: str) -> ScenarioResult:
    """The result of a job whose process died before reporting one."""
    return _crashed(job, f"the worker process running this scenario died ({how}) before reporting a result; "
                         f"replay it alone to see why")


def worker_count(workers: int | None, jobs: int) -> int:
    """How many processes to use: None means every core this process may run on; never more than the jobs."""
    if workers is None:
        workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if not hasattr(os, "fork"):
        return 1
    return max(1, min(int(workers), jobs))
