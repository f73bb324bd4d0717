"""Hypothesis profiles: `ci` (small, derandomized: the same examples on every run, used by `make test`) and
`fuzz` (a long budget that keeps its failures in `.hypothesis/`, used by `make fuzz`)."""
from __future__ import annotations

CI_EXAMPLES = 25
FUZZ_EXAMPLES = 1000
PROFILES = ("ci", "fuzz")


def register_profiles() -> None:
    """Register the `ci` and `fuzz` profiles with hypothesis (idempotent)."""
    from hypothesis import HealthCheck, settings
    settings.register_profile("ci", max_examples=CI_EXAMPLES, deadline=None, derandomize=True, database=None,
                              print_blob=True, suppress_health_check=[HealthCheck.too_slow])
    settings.register_profile("fuzz", max_examples=FUZZ_EXAMPLES, deadline=None, print_blob=True,
                              suppress_health_check=[HealthCheck.too_slow])
