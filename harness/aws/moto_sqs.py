"""moto's SQS at a flat cost per request, whatever the queue depth (moto 5.2.5; installed by the moto backends).

moto recomputes every queue attribute, with two clock reads per queued message, for each message it sends or
receives (`send_message` reads ContentBasedDeduplication from the full attribute dict, `receive_message` checks
retention through `get_queue_attributes` for every message it returns), builds the list of every visible message
before handing out the first one, and scans every message twice to delete one. One event-source poll took 8.5 ms
at 10 queued messages and 1.6 s at 1,000. The patches here change none of moto's answers:

- the clock is read once per request (`request_time()`): simulated time cannot move inside one request;
- the retention check reads the queue's MessageRetentionPeriod directly;
- a send reads ContentBasedDeduplication alone instead of every attribute (with the three message counts);
- attribute names are converted to Python names once, not on every read (a cached pure function);
- receive walks the queue lazily and stops once it has its batch;
- delete finds a message by its receipt handle in an index instead of scanning;
- get_queue_attributes computes the attributes asked for, not every attribute three times per name;
- a queue keeps its messages in `sqs_store.Messages` (moto's `Queue._messages` list replaced: the same order,
  append, remove, iteration, length) indexed by their timers, so deleting a message is O(1), the three message
  counts (ApproximateNumberOfMessages, ...Delayed, ...NotVisible) are bisections and a receive goes straight to
  the receivable messages in queue order, however many are in flight or delayed (a receive on a FIFO queue still
  walks past the messages of groups another receive holds, as moto does).

tests/harness/aws/test_moto_sqs.py checks with hypothesis that patched and unpatched moto give the same answers
(visibility, delays, retention, redrive, FIFO order). The same fixes are worth offering to moto upstream.
"""
from __future__ import annotations

import contextlib
import functools
import json
import threading
import weakref
from collections.abc import Iterator
from typing import Any

from harness.aws import sqs_store
from harness.aws.patches import Patches
from harness.aws.sqs_store import Messages

_local = threading.local()
_patches = Patches()
_saved = _patches.saved  # moto's originals, while installed
_HANDLES: weakref.WeakValueDictionary = weakref.WeakValueDictionary()  # receipt handle -> message


@contextlib.contextmanager
def request_time() -> Iterator[None]:
    """Inside this block moto's SQS reads the clock once (time does not move during one request)."""
    outer = getattr(_local, "now", None)
    if outer is not None:
        yield
        return
    _local.now = [None]
    try:
        yield
    finally:
        _local.now = None


def unix_time_millis() -> float:
    """The clock as moto's SQS reads it, in milliseconds (read once per `request_time()` block)."""
    if _saved:
        return _unix_time_millis()
    from moto.core.utils import unix_time_millis as moto_unix_time_millis
    return moto_unix_time_millis()


def installed() -> bool:
    """True while the fast path is in place."""
    return bool(_patches)


def install() -> None:
    """Patch moto's SQS models (idempotent)."""
    if _patches:
        return
    from moto.sqs import models
    queue, backend, message = models.Queue, models.SQSBackend, models.Message
    replace = _patches.replace
    replace(models, "camelcase_to_underscores", functools.lru_cache(maxsize=None)(models.camelcase_to_underscores))
    replace(models, "unix_time", _unix_time, key="unix_time")
    replace(models, "unix_time_millis", _unix_time_millis)
    replace(queue, "messages", property(_visible))
    replace(queue, "delete_message", _delete_message, key="delete")
    replace(backend, "is_message_valid_based_on_retention_period", _retention_ok)
    replace(backend, "send_message", _send_message, key="send")
    replace(backend, "get_queue_attributes", _get_queue_attributes)
    replace(message, "mark_received", _mark_received, key="mark_received")
    replace(queue, "attributes", property(_attributes), key="attributes")
    for name, count in _COUNTS.items():
        replace(queue, name, property(count))
    # queues made while installed keep their Messages in `_messages` after `undo` deletes the property: moto's
    # code reads it as its list; messages keep their timers' values in their own __dict__, under the same names
    replace(queue, "_messages", property(_get_messages, _set_messages))
    for name in sqs_store.TIMERS:  # assigning a timer re-indexes the message in the queue holding it
        replace(message, name, sqs_store.timer(name))


def uninstall() -> None:
    """Put moto's own code back (tests compare both)."""
    _patches.undo()


# ---------------------------------------------------------------------------------------------- the clock
def _unix_time(dt: Any = None) -> float:
    now = getattr(_local, "now", None)
    if dt is not None or now is None:
        return _saved["unix_time"](dt)
    if now[0] is None:
        now[0] = _saved["unix_time"]()
    return now[0]


def _unix_time_millis(dt: Any = None) -> float:
    return _unix_time(dt) * 1000.0  # moto's own definition


# ---------------------------------------------------------------------------------------------- send
def _receivable(queue: Any) -> int:
    return _counts(queue)[0]


