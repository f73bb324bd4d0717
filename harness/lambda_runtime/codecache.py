"""Compiled code of what execution environments import afresh (their code folders, layers and per-environment
libraries), kept once per process. Every cold start imports the function's modules again, in the container's own
namespace, as a new Lambda process would; only the compilation is shared. Code objects are immutable, so executing
one in several namespaces is what importing the same file in several processes does.

The cached code is used only while the file is unchanged: its stamp (inode, size, mtime and ctime, taken before the
source was read) must be the same and, unless the file's last change is older than SETTLED_NS, its bytes too. The
kernel sets ctime on every write and utime (no program can set it back), but only to a coarse clock tick, so two
writes within one tick can leave the same stamp: a recently changed file is compared byte for byte (a rewrite to
the same size, with its mtime put back, is compiled again).

Folders are registered with `register`; directories under them get an import finder whose source loader consults
the cache (a path hook, so imports from anywhere else take Python's ordinary path). That finder also remembers
where it found each module until its caches are invalidated, which is the import system's documented contract
(importlib.invalidate_caches() after writing a module); Python's own finder additionally stats the folder on every
lookup. A container's own folders are refreshed at each cold start (`refresh`: a cold start sees files written
since, as a new process would), not every finder of the process; on Lambda the code folders are read-only.

Module bodies also make dataclasses, and `dataclasses` compiles the source of each generated method (`__init__`,
`__eq__`, ...) with `exec` every time; the same text always compiles to the same code, so that compilation is
cached too (by text, compiled as `exec` would compile it there).
"""
from __future__ import annotations

import dataclasses
import os
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.machinery import (
    BYTECODE_SUFFIXES,
    EXTENSION_SUFFIXES,
    SOURCE_SUFFIXES,
    ExtensionFileLoader,
    FileFinder,
    ModuleSpec,
    SourceFileLoader,
    SourcelessFileLoader,
)
from types import CodeType

MAX_FILES = 4096  # sources kept; past it the cache starts again (tests write many short-lived code folders)
SETTLED_NS = 2_000_000_000  # a file unchanged for this long is checked by its stamp alone (no read)

_code: dict[str, _Compiled] = {}  # source path -> its compiled code and what it was compiled from
_roots: set[str] = set()  # registered folders (no trailing separator)
_generated: dict[str, CodeType] = {}  # source text dataclasses generates -> its code


@dataclass(frozen=True)
class _Compiled:
    stamp: tuple | None  # the file's (inode, size, mtime, ctime) taken before its source was read
    settled: bool  # its last change was long before that: any later change gives another stamp
    source: bytes
    code: CodeType


def _stamp(path: str) -> tuple | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


def _settled(stamp: tuple | None) -> bool:
    # ctime is set by the kernel on every change (utime cannot set it) but only to its coarse clock tick: a file
    # changed twice within one tick keeps its stamp, so a stamp is trusted only once its ctime is old.
    return stamp is not None and stamp[3] > 0 and time.clock_gettime_ns(time.CLOCK_REALTIME) - stamp[3] > SETTLED_NS


class CachedSourceLoader(SourceFileLoader):
    """Python's source loader, compiling each source once per process."""

    def get_code(self, fullname: str) -> CodeType:
        """The module's code: the cached compilation while its source is unchanged (its settled stamp unchanged,
        else its bytes compared), else compiled now."""
        path = self.get_filename(fullname)
        stamp = _stamp(path)  # before reading: a change after it gives another stamp next time
        cached = _code.get(path)
        if cached is not None and cached.settled and cached.stamp == stamp:
            return cached.code
        source = self.get_data(path)
        if cached is not None and cached.source == source:
            code = cached.code
        else:
            code = super().get_code(fullname)  # the first time as Python does it (a valid .pyc spares compiling)
            if len(_code) >= MAX_FILES:
                _code.clear()
        _code[path] = _Compiled(stamp, _settled(stamp), source, code)
        return code


_LOADERS = ((ExtensionFileLoader, EXTENSION_SUFFIXES), (CachedSourceLoader, SOURCE_SUFFIXES),
            (SourcelessFileLoader, BYTECODE_SUFFIXES))  # FileFinder's own order, with the caching source loader


