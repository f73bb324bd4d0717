"""Switching `os.environ` between the host's variables and an execution environment's, at the cost of the keys
that differ: the encoded mapping behind `os.environ` is swapped whole, and only the differing keys go through
`putenv`/`unsetenv` (so C code and subprocesses see the same variables). What handler code changes in
`os.environ` lands in its environment's own mapping and is kept with it."""
from __future__ import annotations

import os
from collections.abc import Mapping

# CPython keeps os.environ's contents in a plain dict of encoded keys and values; anything else takes the
# portable path (key by key through os.environ).
_FAST = isinstance(getattr(os.environ, "_data", None), dict)


def swap_environ(target: Mapping[str, str]) -> None:
    """Make os.environ equal to `target`, touching only the keys that differ."""
    current = os.environ
    for key in [k for k in current if k not in target]:
        del current[key]
    for key, value in target.items():
        if current.get(key) != value:
            current[key] = value


def _apply(changes: list[tuple[bytes, bytes | None]]) -> None:
    for key, value in changes:
        if value is None:
            os.unsetenv(key)
        else:
            os.putenv(key, value)


def _changes(source: dict, target: dict) -> list[tuple[bytes, bytes | None]]:
    """putenv/unsetenv steps that turn `source` into `target`."""
    out: list[tuple[bytes, bytes | None]] = [(k, v) for k, v in target.items() if source.get(k) != v]
    return out + [(k, None) for k in source if k not in target]


class EnvironmentSlot:
    """The environment variables of one execution environment, installed into the process and taken out."""

    def __init__(self, env: Mapping[str, str]):
        self._env = dict(env)
        self._data: dict | None = None  # encoded form (fast path), the live mapping while installed
        if _FAST:
            key, value = os.environ.encodekey, os.environ.encodevalue  # type: ignore[attr-defined]
            self._data = {key(k): value(v) for k, v in self._env.items()}
        self._host: dict | None = None  # the host's mapping while this one is installed
        self._seen: tuple[dict, dict] | None = None  # (host, ours) the cached changes were computed from
        self._there: list = []
        self._back: list = []

    @property
    def env(self) -> dict[str, str]:
        """The variables as text (what handler code sees in os.environ while installed)."""
        if self._data is None:
            return dict(self._env)
        key, value = os.environ.decodekey, os.environ.decodevalue  # type: ignore[attr-defined]
        return {key(k): value(v) for k, v in self._data.items()}

    def install(self) -> None:
        """Make os.environ this environment's (the host's is kept aside untouched)."""
        if self._data is None:
            swap_environ(self._env)
            return
        host = os.environ._data  # type: ignore[attr-defined]
        if self._seen is None or self._seen[0] != host or self._seen[1] != self._data:
            self._there, self._back = _changes(host, self._data), _changes(self._data, host)
            self._seen = (dict(host), dict(self._data))
        _apply(self._there)
        os.environ._data = self._data  # type: ignore[attr-defined]
        self._host = host

    def uninstall(self, host_env: Mapping[str, str]) -> None:
        """Give os.environ back to the host (`host_env` is used on the portable path)."""
        if self._data is None:
            self._env = dict(os.environ)
            swap_environ(host_env)
            return
        host, self._host = self._host, None
        assert host is not None, "uninstall() without install()"
        if self._seen is not None and self._seen[1] == self._data:
            _apply(self._back)
        else:  # handler code changed its variables: recompute (and the next install recomputes too)
            _apply(_changes(self._data, host))
            self._seen = None
        os.environ._data = host  # type: ignore[attr-defined]
