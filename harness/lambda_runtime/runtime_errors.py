"""Errors the Lambda runtime reports itself, as exceptions whose class name is the errorType (`Runtime.ExitError`,
`Runtime.HandlerNotFound`, ...): made by the runtime (a handler setting it cannot use) and by Lambda faults."""
from __future__ import annotations

# What AWS's Python runtime reports for an init it could not complete, with the module named and no stack
# (awslambdaric's `_get_handler`): these carry their message as it is.
INIT_ERRORS = ("Runtime.ImportModuleError", "Runtime.HandlerNotFound", "Runtime.MalformedHandlerName")


def runtime_exception(error_type: str, message: str, resets: bool) -> Exception:
    """An exception whose class name is the Lambda errorType (`Runtime.ExitError`, ...)."""
    cls = type(error_type, (Exception,), {"harness_resets_environment": resets, "__module__": "harness.faults"})
    return cls(message)
