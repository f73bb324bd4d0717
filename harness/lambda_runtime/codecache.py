"""Compiled code of what execution environments import afresh (their code folders, layers and per-environment
libraries), kept once per process. Every cold start imports the function's modules again, in the container's own
namespace, as a new Lambda process would; only the compilation is shared. Code objects are immutable, so executing
one in several namespaces is what importing the same file in several processes does.

The cached code is used only while the file is unchanged: its stamp (inode, size, mtime and ctime, taken before the
source was read) must be the same and, unless the file's last change is older than SETTLED_NS, its bytes too. The
kernel sets ctime on every write and utime (no program can set it back), but only to a coarse clock tick, so two
writes within one tick can leave the same stamp: a recently changed file is compared byte for byte (a rewrite to
the same size, with its mtime put back, is compiled again). So every import of a cached file costs one `stat`
(about 2 us in a cold start: 260 a run of the replies incident): no earlier answer can stand for it, since a file
may be rewritten in place at any moment between two cold starts without any folder's stamp changing. A settled
file's compiled code is asked first, in the loader's `exec_module` (`_settled_code`: one stat and the cache's
entry), and `get_code` runs only when that does not answer.

Folders are registered with `register`; directories under them get an import finder whose source loader consults
the cache (a path hook, so imports from anywhere else take Python's ordinary path). That finder also remembers
where it found each module until its caches are invalidated, which is the import system's documented contract
(importlib.invalidate_caches() after writing a module); Python's own finder additionally stats the folder on every
lookup. A container's own folders are refreshed at each cold start (`refresh`: a cold start sees files written
since, as a new process would), not every finder of the process; on Lambda the code folders are read-only. A
refresh keeps a finder's answers only while every folder they were read from (its own, and a folder named like the
module, whose `__init__` decides package or not) has the settled stamp it had: adding, removing or renaming an
entry sets the folder's ctime, which no program can set back, so one stat per folder replaces a listing and two
or three stats per module. A refresh looks only at the path-importer entries the path hook was asked about under the
refreshed folders (every entry under a registered folder is made after asking it while it is the first path
hook; otherwise every entry is scanned), not at the process's hundred and more others.

A name such a finder answered at the first entry of its search path (sys.path, or the parent package's path) is
answered by that finder directly the next time (`_direct_spec`, in front of importlib's `_find_spec`): Python would
ask the meta path's finders before PathFinder (the same ones, checked; they declined the name), then that entry's
finder first, and return its answer. Each answer also carries the spec's `cached` location, worked out once per
origin and pycache settings, and its spec is made directly (`_spec_of`).

A registered folder's own package (Powertools' `__init__`, which Python's finder of site-packages finds) gets the
caching loader too, instead of unmarshalling its .pyc at every cold start.

`_find_spec` and the loader's `get_code` and `exec_module` are importlib's own functions copied with these lookups
in front (importlib_copies.py), so tracebacks through them (a syntax error in a module, a finder that raises) are
Python's; where no copy can be made, harness functions do the same lookups around Python's own
(`use_copies(False)`).

Module bodies also make dataclasses, and `dataclasses` compiles the source of each generated method (`__init__`,
`__eq__`, ...) with `exec` every time; the same text always compiles to the same code, so that compilation is
cached too (by text, compiled as `exec` would compile it there).
"""
from __future__ import annotations

import _imp
import ast
import dataclasses
import os
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import (
    _bootstrap,  # type: ignore[attr-defined]
    _bootstrap_external,  # type: ignore[attr-defined]
)
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

from harness.lambda_runtime import import_protocol
from harness.lambda_runtime.importlib_copies import body_start, copy_of, statements
from harness.memo import remember

_original_find_spec = _bootstrap._find_spec

MAX_FILES = 4096  # sources kept; past it the cache starts again (tests write many short-lived code folders)
SETTLED_NS = 2_000_000_000  # a file unchanged for this long is checked by its stamp alone (no read)

_code: dict[str, _Compiled] = {}  # source path -> its compiled code and what it was compiled from
_roots: set[str] = set()  # registered folders (no trailing separator)
_package_inits: set[str] = set()  # each registered folder's own __init__.py (the folder as a package)
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


def _remembered_code(loader: SourceFileLoader, path: str) -> CodeType | None:
    """The cached compilation of `path` while its source is unchanged (its settled stamp unchanged, else its bytes
    compared); None when it must be compiled (what it was read as is kept for `_remember`)."""
    stamp = _stamp(path)  # before reading: a change after it gives another stamp next time
    cached = _code.get(path)
    if cached is not None and cached.settled and cached.stamp == stamp:
        return cached.code
    try:
        source = loader.get_data(path)
    except OSError:
        return None  # Python's own steps meet the same error, and report it as they do
    if cached is not None and cached.source == source:
        _code[path] = _Compiled(stamp, _settled(stamp), source, cached.code)
        return cached.code
    _read[path] = (stamp, source)
    return None


