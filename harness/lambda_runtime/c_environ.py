"""The C library's environment (`environ`: what `getenv` and subprocesses read) switched between the host's and an
execution environment's by pointing `environ` at another array: two pointer writes per switch instead of a
`putenv`/`unsetenv` (and an audit event) for every variable that differs.

Why the arrays held while out of `environ` are always ours: glibc's `setenv`, adding a variable, reallocates the last
array *it* allocated (`last_environ`) whichever array `environ` points at, then copies the current one into it; an
array of glibc's held aside could move or be reused under us. So at each switch an array glibc allocated meanwhile
(code added a variable) is copied, pointer for pointer, into one allocated here, and glibc never reallocates ours
(it only ever reallocates its own). In place, glibc replaces a pointer (`setenv` of an existing name) or shifts the
rest down (`unsetenv`): both are fine in an array of ours. The strings are never freed, as glibc never frees its own:
a pointer `getenv` returned stays valid.

Only on Linux with glibc, and only once a probe shows `getenv` reading the `environ` this module writes
(`AVAILABLE`); elsewhere the caller switches variable by variable (environ.py)."""
from __future__ import annotations

import ctypes
import platform
import sys
from collections.abc import Mapping

_STRINGS: dict[bytes, ctypes.Array] = {}  # b"NAME=value" -> its buffer, kept for the life of the process


class Block:
    """A NULL-terminated array of `char *` allocated here."""

    __slots__ = ("address", "array")

    def __init__(self, pointers: list[int]):
        self.array = (ctypes.c_void_p * (len(pointers) + 1))(*pointers)  # the last entry stays NULL
        self.address = ctypes.addressof(self.array)


def block_of(variables: Mapping[bytes, bytes]) -> Block:
    """An array holding exactly `variables` (encoded names and values)."""
    return Block([_string(name + b"=" + value) for name, value in variables.items()])


def _string(entry: bytes) -> int:
    buffer = _STRINGS.get(entry)
    if buffer is None:
        buffer = _STRINGS[entry] = ctypes.create_string_buffer(entry)
    return ctypes.addressof(buffer)


def _copy(address: int | None) -> Block:
    """An array of ours with the entries of the array at `address` (the same strings)."""
    pointers: list[int] = []
    if address:
        entries = ctypes.cast(address, ctypes.POINTER(ctypes.c_void_p))
        while (entry := entries[len(pointers)]) is not None:
            pointers.append(entry)
    return Block(pointers)


def _environ() -> ctypes.c_void_p | None:
    """The `environ` variable itself, where it can be used safely (glibc on Linux), else None."""
    if sys.platform != "linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        libc = ctypes.PyDLL(None)  # a PyDLL call keeps the GIL: no Python thread runs while the probe is in
        variable = ctypes.c_void_p.in_dll(libc, "environ")
        getenv = libc.getenv
    except (OSError, ValueError, AttributeError):
        return None
    getenv.restype, getenv.argtypes = ctypes.c_char_p, [ctypes.c_char_p]
    probe, saved = block_of({b"HARNESS_ENVIRON_PROBE": b"seen"}), variable.value
    variable.value = probe.address
    try:
        seen = getenv(b"HARNESS_ENVIRON_PROBE")
    finally:
        variable.value = saved
    return variable if seen == b"seen" else None


_ENVIRON = _environ()
AVAILABLE = _ENVIRON is not None
_host: Block | None = None  # the host's array while an environment's is in `environ` (then, until replaced)


def swap_in(block: Block) -> None:
    """Point `environ` at `block`, keeping the host's array aside (copied first if glibc allocated it)."""
    global _host
    current = _ENVIRON.value  # type: ignore[union-attr]
    if _host is None or current != _host.address:
        _host = _copy(current)
    _ENVIRON.value = block.address  # type: ignore[union-attr]


def swap_out(block: Block) -> Block:
    """Point `environ` back at the host's array; returns the environment's array as its code left it (`block`, or a
    copy of the array glibc allocated when code added a variable)."""
    current = _ENVIRON.value  # type: ignore[union-attr]
    if current != block.address:
        block = _copy(current)
    _ENVIRON.value = _host.address  # type: ignore[union-attr]
    return block
