"""Copies of importlib's own functions are its own code under its own file name and lines, with only the
statements put in front new; no copy is made of a source that is not what Python runs."""
import traceback
from importlib import _bootstrap

import pytest

from harness.lambda_runtime import importlib_copies
from harness.lambda_runtime.importlib_copies import copy_of, same_code, statements


def test_a_copy_with_nothing_put_in_front_is_importlibs_own_code():
    copied = copy_of(_bootstrap, "_lock_unlock_module", lambda node: None, {})  # one the harness leaves
    running = _bootstrap._lock_unlock_module
    assert copied is not running and same_code(copied.__code__, running.__code__)
    assert (copied.__code__.co_filename, copied.__qualname__, copied.__module__) == (
        "<frozen importlib._bootstrap>", "_lock_unlock_module", running.__module__)
    assert copied.__globals__ is vars(_bootstrap)


def test_no_copy_is_made_of_a_source_python_does_not_run(monkeypatch):
    lines = list(importlib_copies._source_lines(_bootstrap))
    monkeypatch.setitem(importlib_copies._lines, _bootstrap.__file__, lines)
    monkeypatch.delitem(importlib_copies._trees, _bootstrap.__file__, raising=False)  # parsed again if needed
    assert copy_of(_bootstrap, "_lock_unlock_module", lambda node: None, {}) is not None  # the same text, at its lines
    docstring = next(i for i, line in enumerate(lines) if '"""Acquires then releases the module lock' in line)
    lines[docstring] = lines[docstring].replace("lock", "lock!")  # one constant differs, every line as it was
    assert copy_of(_bootstrap, "_lock_unlock_module", lambda node: None, {}) is None


def test_statements_put_in_front_are_on_the_definitions_line_and_reach_the_names_given():
    def put_in_front(function):
        function.body[0:0] = statements("if name == 'refused':\n    refuse(name)\n", function.lineno)

    def refuse(name):
        raise LookupError(name)

    copied = copy_of(_bootstrap, "_sanity_check", put_in_front, {"refuse": refuse})
    assert copied("fine", None, 0) is None
    with pytest.raises(LookupError) as raised:
        copied("refused", None, 0)
    frame = traceback.extract_tb(raised.value.__traceback__)[1]
    assert (frame.filename, frame.name, frame.lineno) == (
        "<frozen importlib._bootstrap>", "_sanity_check", _bootstrap._sanity_check.__code__.co_firstlineno)
    with pytest.raises(ValueError, match="Empty module name"):  # importlib's own lines still run after them
        copied("", None, 0)
