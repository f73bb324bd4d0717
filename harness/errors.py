"""Errors the harness raises; each message says what was expected and how to fix it."""


class HarnessError(Exception):
    """Base class for every error the harness raises on purpose."""


class InputError(HarnessError):
    """Bad user input (template, scenario, configuration): the CLI exits 2 on these."""


class TemplateError(InputError):
    """A SAM template that cannot be loaded: missing, malformed or with an unknown reference."""


class TemplateWarning(UserWarning):
    """Something in a template the harness does not emulate (reported once per message, with file:line)."""


class UnsafeEndpointError(HarnessError):
    """A request addressed somewhere the harness will not send it (anything but its backend on loopback)."""


class WatchdogTimeout(HarnessError):
    """A task held the baton longer than the wall-clock watchdog allows (busy loop or real blocking I/O)."""


class SimulationError(HarnessError):
    """Misuse of the simulation API (e.g. two simulations active at once)."""
