"""Fixtures for the fault-injection tests: the small SAM app in fixtures/app and a simulation factory."""
import contextlib
from pathlib import Path

import pytest

from harness import Simulation

APP = Path(__file__).parent / "fixtures" / "app" / "template.yaml"


@pytest.fixture
def simulate():
    """`with simulate(faults, seed=1) as sim:` — a running simulation of fixtures/app with a fault plan."""

    @contextlib.contextmanager
    def run(faults=None, seed=1, **options):
        with Simulation(APP, seed=seed, faults=faults, **options) as sim:
            yield sim

    return run