def _remember(path: str, code: CodeType) -> CodeType:
    """Keep the code Python's own steps made from `path` (from its source or a valid .pyc), for the source
    `_remembered_code` read."""
    read = _read.pop(path, None)
    if read is not None and isinstance(code, CodeType):
        remember(_code, path, _Compiled(read[0], _settled(read[0]), read[1], code), MAX_FILES)
    return code


_read: dict[str, tuple] = {}  # source path -> (stamp, source) read by a lookup that missed, until compiled


class CachedSourceLoader(SourceFileLoader):
    """Python's source loader, compiling each source once per process."""

    def get_code(self, fullname: str) -> CodeType:
        """The module's code: the cached compilation while its source is unchanged, else Python's own steps (this
        is what runs when importlib's own text could not be copied; see `_copied_get_code`)."""
        path = self.get_filename(fullname)
        code = _remembered_code(self, path)
        if code is not None:
            return code
        return _remember(path, super().get_code(fullname))


import_protocol.add_plain_loader(CachedSourceLoader)  # a file loader: makes no module of its own

_REMEMBERED = """
code = _remembered_code(self, source_path)
if code is not None:
    return code
"""


class _Remembering(ast.NodeTransformer):
    """`return VALUE` -> `return _remember(source_path, VALUE)`, on the same line."""

    def visit_Return(self, node: ast.Return) -> ast.Return:
        call = ast.Call(func=ast.Name(id="_remember", ctx=ast.Load()),
                        args=[ast.Name(id="source_path", ctx=ast.Load()), node.value], keywords=[])
        node.value = ast.copy_location(call, node.value)
        ast.fix_missing_locations(node)
        return node


def _remembering_get_code(function: ast.FunctionDef) -> None:
    _Remembering().visit(function)  # Python's own returns (not the cached one's, put in front next)
    start = body_start(function)  # then `source_path = self.get_filename(fullname)`: the lookup goes after it
    function.body[start + 1:start + 1] = statements(_REMEMBERED, function.body[start].lineno)


def _copied_get_code() -> object | None:
    """importlib's `SourceLoader.get_code`, with the cached compilation looked up first and what it compiles kept:
    a traceback through it (a syntax error in a module) is Python's own."""
    return copy_of(_bootstrap_external, "SourceLoader.get_code", _remembering_get_code,
                   {"_remembered_code": _remembered_code, "_remember": _remember})


def _settled_code(loader: SourceFileLoader, fullname: str) -> CodeType | None:
    """The cached compilation of a settled file whose stamp is unchanged, asked before `get_code` (which does the
    same lookup after its own steps); None: ask `get_code`."""
    if type(loader) is not CachedSourceLoader or fullname != loader.name:
        return None  # another loader's get_code, or get_filename's own name check, decides
    path = loader.path
    cached = _code.get(path)
    if cached is None or not cached.settled:
        return None
    return cached.code if _stamp(path) == cached.stamp else None


_SETTLED = """
code = _settled_code(self, module.__name__)
if code is None:
    pass
"""


class _AskingSettled(ast.NodeTransformer):
    """`code = self.get_code(...)` -> the settled compilation first, that call only when there is none."""

    def visit_Assign(self, node: ast.Assign) -> ast.stmt | list[ast.stmt]:
        if not (isinstance(node.value, ast.Call) and ast.unparse(node.value.func) == "self.get_code"):
            return node
        asked = statements(_SETTLED, node.lineno)
        asked[-1].body = [node]
        return asked


def _copied_exec_module() -> object | None:
    """importlib's `_LoaderBasics.exec_module` with the settled compilation asked first: the module body runs
    under importlib's own frames, a failing `get_code` (a syntax error) is Python's own call."""
    return copy_of(_bootstrap_external, "_LoaderBasics.exec_module", _AskingSettled().visit,
                   {"_settled_code": _settled_code})


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
        return None if found is None else self._spec_of(fullname, found)

    def _spec_of(self, fullname: str, found: tuple) -> ModuleSpec:
        """A new spec from a remembered answer: what FileFinder's `_get_spec` makes (its loader, then
        `spec_from_file_location` for an absolute origin and given locations), made directly."""
        loader_class, origin, locations, cached = found
        locations = None if locations is None else list(locations)
        if loader_class is None:  # a namespace package's portion
            spec = ModuleSpec(fullname, None)
            spec.submodule_search_locations = locations
            return spec
        if locations == []:
            spec = self._get_spec(loader_class, fullname, origin, locations, None)
        else:
            spec = ModuleSpec(fullname, loader_class(fullname, origin), origin=origin)
            spec._set_fileattr = True  # has_location
            spec.submodule_search_locations = locations
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


