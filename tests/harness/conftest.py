"""Fixtures shared by the harness's own tests."""
from pathlib import Path

import pytest

from harness import Simulation

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def basic_template() -> Path:
    """The small SAM application in fixtures/basic."""
    return FIXTURES / "basic" / "template.yaml"


@pytest.fixture
def sim(basic_template):
    """A running simulation of fixtures/basic, seed 1."""
    with Simulation(basic_template, seed=1) as simulation:
        yield simulation
