"""moto's DynamoDB without the deep copies of items that nothing reads or changes (moto 5.2.5; installed by the moto
backends with the other fast paths).

Three deep copies in moto's DynamoDB are only ever read, or not read at all, before the request is answered:

- `DynamoHandler.update_item` copies the stored item (`existing_item = copy.deepcopy(...)`) and at once takes its
  `to_json()`, which builds new dicts and lists all the way down (map and list values through `to_regular_json`, which
  deep-copies them; sets as new lists of their immutable members; scalars are immutable), so the answer is the same
  from the stored item itself, read before the update changes it;
- `DynamoDBBackend.update_item` copies the item (`orig_item`) only to hand it to the table's stream, and reads it
  nowhere else: for a table without a stream (`table.stream_shard is None`, which nothing changes during the call) the
  copy is never read;
- `Table.query` copies every matching item before the index projection, the filter and the ProjectionExpression
  (which only read them, or build new items) and the response handler (which turns them into plain dicts at once):
  the matching items themselves, in a new list, give the same answer;
- `Item.project` (an index's KEYS_ONLY or INCLUDE projection, a ProjectionExpression) converts the whole item to
  plain values (`to_regular_json`: a deep copy and a deserialization of every attribute) once per projected name.
  For names that are all top-level attributes (no nested path, no list index) each name only reads its own entry of
  that conversion, and the projected values are only serialized again into the new item, so one conversion gives
  the same item; nested paths are projected by moto.

Each of those three modules sees, as its `copy`, the copy module whose `deepcopy` returns the original for exactly
those calls (the calling function's code object is one of the three, the call passes no memo) and copies as before
everywhere else (a table's snapshot in `transact_write_items`, streams, backups). tests/harness/aws/test_dynamodb_fast.py
and test_moto_dispatch.py compare patched and unpatched moto byte for byte (updates with every ReturnValues, failed
conditions, queries with filters and projections); tests/harness/aws/test_dynamodb_copies.py checks a table with a
stream still gets its own copy and that stored items come out unchanged.
"""
from __future__ import annotations

import copy
import re
import sys
from collections.abc import Callable
from typing import Any

from harness.aws.patches import Patches

_patches = Patches()
_saved = _patches.saved  # moto's originals, while installed
_UNREAD: dict[Any, Callable[[Any, Any], Any]] = {}  # code object of a moto function -> what its deepcopy(x) returns


class _Copies:
    """The `copy` module as moto's DynamoDB modules see it (see the module docstring)."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    def deepcopy(self, x: Any, memo: Any = None, _nil: Any = None) -> Any:
        """`copy.deepcopy`, except the calls listed in `_UNREAD`."""
        if memo is None:
            frame = sys._getframe(1)
            unread = _UNREAD.get(frame.f_code)
            if unread is not None:
                return unread(frame, x)
        return copy.deepcopy(x, memo) if _nil is None else copy.deepcopy(x, memo, _nil)


def installed() -> bool:
    """True while the fast path is in place."""
    return bool(_patches)


def install() -> None:
    """Give moto's DynamoDB response, model and table modules `_Copies` as their `copy` (idempotent)."""
    if _patches:
        return
    from moto.dynamodb import models, responses
    from moto.dynamodb.models import table
    modules = (responses, models, table)
    if any(module.copy is not copy for module in modules):
        return  # someone else's copy module: left as it is (and nothing else patched)
    copies = _Copies()
    for module in modules:
        _patches.replace(module, "copy", copies)
    _UNREAD[responses.DynamoHandler.update_item.__code__] = _stored_item
    _UNREAD[models.DynamoDBBackend.update_item.__code__] = _item_without_stream
    _UNREAD[table.Table.query.__code__] = _matching_items
    from moto.dynamodb.models import dynamo_type
    _patches.keep(dynamo_type=dynamo_type)
    _patches.replace(dynamo_type.Item, "project", _project, key="project")


def uninstall() -> None:
    """Give moto's modules the copy module back (tests compare both)."""
    _patches.undo()
    _UNREAD.clear()


_LIST_INDEX = re.compile(r"(.+)\[(\d+)\]$")  # what moto's find_nested_key takes for a list element


def _project(item: Any, projection_expressions: Any) -> Any:
    """moto's `Item.project`, converting the item to plain values once when every name is a top-level attribute."""
    module = _saved["dynamo_type"]
    if type(item) is not module.Item or type(projection_expressions) is not list or not projection_expressions \
            or not all(type(path) is list and len(path) == 1 and type(path[0]) is str
                       and not _LIST_INDEX.match(path[0]) for path in projection_expressions):
        return _saved["project"](item, projection_expressions)
    result: dict[str, Any] = {}
    regular = item.to_regular_json()
    for path in projection_expressions:
        module.merge_dicts(result, module.find_nested_key(path, regular))
    return module.Item(hash_key=item.hash_key, range_key=item.range_key,
                       attrs=module.serializer.serialize(result)["M"])


def _stored_item(frame: Any, item: Any) -> Any:
    return item  # only its to_json() is taken, at once


def _item_without_stream(frame: Any, item: Any) -> Any:
    if frame.f_locals["table"].stream_shard is None:
        return item  # never read
    return copy.deepcopy(item)


def _matching_items(frame: Any, items: Any) -> Any:
    return list(items) if type(items) is list else copy.deepcopy(items)
