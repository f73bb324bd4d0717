"""`harness fuzz --seed N` draws the same events in any process: a fresh interpreter and one that imported other
code first (another system's handlers, a test's apps) see the same examples and shrink to the same event."""
import re
import subprocess
import sys
from pathlib import Path

from harness.cli import main

ROOT = Path(__file__).resolve().parents[3]
APP = Path(__file__).parent / "fixtures" / "planted_app"
# Literals of the kinds hypothesis collects from local modules' source (strings, floats, integers from 100 up).
LITERALS = ("VALUES = ['book', 'quantity', 'orders', '/orders', 'item', 'POST', 'GET', 'Content-Type', 'abc',\n"
            "          'application/xml', 12345, 777, -500, 404, 499, 302, 0.3, 0.75, 1.5, 123.25, 1e-05]\n")


def _argv(out: Path) -> list[str]:
    return ["fuzz", str(APP / "template.yaml"), "OrderFunction", "--sample", str(APP / "events" / "order.json"),
            "--seed", "1", "--out", str(out)]


def _outcome(output: str) -> tuple[str, str]:
    """(examples run, minimal event) from fuzz's output."""
    examples = re.search(r"^(\d+) examples in", output, re.MULTILINE)
    event = re.search(r"^minimal event: (.*)$", output, re.MULTILINE)
    return (examples.group(1) if examples else output, event.group(1) if event else output)


def test_fuzz_after_other_code_was_imported_runs_the_examples_a_fresh_interpreter_runs(tmp_path, local_module,
                                                                                         capsys):
    fresh = subprocess.run([sys.executable, "-m", "harness", *_argv(tmp_path / "fresh")], cwd=ROOT,
                           capture_output=True, text=True, check=False)
    assert fresh.returncode == 1, fresh.stdout + fresh.stderr
    local_module(LITERALS, "fuzz_history_literals")
    assert main(_argv(tmp_path / "here")) == 1
    assert _outcome(capsys.readouterr().out) == _outcome(fresh.stdout)
