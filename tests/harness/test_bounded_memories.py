"""The fast paths' memories of pure answers stay bounded (they insert through harness.memo.remember) and still give
the answer their function gives without them."""
from __future__ import annotations

import traceback

import pytest

from harness import cfn_yaml
from harness.faults import plan
from harness.lambda_runtime import stack_text

LIMIT = 3


@pytest.fixture
def small_limits(monkeypatch):
    """Each memory under test holds at most LIMIT entries, and starts empty."""
    monkeypatch.setattr(cfn_yaml, "_PARSED_MAX", LIMIT)
    monkeypatch.setattr(cfn_yaml, "_PARSED", {})
    monkeypatch.setattr(plan, "_BUILT_MAX", LIMIT)
    monkeypatch.setattr(plan, "_BUILT", {})
    monkeypatch.setattr(stack_text, "_MAX_ENTRIES", LIMIT)
    monkeypatch.setattr(stack_text, "_BY_PATH", {})


def test_parsed_templates_never_exceed_their_limit_and_each_text_parses_to_its_own_data(small_limits):
    for n in range(10):
        assert cfn_yaml.loads(f"Value: {n}\n") == {"Value": n}
        assert 1 <= len(cfn_yaml._PARSED) <= LIMIT


def test_built_fault_rules_never_exceed_their_limit_and_each_dict_builds_its_own_rule(small_limits):
    for n in range(10):
        data = {"id": f"rule-{n}", "match": {"service": "sqs", "operation": "SendMessage"},
                "effect": {"type": "aws_error", "code": "AccessDenied"}}
        assert plan.built_rule(data, n, "test.yaml").id == f"rule-{n}"
        assert 1 <= len(plan._BUILT) <= LIMIT


def _raise_at(depth: int) -> None:
    if depth == 0:
        raise ValueError("bottom")
    _raise_at(depth - 1)


def test_stack_texts_never_exceed_their_limit_and_match_pythons_own_format(small_limits):
    for depth in range(8):  # each depth is another code path (another key)
        try:
            _raise_at(depth)
        except ValueError as exc:
            tb = exc.__traceback__
        assert stack_text.stack_lines(tb) == traceback.format_list(traceback.extract_tb(tb))
        assert 1 <= len(stack_text._BY_PATH) <= LIMIT
