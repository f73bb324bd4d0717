"""Shared by the runner's tests: scenarios of the shop fixture system whose Worker fails all three attempts."""
from pathlib import Path

import pytest

SHOP = Path(__file__).resolve().parent.parent / "scenario" / "fixtures" / "shop"
ORDER = """name: {name}
system: {system}
seed: 21
steps:
  - invoke: {{function: PlaceOrder, payload: {{orderId: o1}}, id: place}}
  - invoke: {{function: Worker, payload: {{orderId: o1, fail: true}}, type: Event}}
  - run_until_idle
expect:
  - invocations: {{function: Worker, count: 3, outcomes: {{error: 3}}}}
"""


@pytest.fixture
def write_order():
    """Writes an order scenario named `name` at `path`, of the shop system (or of the template `system`)."""
    def write(path: Path, name: str, system: Path = SHOP / "template.yaml") -> Path:
        path.write_text(ORDER.format(name=name, system=system), encoding="utf-8")
        return path
    return write
