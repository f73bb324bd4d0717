"""Judging a run reads a service the run never used without making moto's backend for it (for every region): it
holds nothing, and the answer is the one the API gives."""
from harness import Simulation
from harness.scenario.state import State


def test_judging_a_run_that_never_used_secrets_manager_finds_none_and_makes_no_backend():
    from moto.secretsmanager.models import secretsmanager_backends

    from harness.template import ACCOUNT_ID
    with Simulation(seed=5) as fresh:
        state = State(fresh)
        with state.settled():
            assert state.secret_values() == []
        assert not dict.get(secretsmanager_backends, ACCOUNT_ID)  # looking made no regional backend
        assert state.secret_values() == []  # the API (which makes the backend) answers the same


def test_judging_a_run_that_never_used_sqs_finds_no_queue_and_makes_no_backend():
    from moto.sqs.models import sqs_backends

    from harness.template import ACCOUNT_ID
    with Simulation(seed=5) as fresh:
        state = State(fresh)
        with state.settled():
            assert state.queue_names() == [] and state.messages("orders") == []
        assert not dict.get(sqs_backends, ACCOUNT_ID)
        assert state.queue_names() == [] and state.messages("orders") == []  # the API's answer
