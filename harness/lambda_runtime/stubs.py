"""Stand-ins for functions the harness cannot run (another runtime, a container image) or that a test replaces:
a fixed response, a fixed error, or a Python stand-in handler. The rest of the application runs for real around
them: event sources, retries, destinations and faults treat a stubbed function like any other."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import InputError
from harness.lambda_runtime.config import FunctionConfig

PYTHON_PREFIX = "python"
EMPTY_CODE = Path(__file__).parent / "stub_code"  # a code folder with no modules (fixed responses, errors)


class UnsupportedRuntime(Exception):
    """Raised when a function of a runtime the harness cannot run is invoked without a mock."""


class MockedError(Exception):
    """The error a `mock: {error: ...}` stub raises; its errorType is the configured type."""


@dataclass(frozen=True)
class FunctionMock:
    """`functions: {Name: {mock: ...}}`: exactly one of `response` (returned as is), `error` ({type, message},
    raised) or `handler` (`path/to/file.function` of a Python stand-in, relative to `base`)."""

    response: Any = None
    error: Mapping[str, str] | None = None
    handler: str | None = None
    base: Path = Path(".")

    @classmethod
    def coerce(cls, value: Any, base: Path, where: str) -> FunctionMock:
        """Build from its YAML/dict form; raises InputError naming `where` on a bad shape."""
        if isinstance(value, FunctionMock):
            return value
        if not isinstance(value, Mapping) or len(set(value) & {"response", "error", "handler"}) != 1 \
                or set(value) - {"response", "error", "handler"}:
            raise InputError(f"{where}: a mock is a mapping with exactly one of response (a JSON value), error "
                             f"({{type, message}}) or handler (path/to/file.function), got {value!r}")
        error = value.get("error")
        if "error" in value and (not isinstance(error, Mapping) or not error.get("type")):
            raise InputError(f"{where}: mock error needs a type (and a message), e.g. {{type: ValidationError, "
                             f"message: bad input}}, got {error!r}")
        handler = value.get("handler")
        if "handler" in value and (not isinstance(handler, str) or "." not in Path(handler).name):
            raise InputError(f"{where}: mock handler is path/to/file.function (e.g. stubs/orders.handler), got "
                             f"{handler!r}")
        return cls(response=value.get("response"), error=error, handler=handler, base=base)

    def apply(self, config: FunctionConfig, where: str) -> FunctionConfig:
        """The function's configuration with this stand-in in place of its code."""
        if self.handler is not None:
            file_part, _, function = self.handler.rpartition(".")
            source = (self.base / f"{file_part}.py").resolve()
            if not source.is_file():
                raise InputError(f"{where}: mock handler {self.handler!r}: {source} is not a file")
            return dataclasses.replace(config, code_dir=source.parent, handler=f"{source.stem}.{function}",
                                       stub=None)
        return dataclasses.replace(config, code_dir=EMPTY_CODE, stub=self._callable())

    def _callable(self) -> Callable[[Any, Any], Any]:
        if self.error is not None:
            error_type, message = str(self.error["type"]), str(self.error.get("message", ""))
            raised = type(error_type, (MockedError,), {})  # AWS reports the exception's class name as errorType

            def fail(event: Any, context: Any) -> Any:
                raise raised(message)
            return fail
        response = self.response
        return lambda event, context: response


def is_runnable(runtime: str) -> bool:
    """True for the runtimes the harness executes (Python)."""
    return runtime.startswith(PYTHON_PREFIX)


def unsupported(config: FunctionConfig) -> FunctionConfig:
    """A function of another runtime, unmocked: every invoke fails, saying how to mock it."""
    message = (f"function {config.logical_id} has runtime {config.runtime}: the harness runs Python handlers only; "
               f"mock it with `functions: {{{config.logical_id}: {{mock: {{response: ...}}}}}}` in the scenario "
               f"(or Simulation(functions={{...}})) or exclude it")

    def refuse(event: Any, context: Any) -> Any:
        raise UnsupportedRuntime(message)
    return dataclasses.replace(config, code_dir=EMPTY_CODE, stub=refuse)
