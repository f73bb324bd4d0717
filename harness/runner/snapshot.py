"""Fork-fast runs: a scenario's simulation is deployed once, made quiescent, and each run is an `os.fork` of it.

The snapshot is a Simulation started with `deploy_only=True` (backend running, time patched, template deployed;
event sources and the fault plan not yet active), inside the run's determinism pins. A run forks it; the child
gives it the job's seed (Simulation.reseed, the pins, and moto's generator: seeded, then the calls the deploy made
replayed, see draws.py) and fault plan, reopens the gateway on the same ports, activates the extensions and runs the
scenario's steps and judgement with the same code as a fresh run. The trace, verdict and report are the fresh run's
(tests/harness/runner/test_snapshot.py checks it). The child sends its result back and exits, so a run that crashes
or leaves state behind never touches the snapshot. The first run also reports which of the snapshot's pages it wrote
into; later runs have the kernel copy those up front, a range at a time, instead of one page fault each
(prefault.py: the same memory, about 5 % less CPU per run).

A scenario whose deploy cannot be snapshotted exactly is run the ordinary way, and the reason is given on stderr
when HARNESS_DEBUG is set: another backend than in-process moto, a deploy that kept a value drawn from a seeded
generator, a live thread at the fork point, or a port taken meanwhile.
"""
from __future__ import annotations

import contextlib
import gc
import os
import pickle
import random
import sys
import threading
import traceback
import warnings
from pathlib import Path

from harness.runner import prefault
from harness.runner.draws import DrawLog
from harness.runner.job import Job, execute, load, load_error
from harness.runner.pool import died, how_it_ended
from harness.scenario.runner import ScenarioResult

# Draws a deploy may make without its values being kept: the request id moto puts in a response's headers, and
# the invocation id botocore puts in a request's headers (a pinned uuid4).
DISCARDED_DRAWS = frozenset({"moto.utilities.aws_headers.gen_amzn_requestid_long"})
DISCARDED_UUID4S = frozenset({"botocore.endpoint._update_retries_context"})


REPEATS = 2  # runs of one scenario from which they are forked from a snapshot (when snapshots are wanted)


class CannotSnapshot(Exception):
    """Why a scenario's runs cannot be forked from a snapshot (they run the ordinary way)."""


def debug(message: str) -> None:
    """A debug line on stderr when HARNESS_DEBUG is set (why a run is not forked from a snapshot)."""
    if os.environ.get("HARNESS_DEBUG", "") not in ("", "0"):
        print(f"harness.runner: {message}", file=sys.stderr, flush=True)


def snapshot_key(job: Job) -> tuple[str, str] | None:
    """(resolved scenario path, backend): the runs that can share one snapshot; None for a file that does not
    load."""
    scenario = load(job.path)
    if isinstance(scenario, Exception):
        return None
    return str(Path(job.path).resolve()), job.backend or scenario.model.backend or "moto"


