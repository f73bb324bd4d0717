"""A search is a function of the scenario and the search seed: the plans drawn, each run's trace hash, the first
failure and its shrunk plan are what a fresh interpreter sees, whatever this process ran or imported before."""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

from harness.search.plans import Plan, draw_plans, plans, seeds_near
from harness.search.shrink import shrink
from harness.search.sites import Site

ROOT = Path(__file__).resolve().parents[3]
SITES = [Site("aws", "Writer", "dynamodb", "PutItem", 4), Site("aws", "Sender", "sqs", "SendMessage", 2),
         Site("http", "Sender", "http", "api.example.com", 3), Site("invoke", "Writer"),
         Site("delivery", "Sender", "sqs")]
# Handler-like code with literals (hypothesis collects integers from 100 up), as another system's code has.
LITERALS = "LIMITS = [" + ", ".join(str(n) for n in [100, 404, 1970, 4096, 65535, 123456, 2**20 - 1]) + "]\n"
ORDER = """
name: order
seed: 8
steps:
  - invoke: {function: PlaceOrder, payload: {orderId: o1}, id: place}
"""


def draws() -> dict:
    """What the search's hypothesis draws give for fixed sites: 300 plans (hypothesis answers about one seed draw
    in forty with a constant from a module's source), and the candidates a shrink tries."""
    drawn = draw_plans(plans(SITES, seeds_near(7)), 300, "history:0")
    tried: list[str] = []

    def fails(plan: Plan) -> bool:
        tried.append(plan.key)
        return len(plan.rules) >= 1 and plan.rules[0]["times"] >= 1
    shrunk = shrink(drawn[-1], own_seed=7, fails=fails, seed="history:shrink")
    return {"plans": [p.key for p in drawn], "tried": tried, "shrunk": shrunk.plan.key}


def _tool():
    spec = importlib.util.spec_from_file_location("process_history", ROOT / "bench" / "process_history.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_plans_and_shrink_steps_after_other_code_was_imported_are_a_fresh_interpreters(local_module):
    fresh = subprocess.run([sys.executable, __file__], cwd=ROOT, capture_output=True, text=True, check=True)
    local_module(LITERALS, "history_literals_a")
    assert draws() == json.loads(fresh.stdout)


def test_a_search_after_another_systems_run_sees_the_runs_a_fresh_interpreter_sees(shop_scenario, local_module):
    tool, path = _tool(), shop_scenario(ORDER)
    fresh = tool.fresh(path, budget=6, seed=9)  # search seed 9: a pool constant once gave run 6 its seed
    tool.other_activity([str(ROOT / "scenarios" / "messages" / "send_fails_rolls_back.yaml")], [])
    local_module(LITERALS, "history_literals_b")
    then = tool.record(path, budget=6, seed=9)
    assert len(fresh["history"]) == 6 and tool.differences(fresh, then) == []


if __name__ == "__main__":  # the fresh interpreter of the first test
    print(json.dumps(draws()))
