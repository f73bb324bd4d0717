"""What a cold start executes and what each part costs: thread CPU per run of every module a cold start executes
(its own code, without the modules it imports), of the import system around them, of the handler's boto3 clients
and resources, of resource classes made later (a `Table(...)` per invocation) and of the garbage collections that
fall inside, for library scenarios run in a warm batch (as `harness run` runs them). See docs/performance.md.

    python bench/cold_starts.py                                   # messages and the stalled-lock replies scenario
    python bench/cold_starts.py -n 20 scenarios/replies/email_message_queued_json_success.yaml
    python bench/cold_starts.py --compare                         # the sixth wave's import paths on and off
    python bench/cold_starts.py --compare finder                  # the fifth wave's finder paths on and off
    python bench/cold_starts.py --compare chain                   # the seventh wave's import paths on and off
    python bench/cold_starts.py --per-module [--compare chain]    # one wave's paths, per module imported

Timing wraps each part (two `thread_time_ns` calls): the figures are inflated by that, about 1 us a wrapped call,
so compare rows of one run; `--compare` times only `Container.init` and each run, alternating the paths on and off
in one process so both share the machine's load.
"""
from __future__ import annotations

import argparse
import collections
import gc
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
DEFAULT = ["scenarios/messages/send_fails_rolls_back.yaml",
           "scenarios/replies/sms_emergency_unlock_fails_stalled_reset_releases.yaml"]


class Meter:
    """Exclusive thread CPU per key: a wrapped call's time less the wrapped calls and collections inside it."""

    def __init__(self) -> None:
        self.time: collections.Counter = collections.Counter()
        self.calls: collections.Counter = collections.Counter()
        self._stack: list[list] = []
        self._gc_start: list[int] = []

    def wrap(self, owner: object, name: str, key: Callable[[tuple], str]) -> None:
        """Time every call of owner.name under key(args)."""
        original = getattr(owner, name)
        stack, clock, totals, calls = self._stack, time.thread_time_ns, self.time, self.calls

        def timed(*args, **kwargs):
            stack.append([key(args), clock(), 0])
            try:
                return original(*args, **kwargs)
            finally:
                label, start, inner = stack.pop()
                spent = clock() - start
                totals[label] += spent - inner
                calls[label] += 1
                if stack:
                    stack[-1][2] += spent
        setattr(owner, name, timed)

    def collection(self, phase: str, info: dict) -> None:
        """gc.callbacks entry: a collection inside a wrapped call is its own row."""
        if not self._stack:
            return
        if phase == "start":
            self._gc_start.append(time.thread_time_ns())
            return
        spent = time.thread_time_ns() - self._gc_start.pop()
        self.time[f"garbage collection, generation {info['generation']}"] += spent
        self.calls[f"garbage collection, generation {info['generation']}"] += 1
        self._stack[-1][2] += spent


def _instrument(meter: Meter) -> None:
    from importlib import _bootstrap

    import boto3.session
    from boto3.resources.factory import ResourceFactory

    from harness.lambda_runtime import codecache
    from harness.lambda_runtime.container import Container
    loader = codecache.CachedSourceLoader
    meter.wrap(loader, "exec_module", lambda a: f"module {a[1].__name__}")
    meter.wrap(loader, "get_code", lambda a: "import system: compiled code looked up")
    meter.wrap(Container, "init", lambda a: "cold start, outside module bodies")
    meter.wrap(boto3.session.Session, "client", lambda a: f"boto3.client({a[1]!r})")
    meter.wrap(boto3.session.Session, "resource", lambda a: f"boto3.resource({a[1]!r}), besides its client")
    meter.wrap(ResourceFactory, "load_from_definition", lambda a: "boto3 resource class made")
    for name, label in (("_find_spec", "finding"), ("module_from_spec", "module objects made"),
                        ("_find_and_load", "locks and the rest"), ("_handle_fromlist", "from-imports")):
        meter.wrap(_bootstrap, name, lambda a, label=label: f"import system: {label}")
    gc.callbacks.append(meter.collection)


