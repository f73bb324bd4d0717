"""What a load read: every file and folder it read, listed or looked for, so that what it made can be kept for the
next load of the same thing and used only while none of them changed.

    with dependencies.recorded() as read:
        scenario = load_scenario(path)      # readers call dependencies.note(path) before they look at a path
    ...
    if read.unchanged():                    # one stat per path; bytes compared only for a path changed lately
        reuse(scenario)

A path is noted before it is read, so a change after the note is always seen. Its stamp (device, inode, size,
mtime, ctime, or "missing") says whether it changed; a path whose ctime was within two seconds of the note (one
coarse file-time tick can hold two writes of the same size) is also compared by content on every check: a file's
bytes, a folder's sorted names. Outside `recorded()` noting costs one context-variable read.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import stat as _stat
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field

from freezegun.api import real_time  # the wall clock whatever freezegun patches

RACY_NS = 2_000_000_000  # a path changed this close to its note is compared by content too

_recording: ContextVar[tuple[Dependencies, ...]] = ContextVar("harness_dependencies", default=())


def _stamp(path: str) -> tuple | None:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (_stat.S_ISDIR(st.st_mode), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _content(path: str, stamp: tuple | None) -> str | None:
    """A digest of the file's bytes or the folder's names (None when missing or unreadable)."""
    try:
        if stamp is not None and stamp[0]:
            data = "\0".join(sorted(os.listdir(path))).encode("utf-8", "surrogateescape")
        else:
            with open(path, "rb") as handle:
                data = handle.read()
    except (OSError, ValueError):
        return None
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@dataclass
class Dependencies:
    """The paths one load noted, each with its stamp (and its content digest when it changed lately)."""

    stamps: dict[str, tuple | None] = field(default_factory=dict)
    contents: dict[str, str | None] = field(default_factory=dict)  # only the racy paths

    def add(self, path: str) -> None:
        """Note `path` (absolute) as it is now."""
        if path in self.stamps:
            return
        stamp = self.stamps[path] = _stamp(path)
        if stamp is not None and stamp[5] > real_time() * 1e9 - RACY_NS:
            self.contents[path] = _content(path, stamp)

    def unchanged(self) -> bool:
        """True while every noted path has its stamp (and the racy ones their content)."""
        for path, stamp in self.stamps.items():
            if _stamp(path) != stamp:
                return False
        return all(_content(path, self.stamps[path]) == digest for path, digest in self.contents.items())


def note(path: str | os.PathLike[str]) -> None:
    """Note that the loads being recorded read, list or look for `path` (call it before looking)."""
    recording = _recording.get()
    if recording:
        absolute = os.path.abspath(path)
        for read in recording:
            read.add(absolute)


@contextlib.contextmanager
def recorded() -> Iterator[Dependencies]:
    """Record what is noted in this block (in a block inside another, into both: the outer load depends on what
    the inner one read, such as a scenario's load on its template's)."""
    read = Dependencies()
    token = _recording.set((*_recording.get(), read))
    try:
        yield read
    finally:
        _recording.reset(token)
