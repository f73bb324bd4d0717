"""The twin scenario fixtures deploy production code only: each per-device processor is the production system
wrapper (a symlink, as the deployer's merge would copy it) plus user logic the deployer's validator accepts."""

from pathlib import Path

import pytest

from tests.handlers.twin.conftest import FUNCTIONS_DIR

USER_LOGIC = Path(__file__).resolve().parents[3] / "scenarios" / "twin" / "_fixtures" / "user_logic"
DEVICES = sorted(p.name for p in USER_LOGIC.iterdir() if p.is_dir())


def test_there_are_user_logic_fixtures():
    assert DEVICES == ["clock-sensor-1", "filter-sensor-1", "pressure-sensor-1"]


@pytest.mark.parametrize("device", DEVICES)
def test_each_device_processor_runs_the_production_wrapper(device):
    wrapper = USER_LOGIC / device / "lambda_function.py"
    assert wrapper.is_symlink()
    assert wrapper.resolve() == (FUNCTIONS_DIR / "processor_wrapper" / "lambda_function.py").resolve()


@pytest.mark.parametrize("device", DEVICES)
def test_each_device_process_py_passes_the_deployers_validation(device, validator):
    source = (USER_LOGIC / device / "process.py").read_bytes()
    validator.validate_process_code(source, f"lambda_functions/processors/{device}/process.py")