def _delayed(queue: Any) -> int:
    return _counts(queue)[1]


def _in_flight(queue: Any) -> int:
    return _counts(queue)[2]


def _counts(queue: Any) -> tuple[int, int, int]:
    """(receivable, delayed, not visible) as moto's Message.visible and .delayed count them, at one clock reading."""
    now, messages = _unix_time_millis(), queue._messages
    if isinstance(messages, Messages):
        return messages.counts(now)
    return sqs_store.scan(messages, now)


_COUNTS = {"approximate_number_of_messages": _receivable, "approximate_number_of_messages_delayed": _delayed,
           "approximate_number_of_messages_not_visible": _in_flight}


def _attributes(queue: Any) -> dict[str, Any]:
    if getattr(_local, "sending", False):
        # All SendMessage reads: ContentBasedDeduplication, which only FIFO queues list (as "true"/"false").
        if not queue.fifo_queue:
            return {}
        value = queue.content_based_deduplication
        return {"ContentBasedDeduplication": str(value).lower() if isinstance(value, bool) else value}
    return _saved["attributes"].fget(queue)


def _send_message(self: Any, *args: Any, **kwargs: Any) -> Any:
    outer = getattr(_local, "sending", False)
    _local.sending = True
    try:
        with request_time():
            return _saved["send"](self, *args, **kwargs)
    finally:
        _local.sending = outer


# ---------------------------------------------------------------------------------------------- receive
class _VisibleMessages:
    """`Queue.messages` without building the list: iterating stops where the caller stops."""

    __slots__ = ("_queue",)

    def __init__(self, queue: Any):
        self._queue = queue

    def __iter__(self) -> Iterator[Any]:
        messages = self._queue._messages
        if isinstance(messages, Messages):
            return messages.receivable(_unix_time_millis())
        return (m for m in messages if m.visible and not m.delayed)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __bool__(self) -> bool:
        return any(True for _ in self)


def _visible(queue: Any) -> _VisibleMessages:
    return _VisibleMessages(queue)


def _retention_ok(self: Any, queue_name: str, message: Any) -> bool:
    retention_period = self.get_queue(queue_name).message_retention_period
    return not retention_period + message.sent_timestamp / 1000 <= _unix_time()


def _mark_received(self: Any, visibility_timeout: Any = None) -> None:
    _saved["mark_received"](self, visibility_timeout)
    _HANDLES[self.receipt_handle] = self


# ---------------------------------------------------------------------------------------------- delete
def _delete_message(self: Any, receipt_handle: str) -> None:
    message = _HANDLES.get(receipt_handle)
    if receipt_handle in self.deleted_messages or message is None or message not in self._messages:
        return _saved["delete"](self, receipt_handle)  # moto's own path: already deleted, unknown, elsewhere
    self.pending_messages.discard(message)
    self.deleted_messages.update(message.all_receipt_handles)
    self._messages.remove(message)
    return None


# ---------------------------------------------------------------------------------------------- attributes
def _get_queue_attributes(self: Any, queue_name: str, attribute_names: list[str]) -> dict[str, Any]:
    from moto.sqs.exceptions import InvalidAttributeName
    queue = self.get_queue(queue_name)
    if not attribute_names:
        return {}
    valid_names = ["All"] + queue.BASE_ATTRIBUTES + queue.FIFO_ATTRIBUTES + queue.KMS_ATTRIBUTES
    invalid_name = next((name for name in attribute_names if name not in valid_names), None)
    if invalid_name or invalid_name == "":
        raise InvalidAttributeName(invalid_name)
    with request_time():
        if "All" in attribute_names:
            return queue.attributes
        found = {name: _attribute(queue, name) for name in dict.fromkeys(attribute_names)}
    return {name: value for name, value in found.items() if value is not None}


def _attribute(queue: Any, name: str) -> Any:
    """One entry of moto's `Queue.attributes` (None where that dict has no such key), computed alone."""
    from moto.sqs.models import camelcase_to_underscores
    listed = (name in queue.BASE_ATTRIBUTES or (queue.fifo_queue and name in queue.FIFO_ATTRIBUTES)
              or (queue.kms_master_key_id and name in queue.KMS_ATTRIBUTES))
    if name == "RedrivePolicy" and queue.redrive_policy:
        value = json.dumps(queue.redrive_policy)  # moto lists it, then replaces it with its JSON when set
    elif listed:
        value = getattr(queue, camelcase_to_underscores(name))
    elif name == "Policy" and queue.policy:
        value = queue.policy
    else:
        return None
    return str(value).lower() if isinstance(value, bool) else value


# ---------------------------------------------------------------------------------------------- the store
def _get_messages(queue: Any) -> Messages:
    return queue.__dict__["_messages"]


def _set_messages(queue: Any, messages: Any) -> None:
    """`queue._messages = [...]` (moto's Queue.__init__, purge and own delete): the same messages, indexed."""
    queue.__dict__["_messages"] = messages if isinstance(messages, Messages) else Messages(messages)
