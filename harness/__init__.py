"""Deterministic emulation and fault-injection harness for AWS Lambda systems."""
from harness.errors import HarnessError, InputError, TemplateError, UnsafeEndpointError, WatchdogTimeout
from harness.simulation import Simulation

__all__ = ["HarnessError", "InputError", "Simulation", "TemplateError", "UnsafeEndpointError", "WatchdogTimeout"]
