"""One benchmark figure, measured in this process and printed as JSON: `python bench/figures.py NAME`.

bench/run.py runs each figure in a fresh interpreter, against this tree and (with --baseline REF) against an
older commit of the harness, alternating the two, so before and after are measured side by side in one run.
Only APIs that every version of the harness has are used here (Simulation, load_scenario, run_scenario).
"""
from __future__ import annotations

import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

warnings.simplefilter("ignore")
ROOT = Path.cwd()  # the tree under test (run.py sets cwd and PYTHONPATH to it)
BASIC = ROOT / "tests" / "harness" / "fixtures" / "basic" / "template.yaml"
LIBRARY_SCENARIO = "scenarios/messages/send_fails_rolls_back.yaml"
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
    os.environ.setdefault(key, "testing")


def _clock():
    from harness.clock import real_perf_counter
    return real_perf_counter


def _median(fn, repeat: int, between=None) -> float:
    now, samples = _clock(), []
    for _ in range(repeat):
        if between is not None:
            between()
        start = now()
        fn()
        samples.append(now() - start)
    return statistics.median(samples)


def _medians(fn, repeat: int, between=None) -> tuple[float, float]:
    """(median wall seconds, median process CPU seconds) per call: CPU time moves less with the machine's load."""
    import time
    now, walls, cpus = _clock(), [], []
    for _ in range(repeat):
        if between is not None:
            between()
        start, cpu = now(), time.process_time()
        fn()
        cpus.append(time.process_time() - cpu)
        walls.append(now() - start)
    return statistics.median(walls), statistics.median(cpus)


