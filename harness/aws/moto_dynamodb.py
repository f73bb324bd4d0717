"""moto's DynamoDB expression walks without rebuilding their dispatch table at every node (moto 5.2.5; installed by
the moto backends).

moto validates and applies an UpdateExpression by walking its syntax tree once per processor (six of them for an
update); at every node each processor rebuilds its `_processing_map()` (a dict literal of node class -> bound method)
twice: once to list the classes it handles, once more to pick the method. For the replies engine's conditional
updates that was about a sixth of an `UpdateItem`. Here a processor builds its map once and keeps it for its own
walks (a processor lives for one request): the same classes, in the same order, with the same bound methods, so
every node is processed by the same function as before.

tests/harness/aws/test_moto_dispatch.py runs DynamoDB requests (updates with conditions, failed conditions, invalid
expressions) with and without this and compares moto's answers byte for byte.
"""
from __future__ import annotations

from typing import Any

_saved: dict[str, Any] = {}


def install() -> None:
    """Patch moto's DepthFirstTraverser (idempotent)."""
    if _saved:
        return
    from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser
    _saved.update(nodes=DepthFirstTraverser.nodes_to_be_processed, process=DepthFirstTraverser.process)
    DepthFirstTraverser.nodes_to_be_processed = _nodes_to_be_processed
    DepthFirstTraverser.process = _process


def uninstall() -> None:
    """Put moto's own code back (tests compare both)."""
    if not _saved:
        return
    from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser
    DepthFirstTraverser.nodes_to_be_processed = _saved["nodes"]
    DepthFirstTraverser.process = _saved["process"]
    _saved.clear()


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
