"""A system's defaults file (`_system.yaml`) is read once per process while it is unchanged: every scenario of
the system gets the same settings, an edited file is read again, a broken one is refused every time."""
import os

import pytest

from harness.scenario import ScenarioError
from harness.scenario.system import load_defaults


def _write(path, text, mtime_ns=None):
    path.write_text(text, encoding="utf-8")
    if mtime_ns is not None:
        os.utime(path, ns=(mtime_ns, mtime_ns))


def test_an_unchanged_defaults_file_gives_the_same_settings_and_an_edited_one_its_new_ones(tmp_path):
    path = tmp_path / "_system.yaml"
    _write(path, "invariants:\n  no_duplicates: {}\n", mtime_ns=10**18)
    first = load_defaults(path)
    assert load_defaults(path) is first and list(first.invariants) == ["no_duplicates"]
    _write(path, "invariants:\n  locks_released: {}\n", mtime_ns=10**18)  # same mtime, other size and ctime
    assert list(load_defaults(path).invariants) == ["locks_released"]


def test_a_broken_defaults_file_is_refused_on_every_load(tmp_path):
    path = tmp_path / "_system.yaml"
    _write(path, "invariants: [1, 2]\nextra: 1\n")
    for _ in range(2):
        with pytest.raises(ScenarioError) as refused:
            load_defaults(path)
        assert "unknown key 'extra'" in str(refused.value)
