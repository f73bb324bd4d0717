"""The pages a forked run writes, copied up front in one system call instead of one page fault each.

A process forked from a snapshot shares its parent's memory copy-on-write, and a run writes into about 7,000 of
those pages (CPython updates the reference count of every object it touches, and rewrites the bytecode it
specialises): each first write is a page fault that copies the page, about 3.4 µs on this machine. The set of pages
is nearly the same from one run of a scenario to the next, so the first run forked from a snapshot records it
(`written`: the pages its process no longer shares with the parent) and each later run has the kernel copy them at
once (`copy`: madvise MADV_POPULATE_WRITE, about 2.1 µs a page, no trap per page).

Only pages the parent had resident are recorded, so copying them never changes the process's resident set (a
copy replaces a page already counted): the memory a run reports (harness/sandbox/memory.py) is unchanged. What
the pages hold is unchanged too: a copy is what the run's own write would have made. Linux 5.14 or later only;
elsewhere (no /proc/self/pagemap, an older kernel) nothing is recorded or copied.
"""
from __future__ import annotations

import ctypes
import os
import re
import sys

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_MADV_POPULATE_WRITE = 23
_EINVAL = 22
ENABLED = True  # False: runs forked from a snapshot take their page faults one by one (tests compare both)

# The top byte of a /proc/PID/pagemap entry (little-endian, 8 bytes a page): bit 7 = present, bit 0 = mapped by one
# process only. Translated to one byte a page, 1 or 0, so that whole mappings are compared as big integers.
_IS_PRESENT = bytes(1 if byte & 0x80 else 0 for byte in range(256))
_IS_OWN = bytes(1 if byte & 0x81 == 0x81 else 0 for byte in range(256))
_RUN = re.compile(rb"\x01+")

Ranges = list[tuple[int, int]]  # [start, end) addresses, page-aligned


def _writable_private_mappings() -> Ranges:
    ranges = []
    with open("/proc/self/maps", encoding="ascii") as maps:
        for line in maps:
            fields = line.split()
            if fields[1].startswith("rw") and fields[1][3] == "p" and fields[-1] not in ("[vvar]", "[vsyscall]"):
                start, end = (int(x, 16) for x in fields[0].split("-"))
                ranges.append((start, end))
    return ranges


def _flags(ranges: Ranges, table: bytes) -> list[int]:
    """For each range, one byte a page (`table` applied to its pagemap entry's top byte), as a big integer."""
    out = []
    with open("/proc/self/pagemap", "rb") as pagemap:
        for start, end in ranges:
            pagemap.seek(start // _PAGE * 8)
            out.append(int.from_bytes(pagemap.read((end - start) // _PAGE * 8)[7::8].translate(table), "little"))
    return out


class WrittenPages:
    """Made in the snapshot's process: which of its pages are resident. `written()`, in a forked child after its
    run, gives the ranges of those the child copied; `copy(ranges)`, in another child, copies them up front."""

    def __init__(self) -> None:
        self.mappings: Ranges = []
        self._resident: list[int] = []
        if not ENABLED or not sys.platform.startswith("linux"):
            return
        try:
            self.mappings = _writable_private_mappings()
            self._resident = _flags(self.mappings, _IS_PRESENT)
        except OSError:
            self.mappings, self._resident = [], []

    def written(self) -> Ranges:
        """The parent's resident pages this process has copied (written into) since the fork, as ranges."""
        if not self._resident:
            return []
        try:
            own = _flags(self.mappings, _IS_OWN)
        except OSError:
            return []
        ranges = []
        for (start, end), resident, mine in zip(self.mappings, self._resident, own):
            both = (resident & mine).to_bytes((end - start) // _PAGE, "little")
            ranges += [(start + run.start() * _PAGE, start + run.end() * _PAGE) for run in _RUN.finditer(both)]
        return ranges


def copy(ranges: Ranges) -> None:
    """Copy the pages of `ranges` into this process now (as a write to each would); a range no longer mapped,
    or a kernel without MADV_POPULATE_WRITE, is left to the page faults."""
    if not ranges or not ENABLED:
        return
    madvise = ctypes.CDLL(None, use_errno=True).madvise
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    for start, end in ranges:
        if madvise(start, end - start, _MADV_POPULATE_WRITE) != 0 and ctypes.get_errno() == _EINVAL:
            return  # a kernel before 5.14: the advice is unknown
