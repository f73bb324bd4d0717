"""What a scenario run costs outside handler code, with this wave's per-run paths on and off, alternating in one
process (both share the machine's load): `python bench/run_costs.py [--rounds N] [--runs N] [SCENARIO ...]`.

"On" is the harness as shipped. "Off" is the harness as it was before issue 14's fourth wave: the template
cache's copies made by `copy.deepcopy`, fault rules built from their dicts for every simulation, the trace hash with a
new JSON encoder per event and its roots worked out per call, sys.modules scanned with `str.split` twice a run,
each template condition evaluated at every question while deploying, and a scenario file's load kept by
(resolved path, mtime, size). For each phase (loading the job's scenario, creating the simulation, starting
it, deploying, stopping it, judging, `_finish`, the whole run) the median CPU milliseconds per run over the
rounds is printed (the whole run: process CPU; each phase: the driver thread's CPU). See docs/performance.md ("What a run costs outside handler code").
"""
from __future__ import annotations

import argparse
import contextlib
import copy
import functools
import json
import os
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import phases  # bench scripts import each other from their folder

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
SCENARIOS = ["scenarios/messages/send_fails_rolls_back.yaml",
             "scenarios/twin/dispatcher_routes_event_to_device_processor_and_stores_it.yaml",
             "scenarios/replies/email_message_queued_json_success.yaml",
             "scenarios/earnings/event_marks_record_processed_with_one_audit_entry.yaml"]
PHASES = {  # name -> (module, attribute path) timed with the driver thread's CPU
    "load": ("harness.runner.job", "load"), "create": ("harness.simulation", "Simulation.__init__"),
    "start": ("harness.simulation", "Simulation.start"), "deploy": ("harness.simulation", "Simulation._deploy"),
    "stop": ("harness.simulation", "Simulation.stop"), "judge": ("harness.scenario.state", "State.settled"),
    "finish": ("harness.scenario.runner", "_finish"),
}
SPENT: dict[str, float] = dict.fromkeys(PHASES, 0.0)


def _timed(name: str, module_name: str, attribute: str) -> None:
    import importlib
    owner = importlib.import_module(module_name)
    *path, last = attribute.split(".")
    for part in path:
        owner = getattr(owner, part)
    original = getattr(owner, last)
    if name == "judge":  # a context manager: time the block it wraps (expectations and invariants)
        @contextlib.contextmanager
        def judged(self):
            start = time.thread_time()
            try:
                with original(self):
                    yield
            finally:
                SPENT[name] += time.thread_time() - start
        setattr(owner, last, judged)
        return

    setattr(owner, last, _measured(name, original))


def _measured(name: str, function):
    """`function`, adding the CPU its thread spends in each call to SPENT[name] (every phase runs in the driver's
    thread; process CPU would count whatever other threads do meanwhile)."""
    @functools.wraps(function)
    def measured(*args, **kwargs):
        start = time.thread_time()
        try:
            return function(*args, **kwargs)
        finally:
            SPENT[name] += time.thread_time() - start
    return measured


def _old_hash(self) -> str:
    import hashlib

    from harness import trace
    digest = hashlib.sha256()
    roots = trace._worked_out_roots(os.getcwd())
    for event in self.events:
        text = json.dumps([round(event.t, 6), event.kind, event.data], sort_keys=True, default=str)
        if "/" in text:
            for root, name in roots:
                text = text.replace(root, name)
            if "harness/" in text:
                text = trace._HARNESS_FRAME_LINE.sub(r"\1?", text)
        digest.update(text.encode())
    return digest.hexdigest()[:16]


def _old_load(path: Path):
    from harness.runner import job
    from harness.scenario import ScenarioError, limits, load_scenario
    resolved = Path(path).resolve()
    stat = resolved.stat()
    key = ("old", str(resolved), stat.st_mtime_ns, stat.st_size, limits.current())
    if key not in job._SCENARIOS:
        try:
            job._SCENARIOS[key] = load_scenario(path)
        except ScenarioError as exc:
            job._SCENARIOS[key] = exc
    return job._SCENARIOS[key]


@contextlib.contextmanager
def run_paths(on: bool) -> Iterator[None]:
    """This wave's per-run paths on (as shipped) or off (as before them)."""
    from harness import template, trace
    from harness.faults import plan, rules
    from harness.runner import job
    from harness.scenario import determinism
    if on:
        yield
        return
    modules = determinism.FRESH_PER_RUN
    saved = (template.copies_of, plan.built_rule, trace.Trace.hash, determinism._per_run_modules,
             template.Resolver.fixed, job.load)
    cached = dict(template._LOADED)

    def deep_copies(value):
        kept = copy.deepcopy(value)
        return lambda: copy.deepcopy(kept)
    template.copies_of = deep_copies
    template._LOADED.update({key: (files, deep_copies(copies())) for key, (files, copies) in cached.items()})
    plan.built_rule = rules.rule_from_dict
    trace.Trace.hash = _old_hash
    determinism._per_run_modules = lambda: [n for n in sys.modules if n.split(".")[0] in modules]
    template.Resolver.fixed = lambda self: contextlib.nullcontext()
    job.load = _measured("load", _old_load)
    try:
        yield
    finally:
        (template.copies_of, plan.built_rule, trace.Trace.hash, determinism._per_run_modules,
         template.Resolver.fixed, job.load) = saved
        template._LOADED.clear()  # what was cached while off (deep copies) is loaded again the shipped way
        template._LOADED.update(cached)


def scenario(path: str, runs: int) -> dict[str, float]:
    """CPU ms per run: the whole run and each phase."""
    return phases.scenario(path, runs, SPENT)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", default=SCENARIOS)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args(argv)
    for name, (module_name, attribute) in PHASES.items():
        _timed(name, module_name, attribute)
    for path in args.scenarios:  # warm: imports, templates, handler bytecode, moto's first start
        for on in (False, True):
            with run_paths(on):
                scenario(path, 2)
    samples: dict[tuple[str, bool], list[dict[str, float]]] = {}
    for _ in range(args.rounds):
        for on in (False, True):
            with run_paths(on):
                for path in args.scenarios:
                    samples.setdefault((path, on), []).append(scenario(path, args.runs))
    for path in args.scenarios:
        print(path)
        for key in ("run", *PHASES):
            off, on = (statistics.median(s[key] for s in samples[(path, flag)]) for flag in (False, True))
            print(f"  {key:<8} off {off:7.3f}   on {on:7.3f} ms CPU")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
