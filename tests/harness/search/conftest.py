"""Scenario files for the search tests: the small shop system of tests/harness/scenario/fixtures."""
from pathlib import Path
from textwrap import dedent

import pytest

SHOP = Path(__file__).parents[1] / "scenario" / "fixtures" / "shop" / "template.yaml"
PLANTED = Path(__file__).parents[2] / "planted"


@pytest.fixture(scope="session")
def planted(tmp_path_factory: pytest.TempPathFactory):
    """`planted(bug)`: the path of the bug's scenario in a copy of its system with the bug applied (made once)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("planted_materialize", PLANTED / "materialize.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    root, made = tmp_path_factory.mktemp("planted"), {}

    def get(bug: str) -> Path:
        if bug not in made:
            made[bug] = module.materialize(PLANTED / bug, root)
        return made[bug]

    return get


@pytest.fixture
def shop_scenario(tmp_path: Path):
    """`shop_scenario(text, name)` writes a shop scenario into tmp_path and returns its path."""

    def write(text: str, name: str = "order.yaml") -> Path:
        path = tmp_path / name
        path.write_text(f"system: {SHOP}\n" + dedent(text).lstrip(), encoding="utf-8")
        return path

    return write
