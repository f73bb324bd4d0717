"""Fixtures shared by the harness's own tests."""
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def basic_template() -> Path:
    """The small SAM application in fixtures/basic."""
    return FIXTURES / "basic" / "template.yaml"

# `sim` (a running simulation of fixtures/basic, seed 1) comes from the plugin: see harness_template and
# harness_seed in pyproject.toml.
