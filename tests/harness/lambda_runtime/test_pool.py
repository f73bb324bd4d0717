"""A function's pool hands out its most recently used idle environment (a pinned one first), reclaims idle ones
past their lifetime, and starts a new one otherwise: the one-pass `acquire` agrees with the rule written out
plainly (reclaim, then pick) on any mix of states, idle times and pins."""
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from harness.lambda_runtime.container import ContainerPool

LIFETIME = 100.0
NOW = 1_000.0


class _Env:
    def __init__(self, n: int, state: str, last_used: float, created_at: float):
        self.id, self.state, self.last_used, self.created_at = n, state, last_used, created_at
        self.keep_warm_until = None

    def expired(self, now: float, idle_lifetime: float) -> bool:
        return now - self.last_used > idle_lifetime


def _written_out(containers: list, pinned, force_cold: bool):
    """(what acquire returns: an index, or 'new'; the containers left) by the plain rule."""
    for c in containers:
        if c.state == "idle" and c.expired(NOW, LIFETIME):
            c.state = "dead"
    alive = [c for c in containers if c.state != "dead"]
    if force_cold:
        return "new", alive
    if pinned is not None and pinned.state == "idle":
        return pinned.id, alive
    idle = [c for c in alive if c.state == "idle"]
    if idle:
        return max(idle, key=lambda c: (c.last_used, c.created_at)).id, alive
    return "new", alive


ENVS = st.lists(st.tuples(st.sampled_from(["idle", "busy", "dead"]), st.sampled_from([850.0, 899.0, 950.0, 999.0]),
                          st.sampled_from([0.0, 1.0, 2.0])), max_size=6)


@given(ENVS, st.integers(min_value=-1, max_value=5), st.booleans())
@settings(max_examples=300)  # cheap cases; the suite's profile runs 25
def test_acquire_picks_and_reclaims_as_the_written_out_rule_does(envs, pin, force_cold):
    def build():
        containers = [_Env(i, *spec) for i, spec in enumerate(envs)]
        return containers, (containers[pin] if 0 <= pin < len(containers) else None)

    expected_containers, expected_pin = build()
    expected, expected_alive = _written_out(expected_containers, expected_pin, force_cold)

    containers, pinned = build()
    pool = ContainerPool(SimpleNamespace(), LIFETIME)
    pool.containers, pool.pinned, pool.force_cold = list(containers), pinned, force_cold
    got = pool.acquire(NOW, lambda: _Env("new", "new", NOW, NOW))

    assert got.id == expected and got.state == "busy"
    assert [c.id for c in pool.containers] == [c.id for c in expected_alive] + (["new"] if expected == "new" else [])
    assert [c.state for c in containers if c is not got] == [c.state for c in expected_containers
                                                             if c.id != expected]
    assert not pool.force_cold
