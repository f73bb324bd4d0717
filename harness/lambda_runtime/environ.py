"""Switching `os.environ` between the host's variables and an execution environment's: the encoded mapping behind
`os.environ` is swapped whole, and so is the C library's `environ` array (c_environ.py), so C code and
subprocesses see the same variables. What handler code changes in `os.environ` lands in its environment's own
mapping and array and is kept with them; a variable the runtime sets for each invocation while the environment is
out (`put`, e.g. `_X_AMZN_TRACE_ID`) goes into its array with one `putenv` when it is installed.

Where the C array cannot be swapped (not glibc), or with `EnvironmentSlot.swap_c_array = False`, only the differing
keys go through `putenv`/`unsetenv`: they are worked out once and kept while neither side changes, and `put`
updates them key by key instead of invalidating them."""
from __future__ import annotations

import os
from collections.abc import Mapping

from harness.lambda_runtime import c_environ

# CPython keeps os.environ's contents in a plain dict of encoded keys and values; anything else takes the
# portable path (key by key through os.environ).
_FAST = isinstance(getattr(os.environ, "_data", None), dict)
_KEYS: dict[str, bytes] = {}  # names `put` sets (the runtime's few), encoded once


def swap_environ(target: Mapping[str, str]) -> None:
    """Make os.environ equal to `target`, touching only the keys that differ."""
    current = os.environ
    for key in [k for k in current if k not in target]:
        del current[key]
    for key, value in target.items():
        if current.get(key) != value:
            current[key] = value


def _apply(changes: dict[bytes, bytes | None]) -> None:
    putenv, unsetenv = os.putenv, os.unsetenv  # a dozen calls in and out per invocation
    for key, value in changes.items():
        if value is None:
            unsetenv(key)
        else:
            putenv(key, value)


def _changes(source: dict, target: dict) -> dict[bytes, bytes | None]:
    """putenv/unsetenv steps (value None: unset) that turn `source` into `target`."""
    out: dict[bytes, bytes | None] = {k: v for k, v in target.items() if source.get(k) != v}
    out.update((k, None) for k in source if k not in target)
    return out


class EnvironmentSlot:
    """The environment variables of one execution environment, installed into the process and taken out."""

    # Swap the C library's environ array whole where that is safe (c_environ.AVAILABLE); False switches it key by
    # key (tests compare the two: the same variables either way).
    swap_c_array = True

    def __init__(self, env: Mapping[str, str]):
        self._env = dict(env)
        self._installed = False
        self._data: dict | None = None  # encoded form (fast path), the live mapping while installed
        if _FAST:
            key, value = os.environ.encodekey, os.environ.encodevalue  # type: ignore[attr-defined]
            self._data = {key(k): value(v) for k, v in self._env.items()}
        self._host: dict | None = None  # the host's mapping while this one is installed
        self._seen: tuple[dict, dict] | None = None  # (host, ours) the cached changes were computed from
        self._there: dict = {}  # host -> ours
        self._back: dict = {}  # ours -> host
        self._block: c_environ.Block | None = None  # our C array (swapped in whole), once first installed
        self._swapped = False  # installed by swapping the C array
        self._pending: dict[bytes, bytes] = {}  # put while out, not yet in our C array

    @property
    def env(self) -> dict[str, str]:
        """The variables as text (what handler code sees in os.environ while installed)."""
        if self._data is None:
            return dict(os.environ) if self._installed else dict(self._env)
        key, value = os.environ.decodekey, os.environ.decodevalue  # type: ignore[attr-defined]
        return {key(k): value(v) for k, v in self._data.items()}

    def put(self, name: str, value: str) -> None:
        """Set one variable of this environment (installed or not), as `os.environ[name] = value` would while
        installed, keeping the worked-out differences with the host valid."""
        if self._data is None:
            if self._installed:
                os.environ[name] = value
            else:
                self._env[name] = value
            return
        key = _KEYS.get(name)
        if key is None:
            key = _KEYS[name] = os.environ.encodekey(name)  # type: ignore[attr-defined]
        data = os.environ.encodevalue(value)  # type: ignore[attr-defined]
        if self._installed:
            os.putenv(key, data)
        elif self._block is not None:
            self._pending[key] = data
        self._data[key] = data
        if self._seen is not None:  # the cached differences, for this key only
            host, ours = self._seen
            ours[key] = data
            if host.get(key) == data:
                self._there.pop(key, None)
                self._back.pop(key, None)
            else:
                self._there[key] = data
                self._back[key] = host.get(key)

    def install(self) -> None:
        """Make os.environ this environment's (the host's is kept aside untouched)."""
        self._installed = True
        if self._data is None:
            swap_environ(self._env)
            return
        host = os.environ._data  # type: ignore[attr-defined]
        self._swapped = self.swap_c_array and c_environ.AVAILABLE
        if self._swapped:
            self._swap_in()
        else:
            self._block = None  # handler code may change variables now: the next swap builds the array afresh
            if self._seen is None or self._seen[0] != host or self._seen[1] != self._data:
                self._there, self._back = _changes(host, self._data), _changes(self._data, host)
                self._seen = (dict(host), dict(self._data))
            _apply(self._there)
        os.environ._data = self._data  # type: ignore[attr-defined]
        self._host = host

    def _swap_in(self) -> None:
        """Our C array into `environ` (built on first use), with what `put` changed while out."""
        if self._block is None:  # first install, or after a key-by-key one
            self._block, self._pending = c_environ.block_of(self._data), {}
        c_environ.swap_in(self._block)
        if self._pending:
            _apply(self._pending)  # an existing name's pointer is replaced in place
            self._pending = {}

    def uninstall(self, host_env: Mapping[str, str]) -> None:
        """Give os.environ back to the host (`host_env` is used on the portable path)."""
        self._installed = False
        if self._data is None:
            self._env = dict(os.environ)
            swap_environ(host_env)
            return
        host, self._host = self._host, None
        assert host is not None, "uninstall() without install()"
        if self._swapped:
            self._block = c_environ.swap_out(self._block)  # type: ignore[arg-type]
        elif self._seen is not None and self._seen[1] == self._data:
            _apply(self._back)
        else:  # handler code changed its variables: recompute (and the next install recomputes too)
            _apply(_changes(self._data, host))
            self._seen = None
        os.environ._data = host  # type: ignore[attr-defined]
