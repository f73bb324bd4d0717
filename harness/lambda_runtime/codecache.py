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
since, as a new process would), not every finder of the process; on Lambda the code folders are read-only. A
refresh keeps a finder's answers only while every folder they were read from (its own, and a folder named like the
module, whose `__init__` decides package or not) has the settled stamp it had: adding, removing or renaming an
entry sets the folder's ctime, which no program can set back, so one stat per folder replaces a listing and two
or three stats per module.

A name such a finder answered at the first entry of its search path (sys.path, or the parent package's path) is
answered by that finder directly the next time (`_find_spec`, importlib's own with this in front): Python would ask
the meta path's finders before PathFinder (the same ones, checked; they declined the name), then that entry's
finder first, and return its answer. Each answer also carries the spec's `cached` location, worked out once per
origin and pycache settings.

Module bodies also make dataclasses, and `dataclasses` compiles the source of each generated method (`__init__`,
`__eq__`, ...) with `exec` every time; the same text always compiles to the same code, so that compilation is
cached too (by text, compiled as `exec` would compile it there).
"""
from __future__ import annotations

import _imp
import dataclasses
import os
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import _bootstrap  # type: ignore[attr-defined]
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

_original_find_spec = _bootstrap._find_spec

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
    """Python's finder for one folder, remembering each answer (which file, which loader) until invalidated, or,
    after `revalidate`, until a folder an answer depends on is found changed."""

    def __init__(self, path: str, *details: tuple) -> None:
        super().__init__(path, *details)
        self._found: dict[str, tuple | None] = {}  # module name -> (loader class, origin, locations, cached)
        self._folders: dict[str, tuple | None] = {}  # folder an answer depends on -> its settled stamp, or None
        self._suspect = False  # check the folders' stamps before the next answer

    def invalidate_caches(self) -> None:
        """Forget the folder's listing and every answer (called by importlib.invalidate_caches)."""
        super().invalidate_caches()
        self._found.clear()
        self._folders.clear()
        self._suspect = False

    def revalidate(self) -> None:
        """Keep the answers only if no folder they depend on changed since (checked at the next lookup): a file
        written or removed since is seen, as by `invalidate_caches`, for a stat per folder instead of a listing
        and two or three stats per module."""
        self._suspect = True

    def _check(self) -> None:
        self._suspect = False
        for folder, stamp in self._folders.items():
            if stamp is None or _stamp(folder) != stamp:
                self.invalidate_caches()
                return

    def _note_folders(self, fullname: str) -> None:
        """Stamp what FileFinder's answer for `fullname` read: this folder's listing and, when an entry has the
        module's name, that folder's (package, namespace portion or module is decided by its `__init__`)."""
        folders = [self.path]
        tail = fullname.rpartition(".")[2]
        if tail in self._path_cache:
            folders.append(os.path.join(self.path, tail))
        for folder in folders:
            if folder not in self._folders:
                stamp = _stamp(folder)  # after the listing: a settled stamp means nothing changed meanwhile
                self._folders[folder] = stamp if _settled(stamp) else None

    def find_spec(self, fullname: str, target: object = None) -> ModuleSpec | None:
        """A new spec for `fullname`, as FileFinder would make it."""
        if self._suspect:
            self._check()
        if fullname not in self._found:
            spec = super().find_spec(fullname, target)
            self._note_folders(fullname)
            self._found[fullname] = None if spec is None else (
                type(spec.loader) if spec.loader is not None else None, spec.origin, spec.submodule_search_locations,
                _cached_of(spec))
            return spec
        found = self._found[fullname]
        if found is None:
            return None
        loader_class, origin, locations, cached = found
        locations = None if locations is None else list(locations)
        if loader_class is None:  # a namespace package's portion
            spec = ModuleSpec(fullname, None)
            spec.submodule_search_locations = locations
            return spec
        spec = self._get_spec(loader_class, fullname, origin, locations, target)
        if cached is not None and cached[0] == _cache_settings():
            spec._cached = cached[1]  # what ModuleSpec.cached works out from the origin under these settings
        return spec

    def answered(self, fullname: str, spec: ModuleSpec) -> bool:
        """True when `spec` is this finder's remembered answer for `fullname` (a module with a loader)."""
        found = self._found.get(fullname)
        return (found is not None and found[0] is not None and found[1] == spec.origin
                and type(spec.loader) is found[0])


def _cache_settings() -> tuple:
    return sys.pycache_prefix, sys.implementation.cache_tag, sys.flags.optimize


def _cached_of(spec: ModuleSpec) -> tuple | None:
    """(the settings, the spec's `cached`): where its compiled file goes, a function of its origin and these."""
    if spec.loader is None or not spec.has_location:
        return None
    return _cache_settings(), spec.cached


_direct: dict[str, tuple[str, RememberingFinder, tuple]] = {}  # name -> (first path entry, its finder, meta path)


def _find_spec(name: str, path: object, target: object = None) -> ModuleSpec | None:
    """importlib's `_find_spec`, answering a name that a remembering finder found at the first entry of its search
    path from that finder directly, while the meta path is the same (its finders before PathFinder declined the
    name) and the entry still has that finder: PathFinder would ask it first and return its answer."""
    direct = _direct.get(name)
    if direct is not None and target is None and name not in sys.modules:
        entry, finder, meta_path = direct
        entries = sys.path if path is None else path
        if (type(entries) is list and entries and entries[0] == entry and sys.path_importer_cache.get(entry) is finder
                and tuple(sys.meta_path) == meta_path):
            _imp.acquire_lock()  # as _find_spec holds it around each finder
            try:
                if finder._suspect:
                    finder._check()
                spec = finder.find_spec(name) if name in finder._found else None
            finally:
                _imp.release_lock()
            if spec is not None and spec.loader is not None:
                return spec
    spec = _original_find_spec(name, path, target)
    if spec is not None and target is None and name not in sys.modules:
        entries = sys.path if path is None else path
        if type(entries) is list and entries and type(entries[0]) is str and entries[0]:
            finder = sys.path_importer_cache.get(entries[0])
            if isinstance(finder, RememberingFinder) and finder.answered(name, spec):
                if len(_direct) >= MAX_FILES:
                    _direct.clear()
                _direct[name] = (entries[0], finder, tuple(sys.meta_path))
    return spec


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
    if _bootstrap._find_spec is _original_find_spec:
        _bootstrap._find_spec = _find_spec
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
    """Make the import system look at these folders and below again (a cold start sees files written since), as
    importlib.invalidate_caches() does for every folder of the process; a remembering finder keeps its answers
    while the folders they were read from are unchanged."""
    prefixes = tuple(str(folder).rstrip(os.sep) + os.sep for folder in folders)
    exact = {prefix[:-1] for prefix in prefixes}
    cache = sys.path_importer_cache
    for key, finder in list(cache.items()):
        if key in exact or key.startswith(prefixes):
            if finder is None:
                del cache[key]  # did not exist when looked up: look again
            elif isinstance(finder, RememberingFinder):
                finder.revalidate()
            elif hasattr(finder, "invalidate_caches"):
                finder.invalidate_caches()


def cached_files() -> int:
    """How many sources the cache holds (for tests and figures)."""
    return len(_code)
