"""Process-wide randomness pinned to the scenario's seed while it runs.

The simulation seeds its own scheduler, ids and moto; two sources it does not reach are the `random` module's
global generator (botocore's retry jitter draws from it) and `uuid.uuid4` (handler code's ids, which end up in
log lines and so in the trace). Without pinning them, the same seed gives a different trace in another
process. Both are restored when the run ends. Not covered: `os.urandom`, `secrets` and `random.SystemRandom`
(documented in docs/scenarios.md).
"""
from __future__ import annotations

import contextlib
import random
import uuid
from typing import Iterator


@contextlib.contextmanager
def pinned_randomness(seed: int) -> Iterator[None]:
    """Seed `random` and make `uuid.uuid4` draw from a seeded generator for the duration of a run."""
    saved_state, saved_uuid4 = random.getstate(), uuid.uuid4
    ids = random.Random(f"{seed}:uuid4")

    def uuid4() -> uuid.UUID:
        return uuid.UUID(int=ids.getrandbits(128), version=4)

    random.seed(f"{seed}:random")
    uuid.uuid4 = uuid4
    try:
        yield
    finally:
        uuid.uuid4 = saved_uuid4
        random.setstate(saved_state)
