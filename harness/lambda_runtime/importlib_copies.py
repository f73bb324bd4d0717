"""Copies of importlib's own functions and classes, compiled again from the standard library's source with a
fast path put in front, so that everything a traceback shows stays as Python's own import system shows it.

Tracebacks through the import system show importlib's frames by their frozen file name ("<frozen
importlib._bootstrap>"), function name and line, and Python removes those frames from an import statement's
traceback only when their file name is the frozen one. A replacement written in a harness module would add its own
frame to the text of every error it lets through (a syntax error in a handler's module, a failing import hook). A
copy made here is importlib's own statement text at its own line numbers, under its own file name and name: only
the statements put in front are new, and they are given the line of the definition.

A copy is made only when the source file compiles, unchanged, to exactly the code Python runs (its instructions,
names, constants and line table): any other interpreter or source gets Python's own object (`copy_of` answers
None), never a guess.
"""
from __future__ import annotations

import ast
import copy
from collections.abc import Callable
from types import CodeType, FunctionType, ModuleType
from typing import Any

_trees: dict[str, ast.Module | None] = {}  # source file -> its syntax tree (None: unreadable)


def _tree(module: ModuleType) -> ast.Module | None:
    path = getattr(module, "__file__", None)
    if not path:
        return None
    if path not in _trees:
        try:
            with open(path, encoding="utf-8") as source:
                _trees[path] = ast.parse(source.read(), path)
        except (OSError, SyntaxError, ValueError):
            _trees[path] = None
    return _trees[path]


def _definition(tree: ast.Module, qualname: str) -> ast.stmt | None:
    """The top-level function or class `qualname` (a method is reached through its class: `Class.method`)."""
    body: list[ast.stmt] = tree.body
    node = None
    for part in qualname.split("."):
        node = next((n for n in body if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == part), None)
        if node is None:
            return None
        body = node.body
    return node


def same_code(made: CodeType, running: CodeType) -> bool:
    """True when two code objects run the same instructions with the same names, constants and line table."""
    if (made.co_code != running.co_code or made.co_names != running.co_names
            or made.co_varnames != running.co_varnames or made.co_freevars != running.co_freevars
            or list(made.co_lines()) != list(running.co_lines()) or made.co_name != running.co_name
            or len(made.co_consts) != len(running.co_consts)):
        return False
    for a, b in zip(made.co_consts, running.co_consts):
        if isinstance(a, CodeType) or isinstance(b, CodeType):
            if not (isinstance(a, CodeType) and isinstance(b, CodeType) and same_code(a, b)):
                return False
        elif type(a) is not type(b) or a != b:
            return False
    return True


def _compile(module: ModuleType, node: ast.stmt, free: dict[str, Any], filename: str) -> Any:
    """`node` defined inside a function whose parameters are the names in `free`: the copy reads them as closure
    cells and every other name from the module's own globals, which it keeps."""
    maker = ast.FunctionDef(
        name="_make_copy", args=ast.arguments(posonlyargs=[], args=[ast.arg(arg=name) for name in free],
                                              kwonlyargs=[], kw_defaults=[], defaults=[]),
        body=[node, ast.Return(value=ast.Name(id=node.name, ctx=ast.Load()))], decorator_list=[], lineno=1,
        col_offset=0)
    # The compiler calls a method of a module imported at the top of the file differently (no LOAD_METHOD): the
    # file's imports are kept, never run, so that the copy compiles as the file does.
    imports = [copy.deepcopy(n) for n in _trees[module.__file__].body if isinstance(n, (ast.Import, ast.ImportFrom))
               and not (isinstance(n, ast.ImportFrom) and n.module == "__future__")]
    never = [ast.If(test=ast.Constant(value=False), body=imports, orelse=[])] if imports else []
    tree = ast.Module(body=[*never, maker], type_ignores=[])
    ast.fix_missing_locations(tree)
    scratch: dict[str, Any] = {}
    exec(compile(tree, filename, "exec", dont_inherit=True), vars(module), scratch)  # noqa: S102 - importlib's own text
    return scratch["_make_copy"](*free.values())


def _codes(made: Any, running: Any) -> list[tuple[CodeType, CodeType]] | None:
    """Pairs of (made, running) code: the function's, or each function of a class body (by name)."""
    if isinstance(running, FunctionType):
        return [(made.__code__, running.__code__)] if isinstance(made, FunctionType) else None
    pairs = []
    for name, value in vars(running).items():
        if isinstance(value, FunctionType):
            other = vars(made).get(name)
            if not isinstance(other, FunctionType):
                return None
            pairs.append((other.__code__, value.__code__))
    return pairs


def _name_like(made: Any, running: Any, qualname: str) -> None:
    """Give the copy (and a class copy's methods) the names and module the running object has."""
    made.__qualname__ = qualname
    made.__module__ = running.__module__
    if isinstance(made, FunctionType):
        made.__code__ = made.__code__.replace(co_qualname=qualname)
        return
    for name, value in vars(made).items():
        if isinstance(value, FunctionType):
            value.__qualname__ = f"{qualname}.{name}"
            value.__code__ = value.__code__.replace(co_qualname=f"{qualname}.{name}")


def copy_of(module: ModuleType, qualname: str, edit: Callable[[Any], None], free: dict[str, Any]) -> Any | None:
    """importlib's function or class `qualname` of `module`, compiled again after `edit` changed a copy of its
    syntax tree (the names in `free` are what the new statements call); None unless the unchanged source compiles
    to the code Python runs."""
    running: Any = module
    for part in qualname.split("."):
        running = getattr(running, part, None)
    tree = _tree(module)
    node = None if tree is None else _definition(tree, qualname)
    if node is None or not isinstance(running, (FunctionType, type)):
        return None
    filename = (running.__code__ if isinstance(running, FunctionType) else
                next((v.__code__ for v in vars(running).values() if isinstance(v, FunctionType)), None)).co_filename
    unchanged = _compile(module, copy.deepcopy(node), free, filename)
    pairs = _codes(unchanged, running)
    if not pairs or not all(same_code(made, run) for made, run in pairs):
        return None
    edited = copy.deepcopy(node)
    edit(edited)
    made = _compile(module, edited, free, filename)
    _name_like(made, running, qualname)
    return made


def statements(source: str, line: int) -> list[ast.stmt]:
    """Statements parsed from `source`, every node placed on `line` (what a traceback through them would show)."""
    body = ast.parse(source).body
    for statement in body:
        for node in ast.walk(statement):
            if "lineno" in node._attributes:
                node.lineno = node.end_lineno = line
                node.col_offset = node.end_col_offset = 0
    return body


def body_start(function: ast.FunctionDef) -> int:
    """Index of a function's first statement after its docstring."""
    first = function.body[0]
    docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(
        first.value.value, str)
    return 1 if docstring else 0


def method(cls: ast.ClassDef, name: str) -> ast.FunctionDef:
    """The method `name` of a class's syntax tree."""
    return next(n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == name)
