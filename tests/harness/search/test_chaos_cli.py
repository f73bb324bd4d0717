"""`python -m harness chaos` on the command line: bad input, and a time limit that stops drawing rounds."""
import pytest

from harness.cli import main
from harness.search.chaos import parse_duration

ORDER = """
name: order
seed: 8
steps:
  - invoke: {function: PlaceOrder, payload: {orderId: o1}, id: place}
"""


def test_durations():
    assert (parse_duration("90"), parse_duration("60s"), parse_duration("5m"), parse_duration(None)) == (
        90.0, 60.0, 300.0, None)


@pytest.mark.parametrize("argv", [["--time", "soon"], ["--budget", "0"], ["--shard", "0/1"]])
def test_bad_chaos_arguments_exit_2(shop_scenario, argv, capsys):
    assert main(["chaos", str(shop_scenario(ORDER)), *argv]) == 2
    assert "error:" in capsys.readouterr().out


def test_a_time_limit_stops_drawing_new_rounds(shop_scenario, tmp_path, capsys):
    assert main(["chaos", str(shop_scenario(ORDER)), "--time", "0.001s", "--found-dir", str(tmp_path / "f")]) == 0
    out = capsys.readouterr().out
    assert "NO FAILURE" in out and "0 plan(s)" in out and not (tmp_path / "f").exists()
