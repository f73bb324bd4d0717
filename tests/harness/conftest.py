"""Fixtures shared by the harness's own tests."""
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def basic_template() -> Path:
    """The small SAM application in fixtures/basic."""
    return FIXTURES / "basic" / "template.yaml"

NOOP_HANDLER = "def handler(event, context):\n    return None\n"


@pytest.fixture
def write_app(tmp_path):
    """`write_app(template, handler=NOOP_HANDLER) -> Path`: a one-function app in tmp_path (src/app.py, whose
    `handler` the template names as app.handler with CodeUri src/, and template.yaml); returns the template."""
    def write(template: str, handler: str = NOOP_HANDLER) -> Path:
        (tmp_path / "src").mkdir(exist_ok=True)
        (tmp_path / "src" / "app.py").write_text(handler, encoding="utf-8")
        path = tmp_path / "template.yaml"
        path.write_text(template, encoding="utf-8")
        return path
    return write

# `sim` (a running simulation of fixtures/basic, seed 1) comes from the plugin: see harness_template and
# harness_seed in pyproject.toml.
