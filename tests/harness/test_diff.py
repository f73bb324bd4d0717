"""Differential runs: observations, normalisation, declared known differences."""
import pytest

from harness import InputError, Simulation
from harness.diff import compare, diff, load_known, normalise, observe


def _observe(template, backend, payload_name="w"):
    with Simulation(template, seed=1, backend=backend) as sim:
        sim.invoke("NoRetry", {"n": 1}, type="Event")
        sim.invoke("Writer", {"name": payload_name, "steps": 2})
        sim.run_until_idle()
        return observe(sim)


def test_normalise_replaces_timestamps_epochs_and_uuids_even_inside_json_strings():
    value = {"at": "2030-01-01T00:00:05Z", "ms": 1893456000000, "id": "4c566b1c-11a1-425c-a807-88c7e46a1006",
             "body": '{"sent": 1893456000, "n": 3}', "count": 3, "flag": True,
             "key": "2030-06-30T18:00:04.994Z#068739fa-9d1d-42a0-9d15-8a2ff2ee4e45"}
    assert normalise(value) == {"at": "<timestamp>", "ms": "<epoch>", "id": "<uuid>",
                                "body": {"sent": "<epoch>", "n": 3}, "count": 3, "flag": True,
                                "key": "<timestamp>#<uuid>"}


def test_observation_holds_counts_results_queues_and_tables(basic_template):
    observation = _observe(basic_template, "moto")
    assert observation["invocations"] == {"basic-NoRetry": {"error": 1}, "basic-Writer": {"success": 1}}
    assert observation["queues"]["WorkQueue"] == [{"body": "w-0", "attributes": {}},
                                                  {"body": "w-1", "attributes": {}}]
    assert observation["queues"]["Dlq"][0]["attributes"] == {"RequestID": "<uuid>", "ErrorCode": 200,
                                                             "ErrorMessage": "always fails: 1"}
    assert observation["tables"] == {"Table": []}


def test_two_moto_backends_observe_the_same_run_identically(basic_template):
    report = diff("basic", ("moto", "moto-server"), _observe(basic_template, "moto"),
                  _observe(basic_template, "moto-server"), [])
    assert report.agree, report.differences


def test_a_difference_is_listed_with_its_path_and_both_values(basic_template):
    differences = compare(_observe(basic_template, "moto", "w"), _observe(basic_template, "moto", "v"))
    paths = {d.path: (d.left, d.right) for d in differences}
    assert paths["queues.WorkQueue[0].body"] == ("w-0", "v-0")


def test_known_differences_are_reported_separately(tmp_path, basic_template):
    known_file = tmp_path / "known.yaml"
    known_file.write_text("- path: queues.WorkQueue*\n  reason: payload names differ on purpose\n"
                          "- path: results*\n  reason: payload names differ on purpose\n")
    report = diff("basic", ("a", "b"), _observe(basic_template, "moto", "w"), _observe(basic_template, "moto", "v"),
                  load_known(known_file))
    assert report.agree
    assert {k.reason for k in report.known} == {"payload names differ on purpose"}


def test_malformed_known_differences_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "known.yaml"
    bad.write_text("- pth: queues.*\n  reason: typo\n")
    with pytest.raises(InputError, match="entry 0 needs 'path'"):
        load_known(bad)


@pytest.mark.localstack
def test_moto_and_localstack_agree_on_retries_dlq_and_queue_contents(basic_template):
    report = diff("basic", ("moto", "localstack"), _observe(basic_template, "moto"),
                  _observe(basic_template, "localstack"), [])
    assert report.agree, report.differences
