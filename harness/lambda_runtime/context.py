"""The `context` object handlers receive, on virtual time."""
from __future__ import annotations

from typing import Any


class LambdaContext:
    """Same attributes as the AWS Python runtime's context; remaining time follows the virtual clock."""

    def __init__(self, *, request_id: str, config: Any, deadline: float, clock: Any, log_stream: str):
        self.aws_request_id = request_id
        self.function_name = config.name
        self.function_version = "$LATEST"
        self.invoked_function_arn = config.arn
        self.memory_limit_in_mb = str(config.memory)
        self.log_group_name = f"/aws/lambda/{config.name}"
        self.log_stream_name = log_stream
        self.identity = None
        self.client_context = None
        self._deadline, self._clock = deadline, clock

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds until the function times out (virtual)."""
        return max(0, round((self._deadline - self._clock.now()) * 1000))

    def __repr__(self) -> str:
        return f"LambdaContext(function_name={self.function_name!r}, aws_request_id={self.aws_request_id!r})"
