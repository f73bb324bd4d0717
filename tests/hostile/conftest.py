"""Hostile handlers (tests/hostile/app): each must end with an AWS-like result, and the harness must survive."""
from pathlib import Path

import pytest

from harness import Simulation

TEMPLATE = Path(__file__).parent / "app" / "template.yaml"


@pytest.fixture(scope="module")
def hostile():
    """A running simulation of the hostile app (one per test module: each test leaves it usable)."""
    with Simulation(TEMPLATE, seed=13, watchdog_seconds=0.5) as sim:
        yield sim
