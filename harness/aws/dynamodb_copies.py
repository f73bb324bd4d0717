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
  the matching items themselves, in a new list, give the same answer.

Each of those three modules sees, as its `copy`, the copy module whose `deepcopy` returns the original for exactly
those calls (the calling function's code object is one of the three, the call passes no memo) and copies as before
everywhere else (a table's snapshot in `transact_write_items`, streams, backups). tests/harness/aws/test_dynamodb_fast.py
and test_moto_dispatch.py compare patched and unpatched moto byte for byte (updates with every ReturnValues, failed
conditions, queries with filters and projections); tests/harness/aws/test_dynamodb_copies.py checks a table with a
stream still gets its own copy and that stored items come out unchanged.
"""
from __future__ import annotations

import copy
import sys
from collections.abc import Callable
from typing import Any

_saved: dict[str, Any] = {}
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
    return bool(_saved)


def install() -> None:
    """Give moto's DynamoDB response, model and table modules `_Copies` as their `copy` (idempotent)."""
    if _saved:
        return
    from moto.dynamodb import models, responses
    from moto.dynamodb.models import table
    modules = (responses, models, table)
    if any(module.copy is not copy for module in modules):
        return  # someone else's copy module: left as it is
    _saved["modules"] = modules
    copies = _Copies()
    for module in modules:
        module.copy = copies
    _UNREAD[responses.DynamoHandler.update_item.__code__] = _stored_item
    _UNREAD[models.DynamoDBBackend.update_item.__code__] = _item_without_stream
    _UNREAD[table.Table.query.__code__] = _matching_items


def uninstall() -> None:
    """Give moto's modules the copy module back (tests compare both)."""
    for module in _saved.pop("modules", ()):
        module.copy = copy
    _saved.clear()
    _UNREAD.clear()


def _stored_item(frame: Any, item: Any) -> Any:
    return item  # only its to_json() is taken, at once


def _item_without_stream(frame: Any, item: Any) -> Any:
    if frame.f_locals["table"].stream_shard is None:
        return item  # never read
    return copy.deepcopy(item)


def _matching_items(frame: Any, items: Any) -> Any:
    return list(items) if type(items) is list else copy.deepcopy(items)
