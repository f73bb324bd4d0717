"""An execution environment's variables go in and out of the process whole: the mapping behind `os.environ` and the C
library's `environ` array are swapped (or, with `swap_c_array` off, only the keys that differ are put and unset; the
variable the runtime sets per invocation (`put`) then updates the worked-out differences instead of dropping them).
Either way, Python (`os.environ`) and C (`getenv`, what subprocesses inherit) see exactly the environment's variables
while it is installed and exactly the host's afterwards."""
import ctypes
import gc
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.lambda_runtime import c_environ
from harness.lambda_runtime.environ import EnvironmentSlot

_libc = ctypes.CDLL(None)
_libc.getenv.restype = ctypes.c_char_p


def _c_getenv(name: str) -> str | None:
    value = _libc.getenv(name.encode())
    return None if value is None else value.decode()


def _assert_process_sees(expected: dict[str, str], names: set[str]) -> None:
    assert dict(os.environ) == expected
    assert {name: _c_getenv(name) for name in names} == {name: expected.get(name) for name in names}


@pytest.fixture(autouse=True, params=[True, False], ids=["array swapped", "key by key"])
def swap_c_array(request, monkeypatch):
    """Every test runs with the C array swapped whole and switched key by key."""
    monkeypatch.setattr(EnvironmentSlot, "swap_c_array", request.param)
    return request.param


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


def test_variables_added_on_both_sides_keep_each_sides_c_view_exact(host):
    # Adding a variable makes glibc allocate (or grow) an array of its own: the side held aside must not be it.
    host = host()
    slot = EnvironmentSlot({"SLOT_ONLY": "slot"})
    for n in range(40):
        slot.install()
        os.environ[f"ADDED_IN_{n}"] = "by handler code"
        slot.uninstall(host)
        _assert_process_sees(host, NAMES | {f"ADDED_IN_{n}"})
        os.environ[f"ADDED_OUT_{n}"] = "by the host"
        host[f"ADDED_OUT_{n}"] = "by the host"
    slot.install()
    expected = {"SLOT_ONLY": "slot", **{f"ADDED_IN_{n}": "by handler code" for n in range(40)}}
    _assert_process_sees(expected, set(expected) | {f"ADDED_OUT_{n}" for n in range(40)})
    slot.uninstall(host)
    _assert_process_sees(host, set(expected) | set(host))
    for n in range(40):
        del os.environ[f"ADDED_OUT_{n}"]


@pytest.mark.skipif(not c_environ.AVAILABLE, reason="the C array is swapped only with glibc")
def test_a_value_getenv_returned_stays_readable_after_its_environment_is_gone(host):
    host = host()
    getenv = ctypes.CDLL(None).getenv
    getenv.restype = ctypes.c_void_p
    slot = EnvironmentSlot({"SLOT_ONLY": "kept by C code"})
    slot.install()
    address = getenv(b"SLOT_ONLY")
    slot.uninstall(host)
    del slot
    gc.collect()
    for n in range(50):  # new arrays and strings allocated where the old ones were
        other = EnvironmentSlot({"SLOT_ONLY": f"another {n:04}"})
        other.install()
        other.uninstall(host)
    assert ctypes.string_at(address) == b"kept by C code"


NAMES_DRAWN = ["HOST_ONLY", "SHARED", "SLOT_ONLY", "_X_AMZN_TRACE_ID"]
STEPS = st.lists(st.one_of(
    st.tuples(st.just("switch"), st.integers(0, 2)),  # install slot n (taking out the one installed), or out
    st.tuples(st.just("set"), st.sampled_from(NAMES_DRAWN), st.sampled_from(["a", "b", ""])),  # via os.environ
    st.tuples(st.just("delete"), st.sampled_from(NAMES_DRAWN)),
    st.tuples(st.just("put"), st.integers(0, 1), st.sampled_from(NAMES_DRAWN), st.sampled_from(["a", "c"])),
    st.tuples(st.just("mode"), st.booleans()),  # the next installs swap the array, or go key by key
), max_size=30)


@settings(max_examples=150, deadline=None)
@given(steps=STEPS)
def test_any_sequence_of_installs_changes_and_puts_shows_each_side_exactly(steps):
    saved = {name: os.environ.get(name) for name in NAMES_DRAWN}
    slots = [EnvironmentSlot({"SHARED": "slot", "SLOT_ONLY": str(n)}) for n in range(2)]
    model = [dict(slot.env) for slot in slots]
    installed = None  # index of the installed slot
    try:
        for step in steps:
            if step[0] == "switch":
                if installed is not None:
                    slots[installed].uninstall(dict(os.environ))
                installed = step[1] if step[1] < 2 and step[1] != installed else None
                if installed is not None:
                    slots[installed].install()
            elif step[0] == "set":
                os.environ[step[1]] = step[2]
            elif step[0] == "delete":
                os.environ.pop(step[1], None)
            elif step[0] == "put":
                slots[step[1]].put(step[2], step[3])
            else:
                EnvironmentSlot.swap_c_array = step[1]
            if step[0] in ("set", "delete") and installed is not None:
                model[installed] = dict(os.environ)
            elif step[0] == "put":
                model[step[1]][step[2]] = step[3]
            expected = dict(os.environ) if installed is None else model[installed]
            _assert_process_sees(expected, set(NAMES_DRAWN))
            assert [slot.env for slot in slots] == model
    finally:
        if installed is not None:
            slots[installed].uninstall(dict(os.environ))
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
