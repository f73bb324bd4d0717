"""importlib's protocol around each module body, with cheaper paths that keep what it guarantees. Every cold start
imports its function's modules and Powertools afresh (168 modules a run of the stalled-lock replies scenario), and
around each body importlib takes a module lock, makes the module object and asks finders and loaders: about as much
CPU as a small module's body.

- Module locks are claimed, not made: `_ModuleLockManager` (importlib's own class, copied by importlib_copies.py)
  registers itself in `_module_locks` in place of a lock when nobody holds or waits for the name. The registry is
  read only under the import lock, through `_get_module_lock`, which calls the entry it finds: a claim answers by
  making the real `_ModuleLock` then, owned by the claiming thread (count 1), and registering it as importlib
  does (a weak reference that removes itself). So a second thread (a handler's own thread, or the same thread
  re-entering a partially initialised module) waits on a real lock, with importlib's deadlock detection; only an
  import nobody else asks about skips making, taking, releasing and unregistering a lock.
- Module objects: `module_from_spec` for a plain `ModuleSpec` whose loader makes no module of its own (file
  loaders: `create_module` is `_LoaderBasics`'s, answering None) writes the attributes `_init_module_attrs` would
  set on a new module, in its order, without asking for each first (every missing one is an AttributeError made
  and dropped).
- The chain of frames around each body (seventh wave): `_find_and_load` claims its module's lock in place (the
  `with _ModuleLockManager(name)` statement becomes the claim, then `try: ... finally:` its release: what the
  manager's `__enter__` and `__exit__` do, without calling them when the claim succeeds; anything else calls them
  as before), and `_load_unlocked` makes a plain module in place (module_from_spec's own fast path, put where it
  calls it) and calls `_verbose_message` only when `python -v` would print. The frames a traceback shows stay
  importlib's own: `_find_and_load`, `_find_and_load_unlocked`, `_load_unlocked`, the loader's `exec_module` and
  `_call_with_frames_removed` are still called, at their own lines (importlib.import_module's tracebacks show them
  all, and Python trims an import statement's by these names); only calls that return before the module body runs
  are saved.

All are copies of importlib's own functions and class with the fast path put in (see importlib_copies.py), so a
traceback through them is Python's. `install()` puts them in place (codecache does, with its finder's own paths).
"""
from __future__ import annotations

import _imp
import ast
import sys
import weakref
from importlib import (
    _bootstrap,  # type: ignore[attr-defined]
    _bootstrap_external,  # type: ignore[attr-defined]
)
from importlib.machinery import ModuleSpec, SourceFileLoader, SourcelessFileLoader
from types import ModuleType
from typing import Any

from harness.lambda_runtime.importlib_copies import body_start, copy_of, method, statements

STOCK = {name: getattr(_bootstrap, name) for name in (
    "_ModuleLockManager", "module_from_spec", "_find_and_load", "_load_unlocked")}
_DEFAULT_CREATE = _bootstrap_external._LoaderBasics.create_module
_plain_loaders: set[type] = {SourceFileLoader, SourcelessFileLoader}  # codecache adds its own


def _forget(ref: weakref.KeyedRef) -> None:
    """A module lock made from a claim died: drop its entry, as importlib's own callback does."""
    _imp.acquire_lock()
    try:
        if _bootstrap._module_locks.get(ref.key) is ref:
            del _bootstrap._module_locks[ref.key]
    finally:
        _imp.release_lock()


_CLAIMS = '''
def __call__(self):
    """The claimed module's lock, made now (asked under the import lock by another import of the name)."""
    lock = self._made
    if lock is None:
        lock = self._made = _ModuleLock(self._name)
        lock.owner = self._owner
        lock.count = 1
        _module_locks[self._name] = _KeyedRef(lock, _forget, self._name)
    return lock

def _claim(self):
    """Claim the name's lock when nobody holds or waits for it (registered in its place): True when claimed."""
    name = self._name
    _imp.acquire_lock()
    try:
        if name in _module_locks:
            return False
        self._owner = _thread.get_ident()
        self._made = None
        _module_locks[name] = self
        return True
    finally:
        _imp.release_lock()

def _unclaim(self):
    """Release a claim (True), or answer False when the manager holds a real lock (its __exit__ releases it)."""
    if self._lock is not None:
        return False
    _imp.acquire_lock()
    try:
        lock = self._made
        if lock is None:
            del _module_locks[self._name]
    finally:
        _imp.release_lock()
    if lock is not None:
        lock.release()
    return True
'''


def _claiming(cls: ast.ClassDef) -> None:
    line = cls.lineno
    enter, leave = method(cls, "__enter__"), method(cls, "__exit__")
    enter.body[0:0] = statements("if self._claim():\n    return\n", enter.lineno)
    leave.body[0:0] = statements("if self._unclaim():\n    return\n", leave.lineno)
    cls.body[0:0] = [*statements("__slots__ = ('_name', '_lock', '_owner', '_made')", line),
                     *statements(_CLAIMS, line)]


