"""Compiled code of what execution environments import afresh (their code folders, layers and per-environment
libraries), kept once per process. Every cold start imports the function's modules again, in the container's own
namespace, as a new Lambda process would; only the compilation is shared: a module's source is read and compared
with the one its code was compiled from on every import, so a file rewritten between runs (even within the file
system's timestamp granularity, or to the same size) is compiled again. Code objects are immutable, so executing
one in several namespaces is what importing the same file in several processes does.

Folders are registered with `register`; directories under them get an import finder whose source loader consults
the cache (a path hook, so imports from anywhere else take Python's ordinary path). The finder caches of a
container's own folders are refreshed at each cold start (`refresh`), not every finder of the process.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from importlib.machinery import (
    BYTECODE_SUFFIXES,
    EXTENSION_SUFFIXES,
    SOURCE_SUFFIXES,
    ExtensionFileLoader,
    FileFinder,
    SourceFileLoader,
    SourcelessFileLoader,
)
from types import CodeType

MAX_FILES = 4096  # sources kept; past it the cache starts again (tests write many short-lived code folders)

_code: dict[str, tuple[bytes, CodeType]] = {}  # source path -> (the source it was compiled from, its code)
_roots: set[str] = set()  # registered folders (no trailing separator)


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
    return FileFinder(path, *_LOADERS)


def _install_hook() -> None:
    if _path_hook not in sys.path_hooks:
        sys.path_hooks.insert(0, _path_hook)


def register(folders: Iterable[str]) -> None:
    """Cache the code of modules imported from these folders (and the folders below them)."""
    new = {str(folder).rstrip(os.sep) for folder in folders} - _roots
    if not new:
        return
    _install_hook()
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
