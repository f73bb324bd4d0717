"""effects_at_most_once on the real twin pipeline: a processor timed out after its hand-over is retried by Lambda,
and the persister and the event checker run twice for the same reading; every other invariant passes."""
from pathlib import Path

from harness.scenario import load_scenario, run_scenario

ROOT = Path(__file__).parents[3]
TWICE = f"""
name: processor timeout after hand-over
system: {ROOT / "handlers" / "twin" / "template.yaml"}
seed: 14
start: 2030-05-01T10:00:00Z
faults:
  - {{id: late, match: {{function: ProcessorFunction, nth: 1}}, effect: {{type: lambda_timeout, when: end}}}}
steps:
  - invoke:
      function: DispatcherFunction
      type: Event
      payload: {{iotDeviceId: temperature-sensor-1, time: "2030-05-01T10:00:00.000Z", temperature: 21.5}}
  - run_until_idle
invariants:
  - no_message_lost
  - no_duplicates
  - effects_at_most_once: {{invocations: {{EventCheckerFunction: null}}}}
"""


def test_the_event_checker_running_twice_for_one_reading_is_caught(tmp_path):
    path = tmp_path / "twice.yaml"
    path.write_text(TWICE, encoding="utf-8")
    result = run_scenario(load_scenario(path))
    verdicts = {r.name: r for r in result.invariants}
    assert verdicts["no_message_lost"].passed and verdicts["no_duplicates"].passed
    violation = verdicts["effects_at_most_once"].violations[0].message
    assert "digital-twin-event-checker ran 2 times for the same input" in violation
