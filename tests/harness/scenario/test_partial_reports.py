"""Reports of a run in progress are written as results come in, but never so often that writing them dominates
the run: after a write that took d, the next waits until 10 d has passed (the first result is written at once)."""
from harness.scenario.report.partial import PartialReports


class FakeClock:
    """Real time stand-in: `now` moves only when the test (or a write) moves it."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_first_result_is_written_at_once_then_writes_wait_ten_times_the_last_write():
    clock, written = FakeClock(), []

    def write() -> None:
        written.append(clock.now)
        clock.now += 0.1  # each write takes 0.1 s: the next is due 1 s after it ends

    partial = PartialReports(write, clock)
    assert partial.offer() is True
    offered_at = [0.2, 0.6, 1.09, 1.1, 1.5, 2.3]
    wrote = []
    for t in offered_at:
        clock.now = t
        wrote.append(partial.offer())
    assert wrote == [False, False, False, True, False, True]
    assert written == [0.0, 1.1, 2.3] and partial.writes == 3


def test_cheap_writes_keep_up_with_every_result():
    clock, written = FakeClock(), []
    partial = PartialReports(lambda: written.append(clock.now), clock)  # a write that takes no time
    for t in range(5):
        clock.now = t * 0.01
        partial.offer()
    assert len(written) == 5


def test_a_cli_run_still_writes_every_result_at_the_end(tmp_path):
    import json

    from harness.cli import main
    from tests.harness.scenario.conftest import SHOP
    for i in range(3):
        (tmp_path / f"s{i}.yaml").write_text(
            f"name: s{i}\nsystem: {SHOP}\nseed: {i}\nsteps:\n  - invoke: {{function: PlaceOrder, payload: "
            f"{{orderId: o{i}}}}}\n", encoding="utf-8")
    reports = tmp_path / "reports"
    assert main(["run", str(tmp_path), "--report-dir", str(reports)]) == 0
    results = json.loads((reports / "results.json").read_text())["results"]
    assert [r["name"] for r in results] == ["s0", "s1", "s2"]
