"""What a scenario run must not inherit from its process: per-environment libraries start fresh, and come back."""
import sys
import types

import pytest

from harness.scenario.determinism import fresh_library_state


@pytest.fixture
def planted(monkeypatch):
    """Stand-in modules: the per-environment library, a submodule, and names that only look like it."""
    modules = {name: types.ModuleType(name) for name in
               ("aws_lambda_powertools", "aws_lambda_powertools.logging.logger", "aws_lambda_powertools_extra",
                "aws_lambda_powertools_extra.x", "vendored.aws_lambda_powertools")}
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, module)
    return modules


def test_a_run_starts_without_the_per_environment_library_and_gets_the_hosts_copy_back(planted):
    with fresh_library_state():
        assert "aws_lambda_powertools" not in sys.modules
        assert "aws_lambda_powertools.logging.logger" not in sys.modules
        assert all(sys.modules[name] is planted[name] for name in
                   ("aws_lambda_powertools_extra", "aws_lambda_powertools_extra.x", "vendored.aws_lambda_powertools"))
    assert all(sys.modules[name] is module for name, module in planted.items())


def test_what_a_run_imports_of_the_library_is_dropped_at_its_end(planted):
    host_copy = sys.modules.get("aws_lambda_powertools.metrics")  # loaded by an earlier test in this process, or not
    with fresh_library_state():
        sys.modules["aws_lambda_powertools"] = types.ModuleType("aws_lambda_powertools")
        sys.modules["aws_lambda_powertools.metrics"] = ran = types.ModuleType("aws_lambda_powertools.metrics")
        sys.modules["aws_lambda_powertools_extra.y"] = kept = types.ModuleType("aws_lambda_powertools_extra.y")
    assert sys.modules["aws_lambda_powertools"] is planted["aws_lambda_powertools"]
    assert sys.modules.get("aws_lambda_powertools.metrics") is host_copy is not ran
    assert sys.modules.pop("aws_lambda_powertools_extra.y") is kept  # a namesake is not the library
