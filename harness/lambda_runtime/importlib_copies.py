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
None), never a guess. Only the definition's own lines are parsed (the whole file when that does not give it):
making the four copies the harness installs costs about 6 ms of CPU once per process.
"""
from __future__ import annotations

import ast
import copy
from collections.abc import Callable
from types import CodeType, FunctionType, ModuleType
from typing import Any

_lines: dict[str, list[str] | None] = {}  # source file -> its lines (None: unreadable)
_trees: dict[str, ast.Module | None] = {}  # source file -> its syntax tree, parsed only when a segment would not do


def _source_lines(module: ModuleType) -> list[str] | None:
    path = getattr(module, "__file__", None)
    if not path:
        return None
    if path not in _lines:
        try:
            with open(path, encoding="utf-8") as source:
                _lines[path] = source.readlines()
        except (OSError, ValueError):
            _lines[path] = None
    return _lines[path]


def _tree(module: ModuleType) -> ast.Module | None:
    path, lines = getattr(module, "__file__", None), _source_lines(module)
    if lines is None:
        return None
    if path not in _trees:
        try:
            _trees[path] = ast.parse("".join(lines), path)
        except (SyntaxError, ValueError):
            _trees[path] = None
    return _trees[path]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _segment(module: ModuleType, qualname: str, first: int | None) -> ast.stmt | None:
    """The definition starting on line `first`, parsed from its own lines at their line numbers (a few dozen lines
    instead of the whole file); None when that does not give it."""
    lines = _source_lines(module)
    if lines is None or first is None or not 0 < first <= len(lines):
        return None
    indent = _indent(lines[first - 1])
    end = first
    while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > indent):
        end += 1
    # A method keeps its indentation (a docstring's text includes it): it is parsed inside an `if` block.
    text = "".join(["if 1:\n" if indent else "", *lines[first - 1:end]])
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    ast.increment_lineno(tree, first - (2 if indent else 1))
    body = tree.body[0].body if indent else tree.body
    node = body[0] if len(body) == 1 else None
    name = qualname.rpartition(".")[2]
    return node if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == name else None


def _first_line(module: ModuleType, running: Any, qualname: str) -> int | None:
    """The line a function's (its code's first line) or a top-level class's definition starts on."""
    if isinstance(running, FunctionType):
        return running.__code__.co_firstlineno
    lines = _source_lines(module) or []
    starts = (f"class {qualname}:", f"class {qualname}(")
    return next((number for number, line in enumerate(lines, 1) if line.startswith(starts)), None)


_imported: dict[str, list[ast.stmt]] = {}  # source file -> its top-level imports


def _imports(module: ModuleType) -> list[ast.stmt]:
    """The file's top-level import statements (one line each), at their line numbers."""
    if module.__file__ in _imported:
        return _imported[module.__file__]
    found = _imported[module.__file__] = []
    for number, line in enumerate(_source_lines(module) or [], 1):
        if line.startswith(("import ", "from ")) and not line.startswith("from __future__"):
            try:
                statement = ast.parse(line).body
            except SyntaxError:
                continue  # a statement over several lines: the copy is then compared and refused if it differs
            ast.increment_lineno(statement[0], number - 1)
            found.extend(statement)
    return found


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
    at = {"lineno": 1, "col_offset": 0, "end_lineno": 1, "end_col_offset": 0}  # the new nodes' (never shown) place
    maker = ast.FunctionDef(
        name="_make_copy", args=ast.arguments(posonlyargs=[], args=[ast.arg(arg=name, **at) for name in free],
                                              kwonlyargs=[], kw_defaults=[], defaults=[]),
        body=[node, ast.Return(value=ast.Name(id=node.name, ctx=ast.Load(), **at), **at)], decorator_list=[], **at)
    # The compiler calls a method of a module imported at the top of the file differently (no LOAD_METHOD): the
    # file's imports are kept, never run, so that the copy compiles as the file does.
    imports = _imports(module)
    never = [ast.If(test=ast.Constant(value=False, **at), body=imports, orelse=[], **at)] if imports else []
    tree = ast.Module(body=[*never, maker], type_ignores=[])
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
    if not isinstance(running, (FunctionType, type)):
        return None
    filename = (running.__code__ if isinstance(running, FunctionType) else
                next((v.__code__ for v in vars(running).values() if isinstance(v, FunctionType)), None)).co_filename
    first = _first_line(module, running, qualname)
    for parse in (lambda: _segment(module, qualname, first), lambda: _whole_file_definition(module, qualname)):
        if (node := parse()) is None:
            continue
        pairs = _codes(_compile(module, node, free, filename), running)
        if pairs and all(same_code(made, run) for made, run in pairs):
            edited = parse()
            edit(edited)
            made = _compile(module, edited, free, filename)
            _name_like(made, running, qualname)
            return made
    return None


def _whole_file_definition(module: ModuleType, qualname: str) -> ast.stmt | None:
    tree = _tree(module)
    return None if tree is None else copy.deepcopy(_definition(tree, qualname))


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
