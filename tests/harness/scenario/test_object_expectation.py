"""The `object` expectation: presence is checked with HeadObject, so archived objects (which S3 will not let
anyone read) count as present, and `storage_class` checks where an object is stored."""
from harness.scenario import load_scenario, run_scenario

SCENARIO = """
name: archived receipt
seed: 1
steps:
  - invoke: {function: Worker, payload: {orderId: cold1, storageClass: DEEP_ARCHIVE}}
  - invoke: {function: Worker, payload: {orderId: warm1}}
expect:
  - object: {bucket: Receipts, key: cold1.json}
  - object: {bucket: Receipts, key: cold1.json, storage_class: DEEP_ARCHIVE}
  - object: {bucket: Receipts, key: warm1.json, storage_class: STANDARD, json: {orderId: warm1}}
  - object: {bucket: Receipts, key: cold1.json, storage_class: STANDARD}
  - object: {bucket: Receipts, key: cold1.json, exists: false}
invariants: []
"""


def test_archived_objects_are_present_and_storage_class_is_checked(write_scenario):
    result = run_scenario(load_scenario(write_scenario(SCENARIO)))
    verdicts = {o.where: o for o in result.outcomes}
    assert all(verdicts[f"expect[{i}]"].passed for i in range(3)), [verdicts[f"expect[{i}]"].found for i in range(3)]
    wrong_class, absent = verdicts["expect[3]"], verdicts["expect[4]"]
    assert not wrong_class.passed and "in STANDARD" in wrong_class.expected and wrong_class.found == "in DEEP_ARCHIVE"
    assert not absent.passed and absent.found == "present"
