"""The event sources' botocore hooks reach every client, however early the harness's shared session was made."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

EARLY_SESSION = """
import sys
from harness.aws import router
router.shared_session()  # before anything imports the event sources
assert "harness.sources.extension" not in sys.modules
from harness.scenario import load_scenario, run_scenario
result = run_scenario(load_scenario("scenarios/earnings/throttled_write_retried_with_backoff.yaml"))
print(result.status)
"""


def test_a_shared_session_made_before_the_event_sources_were_imported_still_feeds_them():
    """The scenario's rule targets a function through EventBridge: its PutEvents reach the rule only through the
    sources' after-call hook, which the early session copied nothing of when it was made."""
    done = subprocess.run([sys.executable, "-c", EARLY_SESSION], check=False, cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "passed"
