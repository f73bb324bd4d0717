"""Deterministic emulation and fault-injection harness for AWS Lambda systems.

Names are imported lazily so that `import harness` (done by the pytest plugin in every test process) stays cheap.
"""
from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Simulation": "harness.simulation",
    "HarnessError": "harness.errors", "InputError": "harness.errors", "TemplateError": "harness.errors",
    "TemplateWarning": "harness.errors",
    "UnsafeEndpointError": "harness.errors", "WatchdogTimeout": "harness.errors",
    "Budgets": "harness.sandbox.budgets", "OverBudget": "harness.sandbox.budgets",
}
__all__ = ["Budgets", "HarnessError", "InputError", "OverBudget", "Simulation", "TemplateError", "TemplateWarning", "UnsafeEndpointError",
           "WatchdogTimeout"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'harness' has no attribute {name!r}")