def breakdown(path: str, runs: int) -> None:
    """Print the thread CPU per run of each part of the scenario's cold starts."""
    from harness.runner import Job, run_jobs
    run_jobs([Job(ROOT / path, seed=0)], workers=1)  # imports, templates, compiled code, the fast paths installed
    meter = Meter()
    _instrument(meter)
    start = time.process_time()
    run_jobs([Job(ROOT / path, seed=seed) for seed in range(1, runs + 1)], workers=1)
    cpu = (time.process_time() - start) / runs * 1e3
    cold = meter.calls["cold start, outside module bodies"] / runs
    print(f"\n{path}: {cpu:.1f} ms CPU per run, {cold:.0f} cold start(s) per run, "
          f"{sum(meter.time.values()) / runs / 1e6:.2f} ms in the parts below (thread CPU per run)")
    modules = sum(v for k, v in meter.time.items() if k.startswith("module ")) / runs / 1e6
    for key, spent in meter.time.most_common():
        if spent / runs >= 20_000 and not key.startswith("module "):
            print(f"  {spent / runs / 1e6:7.3f} ms  {meter.calls[key] / runs:6.1f} calls  {key}")
    print(f"  {modules:7.3f} ms  module bodies, each without what it imports; the largest:")
    for key, spent in meter.time.most_common():
        if key.startswith("module ") and spent / runs >= 50_000:
            print(f"  {spent / runs / 1e6:9.3f} ms  {key[7:]}")
    wrapped = sum(meter.calls.values()) / runs
    print(f"  (the meter itself: about {_meter_cost():.2f} us a wrapped call, {wrapped:.0f} wrapped calls a run, most "
          "of them in the import-system rows)")


def _meter_cost() -> float:
    """Thread CPU a wrapped call adds (two thread-clock reads and the wrapper), measured on an empty function."""
    class Empty:
        @staticmethod
        def call() -> None:
            return None
    plain = Empty.call
    meter = Meter()
    meter.wrap(Empty, "call", lambda args: "empty")
    costs = []
    for function in (plain, Empty.call):
        start = time.thread_time_ns()
        for _ in range(20_000):
            function()
        costs.append((time.thread_time_ns() - start) / 20_000 / 1e3)
    return costs[1] - costs[0]


_SAVED: dict = {}


def _finder_paths(on: bool) -> None:
    """The fifth wave's cold-start paths on (as shipped) or off: every cold start lists its folders again and names
    are found through the whole meta path, as before."""
    from importlib import _bootstrap

    from harness.lambda_runtime import codecache
    finder = codecache.RememberingFinder
    if not _SAVED:
        _SAVED.update(find_spec=_bootstrap._find_spec, revalidate=finder.revalidate)
    if on:
        _bootstrap._find_spec, finder.revalidate = _SAVED["find_spec"], _SAVED["revalidate"]
        return
    _bootstrap._find_spec = codecache._original_find_spec
    finder.revalidate = finder.invalidate_caches


def _copied_paths(on: bool) -> None:
    """The sixth wave's paths on (as shipped: copies of importlib's own functions with claimed module locks, direct
    module objects, specs and the cached code in front) or off (the fifth wave's harness functions around
    Python's own)."""
    from harness.lambda_runtime import codecache
    codecache.use_copies(on)


_CHAIN = ("_find_and_load", "_load_unlocked")


def _chain_paths(on: bool) -> None:
    """The seventh wave's paths on (as shipped: `_find_and_load` claiming its lock in place, `_load_unlocked` making
    plain modules in place, a settled file's code asked in `exec_module`, a refresh looking only at the entries
    under its folders) or off (the sixth wave's copies around them, every path-importer entry scanned)."""
    from importlib import _bootstrap

    from harness.lambda_runtime import codecache, import_protocol
    codecache.register([])  # the copies installed
    loader = codecache.CachedSourceLoader
    if not _SAVED_CHAIN:
        _SAVED_CHAIN.update(exec_module=vars(loader)["exec_module"], entries_under=codecache._entries_under)
    for name in _CHAIN:
        setattr(_bootstrap, name, import_protocol.COPIES[name] if on else import_protocol.STOCK[name])
    codecache._entries_under = _SAVED_CHAIN["entries_under"] if on else codecache._scanned_entries
    if on:
        loader.exec_module = _SAVED_CHAIN["exec_module"]
    elif "exec_module" in vars(loader):
        del loader.exec_module


_SAVED_CHAIN: dict = {}
PATHS = {"copies": _copied_paths, "finder": _finder_paths, "chain": _chain_paths}


