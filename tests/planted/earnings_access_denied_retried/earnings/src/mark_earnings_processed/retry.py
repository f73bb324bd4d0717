"""Retry policy: exponential backoff with jitter, attempt limits per category, and the deadline budget.

The function timeout is 30 s. Every wait is checked against ``context.get_remaining_time_in_millis()``:
a retry happens only if, after sleeping, at least ``reserve_ms`` remain, which is enough for one more
attempt (two DynamoDB calls bounded by the client's 1 s connect + 2 s read timeouts) and for failing
cleanly (DLQ send, logs, metrics flush). Otherwise the function gives up while it still can.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from mark_earnings_processed.errors import Category, Failure

_rng = random.Random()


@dataclass(frozen=True)
class RetryPolicy:
    min_delay_s: float = 1.0
    max_delay_s: float = 30.0
    max_throttle_attempts: int = 8
    max_transient_attempts: int = 3
    max_conflict_rounds: int = 3
    reserve_ms: int = 7000

    def delay_s(self, retry_number: int) -> float:
        """Wait before retry ``retry_number`` (1-based): uniform in [1, min(30, 2**n)] seconds."""
        ceiling = min(self.max_delay_s, max(self.min_delay_s, 2.0**retry_number))
        return _rng.uniform(self.min_delay_s, ceiling)

    def attempt_limit(self, failure: Failure) -> int:
        """How many attempts a retryable failure of this kind may use in one invocation."""
        if failure.category is Category.DYNAMODB_THROTTLING:
            return self.max_throttle_attempts
        return self.max_transient_attempts

    def fits_deadline(self, delay_s: float, remaining_ms: int) -> bool:
        """True when sleeping ``delay_s`` still leaves ``reserve_ms`` for one more attempt and a clean exit."""
        return remaining_ms - delay_s * 1000 >= self.reserve_ms