class RememberingFinder(FileFinder):
    """Python's finder for one folder, remembering each answer (which file, which loader) until invalidated."""

    def __init__(self, path: str, *details: tuple) -> None:
        super().__init__(path, *details)
        self._found: dict[str, tuple | None] = {}  # module name -> (loader class, origin, search locations)

    def invalidate_caches(self) -> None:
        """Forget the folder's listing and every answer (called by importlib.invalidate_caches and `refresh`)."""
        super().invalidate_caches()
        self._found.clear()

    def find_spec(self, fullname: str, target: object = None) -> ModuleSpec | None:
        """A new spec for `fullname`, as FileFinder would make it."""
        if fullname not in self._found:
            spec = super().find_spec(fullname, target)
            self._found[fullname] = None if spec is None else (
                type(spec.loader) if spec.loader is not None else None, spec.origin, spec.submodule_search_locations)
            return spec
        found = self._found[fullname]
        if found is None:
            return None
        loader_class, origin, locations = found
        locations = None if locations is None else list(locations)
        if loader_class is None:  # a namespace package's portion
            spec = ModuleSpec(fullname, None)
            spec.submodule_search_locations = locations
            return spec
        return self._get_spec(loader_class, fullname, origin, locations, target)


def _under_root(path: str) -> bool:
    path = path.rstrip(os.sep)
    while path and path not in _roots:
        parent = os.path.dirname(path)
        if parent == path:
            return False
        path = parent
    return bool(path)


def _path_hook(path: str) -> FileFinder:
    """sys.path_hooks entry: a caching finder for directories under a registered folder, ImportError otherwise
    (the next hook, Python's own, takes the directory)."""
    if not path or not _under_root(path) or not os.path.isdir(path):
        raise ImportError("not a folder of an execution environment's code")
    return RememberingFinder(path, *_LOADERS)


def _exec_generated(source: object, /, *args: object, **kwargs: object) -> None:
    """`exec` as dataclasses calls it, compiling each distinct source text once (flags as exec gives them there:
    dataclasses has no __future__ imports)."""
    if type(source) is str:
        code = _generated.get(source)
        if code is None:
            if len(_generated) >= MAX_FILES:
                _generated.clear()
            code = _generated[source] = compile(source, "<string>", "exec", dont_inherit=True)
        source = code
    exec(source, *args, **kwargs)  # noqa: S102 - dataclasses' own generated methods, as it would run them


def _install() -> None:
    if _path_hook not in sys.path_hooks:
        sys.path_hooks.insert(0, _path_hook)
    if "exec" not in vars(dataclasses):  # a module global shadows the builtin for dataclasses' calls only
        dataclasses.exec = _exec_generated  # type: ignore[attr-defined]


def register(folders: Iterable[str]) -> None:
    """Cache the code of modules imported from these folders (and the folders below them)."""
    _install()
    new = {str(folder).rstrip(os.sep) for folder in folders} - _roots
    if not new:
        return
    _roots.update(new)
    prefixes = tuple(folder + os.sep for folder in new)
    cache = sys.path_importer_cache
    for key in [key for key in cache if key.rstrip(os.sep) in new or key.startswith(prefixes)]:
        del cache[key]  # made by Python's hook before registration: the next import makes a caching one


def refresh(folders: Iterable[str]) -> None:
    """Forget what the import system has listed in these folders and below (a cold start sees files written
    since), as importlib.invalidate_caches() does for every folder of the process."""
    prefixes = tuple(str(folder).rstrip(os.sep) + os.sep for folder in folders)
    exact = {prefix[:-1] for prefix in prefixes}
    cache = sys.path_importer_cache
    for key, finder in list(cache.items()):
        if key in exact or key.startswith(prefixes):
            if finder is None:
                del cache[key]  # did not exist when looked up: look again
            elif hasattr(finder, "invalidate_caches"):
                finder.invalidate_caches()


def cached_files() -> int:
    """How many sources the cache holds (for tests and figures)."""
    return len(_code)
