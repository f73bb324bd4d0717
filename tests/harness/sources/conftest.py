"""Fixtures for the event-source tests: one small SAM application with every source type."""
from pathlib import Path

import pytest

from harness import Simulation

APP = Path(__file__).parent / "fixtures" / "app" / "template.yaml"


@pytest.fixture
def sim():
    """A running simulation of fixtures/app, seed 3."""
    with Simulation(APP, seed=3) as simulation:
        yield simulation


@pytest.fixture
def app_template():
    """Path of the fixture application's template."""
    return APP


@pytest.fixture
def messages():
    """`messages(sim, queue)`: the messages in a queue (received with a zero visibility timeout)."""
    return _messages


def _messages(sim, queue, max_messages=10):
    response = sim.client("sqs").receive_message(QueueUrl=sim.queue_url(queue), MaxNumberOfMessages=max_messages,
                                                 MessageAttributeNames=["All"], AttributeNames=["All"],
                                                 VisibilityTimeout=0)
    return response.get("Messages", [])
