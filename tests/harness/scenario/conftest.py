"""Fixtures for the scenario runner's tests: the `shop` fixture system, a scenario-file writer and a library
with a requirements register."""
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


REGISTER = """
system: shop
seed: 009_shop.txt
requirements:
  - id: shop.orders.stored
    section: "1 Orders"
    text: A placed order is stored
  - id: shop.docs.readme
    section: "2 Docs"
    text: The README explains the shop
    proof: unit
    tests: [tests/test_docs.py::test_readme_explains]
"""

SCENARIO = """
name: order stored
system: {shop}
proves: {proves}
steps:
  - invoke: {{function: PlaceOrder, payload: {{orderId: o1}}}}
"""


@pytest.fixture
def library(tmp_path: Path):
    """A library root: scenarios/requirements/shop.yaml, scenarios/shop/, and the unit test file it names."""
    (tmp_path / "scenarios" / "requirements").mkdir(parents=True)
    (tmp_path / "scenarios" / "shop").mkdir()
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_docs.py").write_text(
        "def test_readme_explains():\n    pass\n\nclass TestDocs:\n    def test_has_title(self):\n        pass\n",
        encoding="utf-8")
    write_register(tmp_path, REGISTER)
    return tmp_path


def write_register(root: Path, text: str, name: str = "shop.yaml") -> Path:
    """Write a register file into the library's scenarios/requirements/."""
    path = root / "scenarios" / "requirements" / name
    path.write_text(dedent(text).lstrip(), encoding="utf-8")
    return path


def write_proving_scenario(root: Path, proves: str, name: str = "order_stored", extra: str = "") -> Path:
    """Write a shop scenario declaring `proves` (plus `extra` YAML, e.g. an expect block) into the library."""
    path = root / "scenarios" / "shop" / f"{name}.yaml"
    path.write_text(dedent(SCENARIO.format(shop=SHOP, proves=proves)).lstrip() + dedent(extra), encoding="utf-8")
    return path


