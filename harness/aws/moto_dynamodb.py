"""moto's DynamoDB update expressions parsed once per text, and walked without rebuilding their dispatch table at
every node (moto 5.2.5; installed by the moto backends).

moto parses an `UpdateExpression` twice per `UpdateItem` (its response handler, to check the names and values the
expression uses; its model, to apply it), and handler code sends the same few expression texts again and again.
The parse is a pure function of the text, and its tree is only read: `find_clauses` reads it, and the validator
works on its own deep copy (`Validator.__init__`), which is the tree normalized and applied. So the tree of a text is
kept and handed out again; a text moto refuses is parsed (and refused) by moto every time.

moto validates and applies an UpdateExpression by walking its syntax tree once per processor (six of them for an
update); at every node each processor rebuilds its `_processing_map()` (a dict literal of node class -> bound method)
twice: once to list the classes it handles, once more to pick the method. For the replies engine's conditional
updates that was about a sixth of an `UpdateItem`. Here a processor builds its map once and keeps it for its own
walks (a processor lives for one request): the same classes, in the same order, with the same bound methods, so
every node is processed by the same function as before. moto's response handler lists the attribute names and
values a kept tree uses (`find_clauses`, a walk of the whole tree per type) on every request: for a kept tree the
clauses are listed once per types and handed out as a new list of the same nodes.

tests/harness/aws/test_moto_dispatch.py runs DynamoDB requests (updates with conditions, failed conditions, invalid
expressions) with and without this and compares moto's answers byte for byte.
"""
from __future__ import annotations

from typing import Any

from harness.aws.patches import Patches

_patches = Patches()
_saved = _patches.saved  # moto's originals, while installed
_TREES: dict[str, Any] = {}  # UpdateExpression text -> moto's parse of it (read, never changed: see above)
_KEPT: dict[int, Any] = {}  # id of a kept tree -> the tree
_CLAUSES: dict[tuple, tuple] = {}  # (id of a kept tree, clause types) -> the clauses moto's find_clauses lists
_TREES_LIMIT = 10_000


def install() -> None:
    """Patch moto's DepthFirstTraverser (idempotent)."""
    if _patches:
        return
    from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser, Node
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser
    _patches.keep(make=UpdateExpressionParser.__dict__["make"], parser=UpdateExpressionParser,
                  find_clauses=Node.__dict__["find_clauses"])
    _patches.replace(DepthFirstTraverser, "nodes_to_be_processed", _nodes_to_be_processed)
    _patches.replace(DepthFirstTraverser, "process", _process)
    _patches.replace(UpdateExpressionParser, "make", classmethod(_make))
    _patches.replace(Node, "find_clauses", _find_clauses)


def uninstall() -> None:
    """Put moto's own code back (tests compare both)."""
    _patches.undo()
    _TREES.clear()
    _KEPT.clear()
    _CLAUSES.clear()


def kept(tree: Any) -> bool:
    """True for a tree kept for its text (moto's parse, never changed while kept)."""
    return _KEPT.get(id(tree)) is tree


def _make(cls: type, expression_str: Any) -> Any:
    """moto's `UpdateExpressionParser.make`, parsed once per text (for the parser itself; subclasses parse)."""
    parse = _saved["make"].__get__(None, cls)
    if cls is not _saved["parser"] or type(expression_str) is not str:
        return parse(expression_str)
    tree = _TREES.get(expression_str)
    if tree is None:
        tree = parse(expression_str)  # raises moto's own error for a text it refuses: nothing is kept
        if len(_TREES) >= _TREES_LIMIT:
            _TREES.clear()
            _KEPT.clear()
            _CLAUSES.clear()
        _TREES[expression_str] = tree
        _KEPT[id(tree)] = tree
    return tree


def _find_clauses(node: Any, clause_types: Any) -> list:
    """moto's `Node.find_clauses`: for a kept tree (never changed) the clauses of those types found once, each call
    getting its own list of the same nodes; any other node is searched by moto."""
    if _KEPT.get(id(node)) is not node or type(clause_types) not in (list, tuple):
        return _saved["find_clauses"](node, clause_types)
    key = (id(node), tuple(clause_types))
    try:
        found = _CLAUSES.get(key)
    except TypeError:  # an unhashable entry among the types: moto's search
        return _saved["find_clauses"](node, clause_types)
    if found is None:
        found = _CLAUSES[key] = tuple(_saved["find_clauses"](node, clause_types))
    return list(found)


def _table(traverser: Any) -> tuple[dict, tuple]:
    """The traverser's processing map and its classes, built on first use."""
    table = traverser.__dict__.get("_harness_processing")
    if table is None:
        processing = traverser._processing_map()
        table = traverser.__dict__["_harness_processing"] = (processing, tuple(processing))
    return table


def _nodes_to_be_processed(traverser: Any) -> tuple:
    """moto's `nodes_to_be_processed`: the classes of the processing map, in its order."""
    return _table(traverser)[1]


def _process(traverser: Any, node: Any) -> Any:
    """moto's `process`: the first processor whose class `node` is an instance of."""
    for class_key, processor in _table(traverser)[0].items():
        if isinstance(node, class_key):
            return processor(node)
    return None
