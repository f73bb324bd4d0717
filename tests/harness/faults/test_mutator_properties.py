"""Every payload mutator, on any event the strategies make (JSON and form bodies, records, plain values),
returns a copy or raises MutationError; it never modifies its input."""
from __future__ import annotations

import copy
import random

from hypothesis import example, given
from hypothesis import strategies as st

from harness import strategies as hs
from harness.faults import MUTATORS, MutationError, mutate

targets = (hs.api_gateway_events(body=hs.json_objects()) | hs.api_gateway_events(body=st.just("From=%2B1&Body=hi"))
           | hs.sqs_records() | hs.eventbridge_events() | hs.json_values(4) | st.binary(max_size=10))


@given(targets, st.sampled_from(sorted(MUTATORS)), st.integers(0, 2**32 - 1))
@example({"body": "A=1&B=2"}, "unicode_edge", 0)  # a lone surrogate in form data: UnicodeEncodeError before the fix
def test_a_mutator_returns_a_copy_or_raises_mutation_error(target, name, seed):
    before = copy.deepcopy(target)
    try:
        mutate(target, name, rng=random.Random(seed))
    except MutationError:
        pass
    assert target == before


def test_unicode_edge_in_form_data_is_percent_encoded_bytes():
    assert mutate({"body": "A=1&B=2"}, "unicode_edge", path="body.A", value="\ud800") == {"body": "A=%ED%A0%80&B=2"}
