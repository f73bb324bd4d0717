"""An execution environment's variables go in and out of the process at the cost of the keys that differ; the
variable the runtime sets per invocation (`put`) updates the worked-out differences instead of dropping them. Either
way, Python (`os.environ`) and C (`getenv`, what subprocesses inherit) see exactly the environment's variables while
it is installed and exactly the host's afterwards."""
import ctypes
import os

import pytest

from harness.lambda_runtime.environ import EnvironmentSlot

_libc = ctypes.CDLL(None)
_libc.getenv.restype = ctypes.c_char_p


def _c_getenv(name: str) -> str | None:
    value = _libc.getenv(name.encode())
    return None if value is None else value.decode()


def _assert_process_sees(expected: dict[str, str], names: set[str]) -> None:
    assert dict(os.environ) == expected
    assert {name: _c_getenv(name) for name in names} == {name: expected.get(name) for name in names}


@pytest.fixture
def host(monkeypatch):
    """The host's variables (read in the test's own phase: pytest changes PYTEST_CURRENT_TEST between phases)."""
    monkeypatch.setenv("HOST_ONLY", "host")
    monkeypatch.setenv("SHARED", "host value")
    monkeypatch.delenv("SLOT_ONLY", raising=False)
    monkeypatch.delenv("_X_AMZN_TRACE_ID", raising=False)
    return lambda: dict(os.environ)


NAMES = {"HOST_ONLY", "SHARED", "SLOT_ONLY", "_X_AMZN_TRACE_ID"}


def test_put_while_installed_is_seen_by_python_and_c_and_taken_out_with_the_environment(host):
    host = host()
    slot = EnvironmentSlot({"SHARED": "slot value", "SLOT_ONLY": "slot"})
    for n in range(3):  # the first install works the differences out, the others reuse them
        slot.install()
        slot.put("_X_AMZN_TRACE_ID", f"Root=1-{n}")
        _assert_process_sees({"SHARED": "slot value", "SLOT_ONLY": "slot", "_X_AMZN_TRACE_ID": f"Root=1-{n}"}, NAMES)
        slot.uninstall(host)
        _assert_process_sees(host, NAMES)
    assert slot.env["_X_AMZN_TRACE_ID"] == "Root=1-2"


def test_put_of_a_host_value_while_out_and_handler_changes_while_in_are_both_kept(host):
    host = host()
    slot = EnvironmentSlot({"SHARED": "slot value"})
    slot.install()
    slot.uninstall(host)
    slot.put("SHARED", "host value")  # now equal to the host's: nothing to change for it
    slot.put("SLOT_ONLY", "added while out")
    slot.install()
    _assert_process_sees({"SHARED": "host value", "SLOT_ONLY": "added while out"}, NAMES)
    os.environ["HANDLER_SET"] = "by handler code"  # the slow path: recomputed
    del os.environ["SLOT_ONLY"]
    slot.uninstall(host)
    _assert_process_sees(host, NAMES | {"HANDLER_SET"})
    slot.install()
    _assert_process_sees({"SHARED": "host value", "HANDLER_SET": "by handler code"}, NAMES | {"HANDLER_SET"})
    slot.uninstall(host)
    _assert_process_sees(host, NAMES | {"HANDLER_SET"})


def test_a_host_that_changed_between_installs_is_seen_after_the_environment_leaves(host, monkeypatch):
    host = host()
    slot = EnvironmentSlot({"SLOT_ONLY": "slot"})
    slot.install()
    slot.uninstall(host)
    monkeypatch.setenv("SHARED", "changed by the test")
    slot.install()
    slot.put("_X_AMZN_TRACE_ID", "Root=1-x")
    _assert_process_sees({"SLOT_ONLY": "slot", "_X_AMZN_TRACE_ID": "Root=1-x"}, NAMES)
    slot.uninstall(dict(os.environ))
    _assert_process_sees({**host, "SHARED": "changed by the test"}, NAMES)
