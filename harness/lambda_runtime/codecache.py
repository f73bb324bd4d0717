"""Compiled code of what execution environments import afresh (their code folders, layers and per-environment
libraries), kept once per process. Every cold start imports the function's modules again, in the container's own
namespace, as a new Lambda process would; only the compilation is shared: a module's source is read and compared
with the one its code was compiled from on every import, so a file rewritten between runs (even within the file
system's timestamp granularity, or to the same size) is compiled again. Code objects are immutable, so executing
one in several namespaces is what importing the same file in several processes does.

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
from collections.abc import Iterable
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

_code: dict[str, tuple[bytes, CodeType]] = {}  # source path -> (the source it was compiled from, its code)
_roots: set[str] = set()  # registered folders (no trailing separator)
_generated: dict[str, CodeType] = {}  # source text dataclasses generates -> its code


class CachedSourceLoader(SourceFileLoader):
    """Python's source loader, compiling each source once per process (compared byte for byte on every import)."""

    def get_code(self, fullname: str) -> CodeType:
        """The module's code: the cached compilation when its source is unchanged, else compiled now."""
        path = self.get_filename(fullname)
        source = self.get_data(path)
        cached = _code.get(path)
        if cached is not None and cached[0] == source:
            return cached[1]
        code = super().get_code(fullname)  # the first time as Python does it (a valid .pyc spares compiling)
        if len(_code) >= MAX_FILES:
            _code.clear()
        _code[path] = (source, code)
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