_direct: dict[str, tuple[str, RememberingFinder, list]] = {}  # name -> (first path entry, its finder, meta path)


def _direct_spec(name: str, path: object, target: object) -> ModuleSpec | None:
    """The spec for a name a remembering finder found at the first entry of its search path, from that finder
    directly, while the meta path is the same (its finders before PathFinder declined the name) and the entry
    still has that finder: PathFinder would ask it first and return its answer. None: ask as Python does."""
    direct = _direct.get(name)
    if direct is None or target is not None or name in sys.modules:
        return None
    entry, finder, meta_path = direct
    entries = sys.path if path is None else path
    if not (type(entries) is list and entries and entries[0] == entry and sys.path_importer_cache.get(entry) is finder
            and sys.meta_path == meta_path):
        return None
    _imp.acquire_lock()  # as _find_spec holds it around each finder
    try:
        if finder._suspect:
            finder._check()
        found = finder._found.get(name)
    finally:
        _imp.release_lock()
    if found is None or found[0] is None:
        return None
    return finder._spec_of(name, found)


def _noted(name: str, path: object, target: object, spec: ModuleSpec | None) -> ModuleSpec | None:
    """Remember which finder answered `name` when it is a remembering finder at the first entry of its search
    path (the next lookup asks it directly: `_direct_spec`); returns the spec. A registered folder's own package
    (its `__init__.py`, found by the finder of the folder above, Python's own) gets the caching loader: it is
    imported afresh at every cold start like the modules below it, and compiled once like them."""
    if spec is not None and type(spec.loader) is SourceFileLoader and spec.origin in _package_inits:
        spec.loader = CachedSourceLoader(spec.name, spec.origin)
    if spec is not None and target is None and name not in sys.modules:
        entries = sys.path if path is None else path
        if type(entries) is list and entries and type(entries[0]) is str and entries[0]:
            finder = sys.path_importer_cache.get(entries[0])
            if isinstance(finder, RememberingFinder) and finder.answered(name, spec):
                remember(_direct, name, (entries[0], finder, list(sys.meta_path)), MAX_FILES)
    return spec


def _find_spec(name: str, path: object, target: object = None) -> ModuleSpec | None:
    """importlib's `_find_spec` with the direct answers in front (what runs when importlib's own text could not
    be copied; see `_copied_find_spec`)."""
    spec = _direct_spec(name, path, target)
    if spec is not None:
        return spec
    return _noted(name, path, target, _original_find_spec(name, path, target))


_DIRECT = """
if name in _direct:
    spec = _direct_spec(name, path, target)
    if spec is not None:
        return spec
"""


class _Noting(ast.NodeTransformer):
    """`return spec` -> `return _noted(name, path, target, spec)`, on the same line."""

    def visit_Return(self, node: ast.Return) -> ast.Return:
        if isinstance(node.value, ast.Name) and node.value.id == "spec":
            call = ast.Call(func=ast.Name(id="_noted", ctx=ast.Load()), args=[
                ast.Name(id=name, ctx=ast.Load()) for name in ("name", "path", "target", "spec")], keywords=[])
            node.value = ast.copy_location(call, node.value)
            ast.fix_missing_locations(node)
        return node


def _direct_find_spec(function: ast.FunctionDef) -> None:
    _Noting().visit(function)  # Python's own returns (not the direct answer's, put in front next)
    start = body_start(function)
    function.body[start:start] = statements(_DIRECT, function.lineno)


def _copied_find_spec() -> object | None:
    """importlib's `_find_spec` with the direct answers in front and the answering finder noted on the way out: a
    traceback through it (a finder that raises) is Python's own."""
    return copy_of(_bootstrap, "_find_spec", _direct_find_spec,
                   {"_direct": _direct, "_direct_spec": _direct_spec, "_noted": _noted})


def _root_of(path: str) -> str | None:
    """The innermost registered folder `path` is in (or is), None when it is in none."""
    path = path.rstrip(os.sep)
    while path and path not in _roots:
        parent = os.path.dirname(path)
        if parent == path:
            return None
        path = parent
    return path or None


_looked_up: dict[str, dict[str, None]] = {}  # registered folder -> every path under it the hook was asked about


def _path_hook(path: str) -> FileFinder:
    """sys.path_hooks entry: a caching finder for directories under a registered folder, ImportError otherwise
    (the next hook, Python's own, takes the directory). Every path under a registered folder it is asked about is
    noted (`refresh` looks at those entries of sys.path_importer_cache only)."""
    root = _root_of(path) if path else None
    if root is None:
        raise ImportError("not a folder of an execution environment's code")
    _looked_up.setdefault(root, {})[path] = None
    if not os.path.isdir(path):
        raise ImportError("not a folder of an execution environment's code")
    return RememberingFinder(path, *_LOADERS)


