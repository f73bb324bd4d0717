"""Scenario files for the search tests: the small shop system of tests/harness/scenario/fixtures."""
from pathlib import Path
from textwrap import dedent

import pytest

SHOP = Path(__file__).parents[1] / "scenario" / "fixtures" / "shop" / "template.yaml"
PLANTED = Path(__file__).parents[2] / "planted"


@pytest.fixture
def shop_scenario(tmp_path: Path):
    """`shop_scenario(text, name)` writes a shop scenario into tmp_path and returns its path."""

    def write(text: str, name: str = "order.yaml") -> Path:
        path = tmp_path / name
        path.write_text(f"system: {SHOP}\n" + dedent(text).lstrip(), encoding="utf-8")
        return path

    return write