class Snapshot:
    """A deployed, quiescent simulation of one scenario that runs are forked from (build it where no other
    simulation runs; `close` it to run anything else in this process)."""

    def __init__(self, path: Path, backend: str = "moto", watchdog_seconds: float = 30.0):
        from moto.moto_api._internal import mock_random

        from harness.scenario.determinism import fresh_library_state, pinned_randomness
        from harness.scenario.runner import simulation_kwargs
        from harness.simulation import Simulation
        self.scenario = load(path)
        if isinstance(self.scenario, Exception):
            raise CannotSnapshot(f"{path} does not load")
        if backend != "moto":
            raise CannotSnapshot(f"backend {backend!r} (only in-process moto has no server thread or real clock)")
        self.backend, self.watchdog_seconds = backend, watchdog_seconds
        self._stack = contextlib.ExitStack()
        seed = self.scenario.model.seed
        try:
            self._pins = self._stack.enter_context(pinned_randomness(seed))
            self._stack.enter_context(fresh_library_state())
            kwargs = simulation_kwargs(self.scenario, seed, backend, watchdog_seconds)
            kwargs.pop("faults", None)  # each run brings its own plan
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.sim = Simulation(self.scenario.template, **kwargs)
            self._stack.callback(self.sim.stop)
            with DrawLog(mock_random) as self._moto_draws:
                self.sim.start(deploy_only=True)
            self._check_draws()
            self.sim.suspend()
            self._check_quiescent()
        except CannotSnapshot:
            self._stack.close()
            raise
        except Exception as exc:  # noqa: BLE001 - a deploy that fails here fails the same way in a fresh run
            self._stack.close()
            raise CannotSnapshot(f"its deploy failed ({type(exc).__name__}: {exc})") from None
        gc.collect()
        gc.freeze()  # forked runs never collect what the snapshot holds, so its memory pages stay shared
        self._pages = prefault.WrittenPages()
        self._written: prefault.Ranges | None = None  # the pages a run writes, learnt from the first one

    def _check_draws(self) -> None:
        kept = {draw.origin for draw in self._moto_draws.draws if draw.caller not in DISCARDED_DRAWS}
        if kept:
            raise CannotSnapshot(f"its deploy drew from moto's generator in {', '.join(sorted(kept))} (the value "
                                 f"may be kept in the deployed state, and would be another seed's)")
        if self._pins.created:
            raise CannotSnapshot(f"its deploy created unseeded Random()s in {', '.join(sorted(self._pins.created))}")
        kept = set(self._pins.uuid4_callers) - DISCARDED_UUID4S
        if kept:
            raise CannotSnapshot(f"its deploy drew uuid4s in {', '.join(sorted(kept))} (the value may be kept)")
        self._uuid4_drawn = len(self._pins.uuid4_callers)
        from harness.simulation import global_stream
        if random.getstate() != random.Random(global_stream(self.sim.seed)).getstate():
            raise CannotSnapshot("its deploy drew from the random module's generator")
        self._others = self._other_generators()
        try:
            self.sim.reseed(self.sim.seed)  # checks that nothing drew from the simulation's own generators
        except Exception as exc:  # noqa: BLE001 - SimulationError: the deploy drew
            raise CannotSnapshot(f"its deploy drew from a seeded generator ({exc})") from None

    def _other_generators(self) -> list[tuple[random.Random, str]]:
        """Generators made before the fork point with a seed derived from the simulation seed, other than the
        simulation's own (reseeded by Simulation.reseed): each is reseeded for a run's seed, so none may have
        drawn yet."""
        seed = self.sim.seed
        own = {id(rng) for rng, _ in self.sim._streams(seed)}
        found = []
        for ref, value in list(self._pins.seeded):  # checking makes generators too
            rng = ref()
            if rng is None or id(rng) in own or not (value == seed or str(value).startswith(f"{seed}:")):
                continue
            if not isinstance(value, str) or rng.getstate() != random.Random(value).getstate():
                raise CannotSnapshot(f"its deploy made and drew from a generator seeded {value!r} from the seed")
            found.append((rng, value.split(":", 1)[1]))
        return found

    def _check_quiescent(self) -> None:
        from harness import scheduler
        parked = {worker.thread for worker in getattr(scheduler, "_IDLE", [])}  # forgotten in a forked child
        live = [t.name for t in threading.enumerate() if t is not threading.current_thread() and t not in parked]
        if live:
            raise CannotSnapshot(f"thread(s) {', '.join(live)} still run after the deploy")

    @property
    def pages_written(self) -> prefault.Ranges | None:
        """The address ranges a forked run writes into, learnt from the first run that reported (None before it);
        later runs have them copied up front (harness/runner/prefault.py)."""
        return self._written

    def close(self) -> None:
        """Stop the snapshot's simulation and undo its pins (this process can run simulations again)."""
        self._stack.close()
        gc.unfreeze()

    # ------------------------------------------------------------------ runs
    def run(self, job: Job) -> ScenarioResult:
        """Run `job` in a process forked from the snapshot; its result, as a fresh run would give it."""
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child, which never returns
            status = 0
            try:
                os.close(read_end)
                payload = self._child(job)
                with os.fdopen(write_end, "wb") as out:
                    out.write(payload)
            except BaseException:  # noqa: BLE001 - a child must never unwind into the parent's code
                status = 70
            finally:
                os._exit(status)
        os.close(write_end)
        with os.fdopen(read_end, "rb") as incoming:
            payload = incoming.read()
        _, status = os.waitpid(pid, 0)
        if not payload:
            return died(job, how_it_ended(status))  # what a worker process running it fresh would have reported
        result, written = pickle.loads(payload)
        if self._written is None and written is not None:
            self._written = written
        return result

    def _child(self, job: Job) -> bytes:
        """The pickled (result, pages written or None) of `job` run here, in the forked child."""
        learning = self._written is None
        if not learning:
            prefault.copy(self._written)  # the pages this run will write, copied with one call per range
        try:
            result = self._resume_and_run(job)
        except BaseException:  # noqa: BLE001 - reported as the job's error
            result = load_error(job, traceback.format_exc())
        written = self._pages.written() if learning else None
        try:
            return pickle.dumps((result, written), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 - e.g. an unpicklable value kept in the result
            return pickle.dumps((load_error(job, traceback.format_exc()), written))

    def _resume_and_run(self, job: Job) -> ScenarioResult:
        from moto.moto_api._internal import mock_random

        from harness.scenario.runner import _run
        seed = self.scenario.model.seed if job.seed is None else int(job.seed)
        faults = job.faults if job.faults is not None else self.scenario.top_level_faults
        try:
            self._pins.reseed(seed, self._uuid4_drawn)
            mock_random.seed(seed)
            self._moto_draws.replay(mock_random)
            self.sim.reseed(seed, faults=[dict(rule) for rule in faults] or None)
            for rng, stream in self._others:
                rng.seed(f"{seed}:{stream}")
            self.sim.resume()
            self.sim.activate()
        except Exception as exc:  # noqa: BLE001 - run it the ordinary way: that gives the fresh run's exact error
            debug(f"{job.path} (seed {seed}) runs without its snapshot: {type(exc).__name__}: {exc}")
            self.close()
            return execute(job, self.watchdog_seconds)
        return execute(job, self.watchdog_seconds,
                       run=lambda scenario: _run(scenario, seed, self.backend, self.watchdog_seconds,
                                                 deployed=self.sim))


class Snapshots:
    """Runs jobs, forking the repeated scenarios' runs from a snapshot (one held at a time, the last one used)
    and the others the ordinary way. Made in the parent, used in each worker process it forks."""

    def __init__(self, repeated: set[tuple[str, str]], watchdog_seconds: float = 30.0):
        self.repeated = repeated  # (resolved path, backend) of scenarios run more than once
        self.watchdog_seconds = watchdog_seconds
        self._held: tuple[tuple[str, str], Snapshot] | None = None
        self._refused: dict[tuple[str, str], str] = {}

    def run(self, job: Job) -> ScenarioResult:
        """The result of `job`, forked from its scenario's snapshot when it has one."""
        snapshot = self._snapshot_for(job)
        if snapshot is None:
            return execute(job, self.watchdog_seconds)
        return snapshot.run(job)

    def _snapshot_for(self, job: Job) -> Snapshot | None:
        key = snapshot_key(job)
        if key is None:
            self.close()
            return None
        if self._held is not None and self._held[0] == key:
            return self._held[1]
        self.close()
        if key not in self.repeated or key in self._refused:
            return None
        try:
            self._held = (key, Snapshot(job.path, key[1], self.watchdog_seconds))
        except CannotSnapshot as exc:
            self._refused[key] = str(exc)
            debug(f"{job.path}: runs are not forked from a snapshot (each deploys afresh): {exc}")
            return None
        return self._held[1]

    def close(self) -> None:
        """Drop the snapshot held, if any."""
        if self._held is not None:
            _, snapshot = self._held
            self._held = None
            snapshot.close()
