"""Fixtures for the scenario runner's tests: the `shop` fixture system and a scenario-file writer."""
from pathlib import Path
from textwrap import dedent

import pytest

HERE = Path(__file__).parent
SHOP = HERE / "fixtures" / "shop" / "template.yaml"


@pytest.fixture
def write_scenario(tmp_path: Path):
    """Write a scenario file for the shop system (`system:` filled in unless given) and return its path."""

    def write(text: str, name: str = "scenario.yaml") -> Path:
        body = dedent(text).lstrip()
        if "system:" not in body:
            body = f"system: {SHOP}\n" + body
        path = tmp_path / name
        path.write_text(body, encoding="utf-8")
        return path

    return write