def compare(path: str, runs: int, rounds: int, paths: str = "copies") -> None:
    """Container.init and run CPU with one wave's cold-start paths on and off, alternating in one process."""
    from harness.lambda_runtime.container import Container
    from harness.runner import Job, run_jobs
    spent = [0]
    original = Container.init

    def init(self):
        start = time.thread_time_ns()
        try:
            return original(self)
        finally:
            spent[0] += time.thread_time_ns() - start
    Container.init = init
    rows = {True: [], False: []}
    switch = PATHS[paths]
    for state in (True, False):
        switch(state)
        run_jobs([Job(ROOT / path, seed=0)], workers=1)
    for _ in range(rounds):
        for state in (False, True):
            switch(state)
            spent[0] = 0
            start = time.process_time()
            run_jobs([Job(ROOT / path, seed=seed) for seed in range(1, runs + 1)], workers=1)
            rows[state].append(((time.process_time() - start) / runs * 1e3, spent[0] / runs / 1e6))
    switch(True)
    print(f"\n{path} ({paths} paths): CPU per run, Container.init thread CPU per run; best and median of {rounds} rounds of "
          f"{runs} runs")
    for state, label in ((False, "off (as before)"), (True, "on")):
        cpu, init_ms = sorted(r[0] for r in rows[state]), sorted(r[1] for r in rows[state])
        print(f"  {label:16} run {cpu[0]:7.2f} / {statistics.median(cpu):7.2f} ms   "
              f"cold starts {init_ms[0]:6.2f} / {statistics.median(init_ms):6.2f} ms")


def per_module(rounds: int, paths: str = "copies") -> None:
    """Thread CPU per module import of a package of 60 tiny modules (each from-imports the one before), imported
    and taken out of sys.modules again and again, one wave's paths off and on in turn (gc off). The files are left
    to settle first (codecache.SETTLED_NS), as a deployed function's are."""
    import importlib
    import tempfile

    from harness.lambda_runtime import codecache
    switch = PATHS[paths]
    with tempfile.TemporaryDirectory() as root:
        package = Path(root) / "tiny_modules_package"
        package.mkdir()
        (package / "__init__.py").write_text("", encoding="utf-8")
        (package / "m0.py").write_text("VALUE = 0\n", encoding="utf-8")
        for i in range(1, 61):
            (package / f"m{i}.py").write_text(f"from tiny_modules_package import m{i - 1} as before\n",
                                              encoding="utf-8")
        names = ["tiny_modules_package", *(f"tiny_modules_package.m{i}" for i in range(61))]
        sys.path.insert(0, root)
        codecache.register([root])
        time.sleep(codecache.SETTLED_NS / 1e9 + 0.1)  # a file changed within the last 2 s is compared byte for byte

        def imports(times: int) -> float:
            start = time.thread_time_ns()
            for _ in range(times):
                importlib.import_module("tiny_modules_package.m60")
                for name in names:
                    del sys.modules[name]
            return (time.thread_time_ns() - start) / times / len(names) / 1e3
        gc.disable()
        try:
            rows = {True: [], False: []}
            for state in (True, False):
                switch(state)
                imports(20)
            for _ in range(rounds):
                for state in (False, True):
                    switch(state)
                    rows[state].append(imports(40))
        finally:
            gc.enable()
            switch(True)
            sys.path.remove(root)
    print(f"\nimporting a package of 60 tiny modules ({paths} paths): thread CPU per module, best / median of {rounds} "
          "rounds")
    for state, label in ((False, "off (as before)"), (True, "on")):
        print(f"  {label:17} {min(rows[state]):6.2f} / {statistics.median(rows[state]):6.2f} us")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenarios", nargs="*", default=DEFAULT)
    parser.add_argument("-n", type=int, default=20, help="runs per scenario (default 20)")
    parser.add_argument("--compare", nargs="?", const="copies", choices=sorted(PATHS),
                        help="one wave's cold-start paths on and off: copies (sixth wave, the default), finder (fifth), "
                        "chain (seventh)")
    parser.add_argument("--per-module", action="store_true", help="one wave's paths (--compare) off and on, per module "
                        "imported (a package of tiny modules, no scenario)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    import warnings
    warnings.simplefilter("ignore")
    if args.per_module:
        per_module(max(args.rounds, 5), args.compare or "copies")
        return 0
    for path in args.scenarios:
        if args.compare:
            compare(path, args.n, args.rounds, args.compare)
        else:
            breakdown(path, args.n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