def _exec_generated(source: object, /, *args: object, **kwargs: object) -> None:
    """`exec` as dataclasses calls it, compiling each distinct source text once (flags as exec gives them there:
    dataclasses has no __future__ imports)."""
    if type(source) is str:
        code = _generated.get(source)
        if code is None:
            code = remember(_generated, source, compile(source, "<string>", "exec", dont_inherit=True), MAX_FILES)
        source = code
    exec(source, *args, **kwargs)  # noqa: S102 - dataclasses' own generated methods, as it would run them


_COPIES: dict[str, object] = {}  # "find_spec", "get_code", "exec_module" -> importlib's own text with this module's paths
_HARNESS_GET_CODE = CachedSourceLoader.get_code


def use_copies(on: bool = True) -> None:
    """Run importlib's steps as copies of its own text with this module's and import_protocol's fast paths in
    front (on, as installed), or as harness functions doing the same lookups around Python's own (off; the fifth
    wave's paths, for figures and tests)."""
    if not _COPIES:
        _COPIES.update(find_spec=_copied_find_spec(), get_code=_copied_get_code(), exec_module=_copied_exec_module())
    find_spec, get_code, exec_module = _COPIES["find_spec"], _COPIES["get_code"], _COPIES["exec_module"]
    _bootstrap._find_spec = find_spec if on and find_spec is not None else _find_spec
    CachedSourceLoader.get_code = get_code if on and get_code is not None else _HARNESS_GET_CODE
    if on and exec_module is not None:
        CachedSourceLoader.exec_module = exec_module
    elif "exec_module" in vars(CachedSourceLoader):
        del CachedSourceLoader.exec_module  # importlib's own, inherited
    import_protocol.install(on)


def _install() -> None:
    if _path_hook not in sys.path_hooks:
        sys.path_hooks.insert(0, _path_hook)
    if _bootstrap._find_spec is _original_find_spec:
        use_copies()
    if "exec" not in vars(dataclasses):  # a module global shadows the builtin for dataclasses' calls only
        dataclasses.exec = _exec_generated  # type: ignore[attr-defined]


def register(folders: Iterable[str]) -> None:
    """Cache the code of modules imported from these folders (and the folders below them)."""
    _install()
    new = {str(folder).rstrip(os.sep) for folder in folders} - _roots
    if not new:
        return
    _roots.update(new)
    _package_inits.update(os.path.join(folder, "__init__.py") for folder in new)
    for key in _scanned_entries(list(new)):
        del sys.path_importer_cache[key]  # made by Python's hook before registration: the next import makes a caching one


def refresh(folders: Iterable[str]) -> None:
    """Make the import system look at these folders and below again (a cold start sees files written since), as
    importlib.invalidate_caches() does for every folder of the process; a remembering finder keeps its answers
    while the folders they were read from are unchanged."""
    cache = sys.path_importer_cache
    for key in _entries_under([str(folder).rstrip(os.sep) for folder in folders]):
        finder = cache.get(key, _ABSENT)
        if finder is None:
            del cache[key]  # did not exist when looked up: look again
        elif isinstance(finder, RememberingFinder):
            finder.revalidate()
        elif finder is not _ABSENT and hasattr(finder, "invalidate_caches"):
            finder.invalidate_caches()


_ABSENT = object()


def _entries_under(folders: list[str]) -> list[str]:
    """The keys of sys.path_importer_cache in these folders and below. For registered folders, while this module's
    hook is the first path hook, those are the paths the hook was asked about: every entry under a registered
    folder is made after asking it (`register` drops the ones made before), so the process's other entries (a
    hundred and more: moto's, botocore's, the standard library's) are not looked at every cold start."""
    if sys.path_hooks and sys.path_hooks[0] is _path_hook and all(folder in _roots for folder in folders):
        prefixes = tuple(folder + os.sep for folder in folders)
        noted = [keys for root, keys in list(_looked_up.items()) if root in folders or root.startswith(prefixes)]
        return [key for keys in noted for key in list(keys)]  # copies: a handler's own thread may be importing
    return _scanned_entries(folders)


def _scanned_entries(folders: list[str]) -> list[str]:
    """The keys of sys.path_importer_cache in these folders and below, every key looked at."""
    prefixes = tuple(folder + os.sep for folder in folders)
    return [key for key in list(sys.path_importer_cache)
            if type(key) is str and (key.rstrip(os.sep) in folders or key.startswith(prefixes))]


def cached_files() -> int:
    """How many sources the cache holds (for tests and figures)."""
    return len(_code)