_PLAIN_MODULE = """
loader = spec.loader
if (type(spec) is _ModuleSpec and type(loader) in _plain_loaders and type(loader).create_module is _default_create
        and 'create_module' not in loader.__dict__ and type(spec.name) is str):
    module = _ModuleType(spec.name)
    names = module.__dict__
    names['__loader__'] = loader
    locations = spec.submodule_search_locations
    names['__package__'] = spec.name.rpartition('.')[0] if locations is None else spec.name
    names['__spec__'] = spec
    if locations is not None:
        names['__path__'] = locations
    if spec._set_fileattr:
        names['__file__'] = spec.origin
        cached = spec._cached
        if cached is None:
            cached = spec.cached
        if cached is not None:
            names['__cached__'] = cached
"""
_PLAIN_NAMES = {"_ModuleSpec": ModuleSpec, "_ModuleType": ModuleType, "_plain_loaders": _plain_loaders,
                "_default_create": _DEFAULT_CREATE}


def _plain_modules(function: ast.FunctionDef) -> None:
    """module_from_spec: the plain module made and returned first."""
    made = statements(_PLAIN_MODULE, function.lineno)
    made[-1].body.extend(statements("return module", function.lineno))
    function.body[body_start(function):body_start(function)] = made


def _at(line: int) -> dict:
    return {"lineno": line, "end_lineno": line, "col_offset": 0, "end_col_offset": 0}


_CLAIM_HERE = """
manager = _ModuleLockManager(name)
if not manager._claim():
    manager.__enter__()
"""
_UNCLAIM_HERE = """
if not manager._unclaim():
    manager.__exit__(None, None, None)
"""


class _ClaimingHere(ast.NodeTransformer):
    """`with _ModuleLockManager(name): BODY` -> the manager's claim, then `try: BODY finally: <its release>`: what
    its `__enter__` and `__exit__` do, called only when the name is taken (on the `with` statement's line)."""

    def visit_With(self, node: ast.With) -> ast.stmt | list[ast.stmt]:
        manager = node.items[0].context_expr
        if not (len(node.items) == 1 and isinstance(manager, ast.Call) and isinstance(manager.func, ast.Name)
                and manager.func.id == "_ModuleLockManager" and ast.unparse(manager.args) == "name"):
            return node
        line = node.lineno
        return [*statements(_CLAIM_HERE, line),
                ast.Try(body=node.body, handlers=[], orelse=[], finalbody=statements(_UNCLAIM_HERE, line), **_at(line))]


def _claiming_here(function: ast.FunctionDef) -> None:
    _ClaimingHere().visit(function)


class _LoadingPlainly(ast.NodeTransformer):
    """In `_load_unlocked`: `module = module_from_spec(spec)` -> the plain module made first (module_from_spec's
    own fast path), else that call; `_verbose_message(...)` -> called only when it would print."""

    def visit_Assign(self, node: ast.Assign) -> ast.stmt | list[ast.stmt]:
        value = node.value
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "module_from_spec":
            made = statements(_PLAIN_MODULE, node.lineno)
            made[-1].orelse = [node]
            return made
        return node

    def visit_Expr(self, node: ast.Expr) -> ast.stmt:
        value = node.value
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "_verbose_message":
            verbose = statements("if sys.flags.verbose >= 1:\n    pass\n", node.lineno)[0]
            verbose.body = [node]  # _verbose_message's own test (verbosity=1)
            return verbose
        return node


def _loading_plainly(function: ast.FunctionDef) -> None:
    _LoadingPlainly().visit(function)


COPIES: dict[str, Any] = {}  # name in importlib._bootstrap -> its copy (missing: no copy could be made)


_tried: list[bool] = []  # the copies were attempted (they are made once per process, or never)


def _make_copies() -> None:
    _tried.append(True)
    if sys.version_info[:2] != (3, 11):
        return  # the statements put in front use 3.11's module lock fields (owner, count): elsewhere Python's own
    made = {
        "_ModuleLockManager": copy_of(_bootstrap, "_ModuleLockManager", _claiming,
                                      {"_KeyedRef": weakref.KeyedRef, "_forget": _forget}),
        "module_from_spec": copy_of(_bootstrap, "module_from_spec", _plain_modules, _PLAIN_NAMES),
        "_load_unlocked": copy_of(_bootstrap, "_load_unlocked", _loading_plainly, _PLAIN_NAMES),
    }
    if made["_ModuleLockManager"] is not None:  # the claim made in its place is the copied manager's
        made["_find_and_load"] = copy_of(_bootstrap, "_find_and_load", _claiming_here, {})
    COPIES.update({name: value for name, value in made.items() if value is not None})


def add_plain_loader(cls: type) -> None:
    """Let modules of this loader class (a file loader making no module of its own) take the fast path."""
    _plain_loaders.add(cls)


def install(on: bool = True) -> None:
    """Put the copies in importlib's place (on), or importlib's own functions back (off)."""
    if not _tried:
        _make_copies()
    for name, copy in COPIES.items():
        setattr(_bootstrap, name, copy if on else STOCK[name])


def installed() -> dict[str, bool]:
    """Which of importlib's functions are the copies now (for tests and figures)."""
    return {name: getattr(_bootstrap, name) is copy for name, copy in COPIES.items()}
