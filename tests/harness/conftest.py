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


@pytest.fixture
def local_module(tmp_path):
    """`local_module(source, name)`: a module written to tmp_path and imported (left in sys.modules, as an import
    leaves it, until the test ends): code outside site-packages, as handler code a simulation imported is."""
    import importlib.util
    import sys
    names = []

    def load(source: str, name: str):
        path = tmp_path / f"{name}.py"
        path.write_text(source, encoding="utf-8")
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        names.append(name)
        spec.loader.exec_module(module)
        return module

    yield load
    for name in names:
        sys.modules.pop(name, None)
