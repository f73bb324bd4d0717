"""effects_at_most_once on the real twin pipeline: the processor timed out after its hand-over is retried by
Lambda and the persister runs twice for the same reading, but the record's hand-off claim keeps the event checker
at one run; a lost answer to the persister's invoke of the checker makes botocore send that invoke again, and the
checker does run twice for the same reading, which the invariant catches while every other invariant passes."""
from pathlib import Path

from harness.scenario import load_scenario, run_scenario

ROOT = Path(__file__).parents[3]
SCENARIO = f"""
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
LOST = """
  - {id: lost, match: {service: lambda, operation: Invoke, function: PersisterFunction, nth: 1},
     effect: {type: response_lost, error: timeout}}
"""


def _verdicts(tmp_path, text):
    path = tmp_path / "twice.yaml"
    path.write_text(text, encoding="utf-8")
    return {r.name: r for r in run_scenario(load_scenario(path)).invariants}


def test_a_processor_retried_after_its_hand_over_does_not_check_the_reading_twice(tmp_path):
    verdicts = _verdicts(tmp_path, SCENARIO)
    assert all(v.passed for v in verdicts.values()), [v.violations for v in verdicts.values()]


def test_the_event_checker_running_twice_for_one_reading_is_caught(tmp_path):
    verdicts = _verdicts(tmp_path, SCENARIO.replace("faults:\n", "faults:" + LOST, 1))
    assert verdicts["no_message_lost"].passed and verdicts["no_duplicates"].passed
    violation = verdicts["effects_at_most_once"].violations[0].message
    assert "digital-twin-event-checker ran 2 times for the same input" in violation