def _app():
    spec = importlib.util.spec_from_file_location("bench_app", BASIC.parent / "src" / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _empty_queues() -> None:
    """Drop every queued message (outside the timing) so queue depth does not creep into invoke figures."""
    from moto.sqs.models import sqs_backends
    for region in sqs_backends.values():
        for backend in region.values():
            for queue in backend.queues.values():
                queue._messages = []


def invoke(n: int = 300) -> dict:
    """Warm invoke of a no-op handler and of a handler making 3 SQS calls: direct call vs harness."""
    from moto import mock_aws

    from harness import Simulation
    with mock_aws():
        import boto3
        module = _app()
        os.environ["QUEUE_URL"] = boto3.client("sqs").create_queue(QueueName="bench")["QueueUrl"]
        module.writer({"name": "x", "steps": 3}, None)
        direct_noop, direct_noop_cpu = _medians(lambda: module.stamp({}, None), n)
        direct_3, direct_3_cpu = _medians(lambda: module.writer({"name": "x", "steps": 3}, None), n // 3,
                                          _empty_queues)
    with Simulation(BASIC, seed=1) as sim:
        sim.invoke("Stamp")
        sim.invoke("Writer", {"name": "x", "steps": 3})
        harness_noop, harness_noop_cpu = _medians(lambda: sim.invoke("Stamp"), n)
        harness_3, harness_3_cpu = _medians(lambda: sim.invoke("Writer", {"name": "x", "steps": 3}), n // 3,
                                            _empty_queues)
    return {"direct_noop_us": direct_noop * 1e6, "harness_noop_us": harness_noop * 1e6,
            "added_noop_us": (harness_noop - direct_noop) * 1e6,
            "added_noop_cpu_us": (harness_noop_cpu - direct_noop_cpu) * 1e6,
            "direct_3calls_ms": direct_3 * 1e3, "harness_3calls_ms": harness_3 * 1e3,
            "ratio_3calls": harness_3 / direct_3, "ratio_3calls_cpu": harness_3_cpu / direct_3_cpu}


def depth(count: int) -> dict:
    """One event-source-sized receive (10 messages, all attributes) and its delete, and one
    ApproximateNumberOfMessages read, at a queue depth of `count` (filled in moto's model directly: moto's own
    send path was O(n) per message); then the same receive with half of the queue in flight ahead of the rest
    (received with a 30 s visibility timeout, as a failing consumer leaves them)."""
    from moto.sqs.models import Message, sqs_backends

    from harness import Simulation
    with Simulation(BASIC, seed=1) as sim:
        sqs = sim.client("sqs")
        url = sqs.create_queue(QueueName="depth")["QueueUrl"]
        queue = next(q for region in sqs_backends.values() for b in region.values()
                     for name, q in b.queues.items() if name == "depth")
        added = iter(range(10**9))

        def top_up() -> None:  # outside the timing: keep the queue at `count`
            while len(queue._messages) < count:
                message = Message(f"id-{next(added)}", "body")
                message.mark_sent()
                queue._messages.append(message)

        def poll() -> None:
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"],
                                      MessageAttributeNames=["All"])["Messages"]
            sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                                            for i, m in enumerate(got)])

        def count_them() -> None:
            attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
            assert int(attributes["Attributes"]["ApproximateNumberOfMessages"]) >= count // 2 - 10

        samples = 7
        top_up()
        poll(), count_them()  # outside the timing: the first of each (an index may build itself here)
        receive = _medians(poll, samples, top_up)  # (wall, CPU): on a loaded machine the CPU time is steadier
        counting = _medians(count_them, samples, top_up)
        for message in list(queue._messages)[:count // 2]:
            message.mark_received(visibility_timeout=30)  # in flight, at the front of the queue
        poll()
        in_flight = _medians(poll, samples, top_up)
    return {"depth": count, "poll_ms": receive[0] * 1e3, "count_ms": counting[0] * 1e3,
            "poll_in_flight_ms": in_flight[0] * 1e3, "poll_cpu_ms": receive[1] * 1e3,
            "count_cpu_ms": counting[1] * 1e3, "poll_in_flight_cpu_ms": in_flight[1] * 1e3}


def start_stop(n: int = 10) -> dict:
    """Start and stop a simulation of the basic template (deploys its resources)."""
    from harness import Simulation

    def cycle() -> None:
        with Simulation(BASIC, seed=1):
            pass
    cycle()
    return {"start_stop_ms": _median(cycle, n) * 1e3}


def imports() -> dict:
    """Fresh interpreter: seconds to import what a scenario run needs, and whether cfn-lint came with it."""
    code = ("import time, sys; t = time.perf_counter(); import harness.simulation, harness.scenario.runner; "
            "print(time.perf_counter() - t, 'cfnlint' in sys.modules)")
    samples = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        seconds, cfnlint = out.split()
        samples.append(float(seconds))
    return {"import_s": statistics.median(samples), "cfnlint_imported": cfnlint == "True"}


RUN_SCENARIOS = {  # a typical library scenario of three systems, for the runs-per-second figures
    "messages": LIBRARY_SCENARIO,
    "twin": "scenarios/twin/dispatcher_routes_event_to_device_processor_and_stores_it.yaml",
    "replies": "scenarios/replies/email_message_queued_json_success.yaml",
}


def _cpu() -> float:
    import resource
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _faults() -> int:
    """Minor page faults of this process and its children (a forked run's copy-on-write copies)."""
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt + resource.getrusage(resource.RUSAGE_CHILDREN).ru_minflt


def _rate(name: str, seeds: int, run) -> dict:
    """Runs per second (wall) and CPU milliseconds per run (this process and its children: what a busy machine
    does not inflate) of `run(path, seeds)`, which returns the results."""
    path = ROOT / RUN_SCENARIOS.get(name, name)
    now = _clock()
    cpu, faults, start = _cpu(), _faults(), now()
    results = run(path, seeds)
    wall, cpu, faults = now() - start, _cpu() - cpu, _faults() - faults
    return {"scenario": str(path.relative_to(ROOT)), "runs_per_s": seeds / wall, "cpu_ms_per_run": cpu / seeds * 1e3,
            "minor_faults_per_run": faults / seeds, "passed": sum(r.status == "passed" for r in results),
            "runs": seeds}


def runs(name: str = "messages", seeds: int = 20) -> dict:
    """Runs per second of one library scenario with many seeds, serially in one warm process (the runner's serial
    path: `harness run -n 1`, explore and chaos with one worker)."""
    from harness.runner import Job, run_jobs
    run_jobs([Job(ROOT / RUN_SCENARIOS.get(name, name), seed=0)], workers=1)  # warm
    return _rate(name, seeds, lambda path, n: run_jobs([Job(path, seed=seed) for seed in range(n)], workers=1))


def _run_jobs(path: Path, seeds: int, snapshots: bool) -> list:
    import inspect

    from harness.runner import Job, run_jobs
    jobs = [Job(path, seed=seed) for seed in range(seeds)]
    if "snapshots" in inspect.signature(run_jobs).parameters:  # older trees have no snapshots
        return run_jobs(jobs, snapshots=snapshots)
    if snapshots:
        raise SystemExit("this tree cannot fork runs from a snapshot")
    return run_jobs(jobs)


def runs_parallel(name: str = "messages", seeds: int = 40) -> dict:
    """Runs per second of the same scenario through harness.runner on every core (forked warm workers, each run
    deploying afresh)."""
    from harness.runner import Job, run_jobs
    run_jobs([Job(ROOT / RUN_SCENARIOS.get(name, name), seed=0)], workers=1)  # warm the parent
    return _rate(name, seeds, lambda path, n: _run_jobs(path, n, snapshots=False))


def runs_search(name: str = "messages", rounds: int = 5, per_round: int = 32) -> dict:
    """Runs per second on every core for a search's rounds (chaos: 32 runs a round), each round a batch of its own
    on the same kept workers where the tree has them (harness.runner.kept_workers), else forking its own."""
    import contextlib

    from harness import runner
    from harness.runner import Job, run_jobs
    run_jobs([Job(ROOT / RUN_SCENARIOS.get(name, name), seed=0)], workers=1)  # warm the parent
    kept = getattr(runner, "kept_workers", contextlib.nullcontext)

    def search(path: Path, n: int) -> list:
        with kept():
            return [result for start in range(0, n, per_round)
                    for result in run_jobs([Job(path, seed=seed) for seed in range(start, min(n, start + per_round))])]
    return _rate(name, rounds * per_round, search)


def runs_forked(name: str = "messages", seeds: int = 40) -> dict:
    """Runs per second on every core with each run forked from its worker's deployed snapshot (the CPU and page
    faults of the forked processes included: each worker waits for its runs, the bench for its workers)."""
    from harness.runner import Job, run_jobs
    run_jobs([Job(ROOT / RUN_SCENARIOS.get(name, name), seed=0)], workers=1)  # warm the parent
    return _rate(name, seeds, lambda path, n: _run_jobs(path, n, snapshots=True))


def compression(warm_runs: int = 3) -> dict:
    """Simulated seconds per wall second: a sleep-heavy run, the async-retry-heavy run and library scenarios. Each
    figure is its first run in this fresh interpreter (as before); `*_warm` is the median of `warm_runs` more runs in
    the same process, as a library run, `explore` or `chaos` runs a scenario (the warm heap settled; compiled code, models and templates
    already loaded)."""
    from harness import Simulation
    from harness.scenario import load_scenario, run_scenario
    now = _clock()
    out = {}
    with Simulation(BASIC, seed=1) as sim:
        sim.invoke("Sleeper", {"seconds": 1})
        start, virtual = now(), sim.now
        for _ in range(50):  # a warm container sleeping 25 s, then 5 idle minutes (the seeds' stalled-lock wait)
            sim.invoke("Sleeper", {"seconds": 25})
            sim.advance(275)
        out["sleep_heavy"] = (sim.now - virtual) / (now() - start)
    retries = [_retry_heavy(now)]
    _settle()
    retries += [_retry_heavy(now) for _ in range(warm_runs)]
    out["retry_heavy"] = retries[0][0]
    out["retry_heavy_warm"] = statistics.median(wall for wall, _ in retries[1:])
    out["retry_heavy_warm_cpu"] = statistics.median(cpu for _, cpu in retries[1:])
    for name in ("scenarios/replies/reply_sender_crashes_stalled_lock_reset.yaml",
                 "scenarios/replies/twilio_503_reply_retried.yaml"):
        if (ROOT / name).exists():
            scenario = load_scenario(ROOT / name)
            ratios = []
            for run in range(1 + warm_runs):
                if run == 1:
                    _settle()
                cpu = time.process_time()
                result = run_scenario(scenario)
                virtual = result.stats["virtual_seconds"]
                ratios.append((virtual / max(result.wall_seconds, 1e-3),
                               virtual / max(time.process_time() - cpu, 1e-3)))
            out[Path(name).stem] = ratios[0][0]
            out[Path(name).stem + "_warm"] = statistics.median(wall for wall, _ in ratios[1:])
            out[Path(name).stem + "_warm_cpu"] = statistics.median(cpu for _, cpu in ratios[1:])
    return out


def _settle() -> None:
    """Leave the warm heap out of later garbage collections, as `harness run`, explore and chaos do after a batch's
    first run (harness/runner/heap.py): warm figures measure runs the way those run them."""
    try:
        from harness.runner import heap
    except ImportError:  # a tree from before the batch heap
        return
    heap.settle()


def _retry_heavy(now) -> tuple[float, float]:
    """30 failing async events 7 s apart, each retried twice (1 and 2 minutes later), then to the DLQ and the
    on-failure destination: virtual seconds per wall second and per CPU second of this process (every thread of
    the simulation; what other processes' load does not inflate), from the first event until idle."""
    from harness import Simulation
    with Simulation(BASIC, seed=1) as sim:
        start, cpu = now(), time.process_time()
        for i in range(30):
            sim.invoke("AlwaysFails", {"n": i}, type="Event")
            sim.advance(7)
        sim.run_until_idle()
        return sim.now / (now() - start), sim.now / max(time.process_time() - cpu, 1e-3)


TIME_HEAVY_SECONDS = 600  # a library scenario spanning 10 virtual minutes or more counts as time-heavy


def library(workers: str = "1") -> dict:
    """Wall seconds of `python -m harness run scenarios` (serially, or with -n auto when the tree has it), and
    the compression of each time-heavy scenario in it (its virtual span over its own wall time)."""
    import tempfile
    report_dir = Path(tempfile.mkdtemp(prefix="bench-library-"))
    command = [sys.executable, "-m", "harness", "run", str(ROOT / "scenarios"), "--report-dir", str(report_dir)]
    if workers != "1":
        command += ["-n", workers]
    now = _clock()
    start = now()
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    wall = now() - start
    summary = next((line for line in done.stdout.splitlines() if " scenario(s): " in line), "")
    return {"wall_s": wall, "summary": summary.strip(), **_library_compression(report_dir / "results.json")}


def time_heavy(repeats: int = 3) -> dict:
    """The library's time-heavy scenarios (>= 10 virtual minutes) in one warm process, each the median of `repeats`
    runs after the whole library ran once: virtual seconds per wall second and per CPU second of this process
    (every thread of the simulation; what other processes' load does not inflate)."""
    from harness.scenario import load_scenario, run_scenario
    from harness.scenario.discover import discover
    heavy = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in discover([ROOT / "scenarios"]):
            try:
                scenario = load_scenario(path)
            except Exception:  # noqa: BLE001, S112 - a file the library reports as bad input is no figure
                continue
            result = run_scenario(scenario)
            if result.status != "skipped" and result.stats.get("virtual_seconds", 0) >= TIME_HEAVY_SECONDS:
                heavy.append((path, scenario))
        _settle()
        rows = []
        for path, scenario in heavy:
            walls, cpus = [], []
            for _ in range(repeats):
                cpu = time.process_time()
                result = run_scenario(scenario)
                cpus.append(time.process_time() - cpu)
                walls.append(result.wall_seconds)
            virtual = result.stats["virtual_seconds"]
            rows.append({"file": str(path.relative_to(ROOT)), "virtual_s": virtual,
                         "wall_x": round(virtual / max(statistics.median(walls), 1e-3)),
                         "cpu_x": round(virtual / max(statistics.median(cpus), 1e-3))})
    rows.sort(key=lambda row: row["cpu_x"])
    out: dict = {"count": len(rows), "scenarios": rows}
    for kind in ("wall_x", "cpu_x"):
        ratios = sorted(row[kind] for row in rows)
        out[f"min_{kind}"], out[f"median_{kind}"] = (ratios[0], statistics.median(ratios)) if ratios else (0, 0)
        out[f"below_goal_{kind}"] = sum(1 for r in ratios if r < 10_000)
    return out


def _library_compression(results: Path) -> dict:
    """Min and median simulated-seconds-per-wall-second over the library's time-heavy scenarios, and those below
    the goal (file, seed, ratio, virtual and wall seconds)."""
    if not results.exists():
        return {}
    heavy = sorted(({"file": r.get("file"), "seed": r.get("seed"),
                     "x": round(r["stats"]["virtual_seconds"] / r["wall_seconds"]),
                     "virtual_s": r["stats"]["virtual_seconds"], "wall_s": r["wall_seconds"]}
                    for r in json.loads(results.read_text(encoding="utf-8"))["results"]
                    if (r.get("stats") or {}).get("virtual_seconds", 0) >= TIME_HEAVY_SECONDS
                    and r.get("wall_seconds")), key=lambda h: h["x"])
    if not heavy:
        return {}
    ratios = [h["x"] for h in heavy]
    return {"time_heavy_count": len(ratios), "time_heavy_min_x": ratios[0],
            "time_heavy_median_x": statistics.median(ratios),
            "time_heavy_below_goal": sum(1 for r in ratios if r < 10_000),
            "time_heavy_below": [h for h in heavy if h["x"] < 10_000]}


if __name__ == "__main__":
    name, *args = sys.argv[1:]
    print(json.dumps(globals()[name](*[int(a) if a.isdigit() and name != "library" else a for a in args])))
