"""A moto SQS queue's messages, indexed by their timers (installed by harness/aws/moto_sqs.py).

moto keeps a queue's messages in a list (`Queue._messages`) and walks all of it, with two clock reads per message,
to count them or to find the next receivable one. `Messages` stands in for that list: the same order, and the
operations moto's code and the harness use (append, remove, iterate, count, replace the whole list), plus an index
that answers moto's questions at a time `now` (milliseconds, moto's clock) without the walk:

- receivable (`now > visible_at and not now < delayed_until`, moto's Message.visible and .delayed): the messages
  receivable at the latest time the index has seen (`_high`), as queue positions in a sorted list; the others in a
  heap by the time they become receivable. A later `now` moves the heap's due messages over (receivability only
  grows as time passes, until a message's timers are set again, which re-indexes it).
- delayed (`now < delayed_until`) and not visible (`not now > visible_at`): bisections of the sorted timers.

A `now` earlier than `_high` (a container with a skewed clock asks moto) is answered by walking every message, as
moto does; so is everything about a message whose timer is NaN (which moto never sets). Every assignment to a
message's `visible_at` or `delayed_until` re-indexes it (`timer`, the two properties moto_sqs puts on Message).
"""
from __future__ import annotations

import heapq
import math
import weakref
from collections.abc import Iterator
from typing import Any

from sortedcontainers import SortedList

TIMERS = ("visible_at", "delayed_until")
# id(message) -> (weakref to the message, weakref to the Messages holding it); an entry goes with its message
_OWNERS: dict[int, tuple[weakref.ref, weakref.ref]] = {}


class Messages:
    """A queue's messages in moto's order, indexed by their timers (see the module's docstring); an operation a
    list has and this has not fails loudly rather than leaving the index stale."""

    __slots__ = ("__weakref__", "_by_seq", "_delays", "_heap", "_high", "_next", "_odd", "_order", "_ready",
                 "_ref", "_visible_ats", "_zeros")

    def __init__(self, messages: Any = ()):
        self._order: dict[Any, int] = {}  # message -> its queue position (increasing), in queue order
        self._by_seq: dict[int, Any] = {}
        self._next = 0
        # SortedList: O(log n) adds and removes anywhere (a plain sorted list moves every later item)
        self._visible_ats = SortedList()  # every indexed message's that is not 0
        self._delays = SortedList()  # every indexed message's that is not 0
        self._zeros = [0, 0]  # how many indexed messages have visible_at 0, and delayed_until 0 (most do)
        self._ready = SortedList()  # positions of the messages receivable at _high
        self._heap: list[tuple[float, int, int, float, float]] = []  # (due, strict, position, visible_at, delayed)
        self._high = -math.inf
        self._odd: dict[Any, None] = {}  # messages with a NaN timer: walked, never indexed
        self._ref = weakref.ref(self)
        for message in messages:
            self.append(message)

    # -------------------------------------------------------------- what moto's code does with its list
    def append(self, message: Any) -> None:
        """Add at the end (a message is in a queue once: moto never adds one twice)."""
        if message in self._order:
            raise ValueError(f"message {message.id} is already in this queue")
        self._order[message] = self._next
        self._by_seq[self._next] = message
        self._next += 1
        self._index(message)
        key = id(message)
        _OWNERS[key] = (weakref.ref(message, lambda ref: _forget(key, ref)), self._ref)

    def extend(self, messages: Any) -> None:
        """Add each at the end, in order."""
        for message in messages:
            self.append(message)

    def remove(self, message: Any) -> None:
        """Take `message` out (ValueError when it is not here, as list.remove)."""
        if message not in self._order:
            raise ValueError("Messages.remove(x): x not in the queue")
        self._unindex(message)
        del self._by_seq[self._order.pop(message)]
        if owner(message) is self:
            del _OWNERS[id(message)]

    def clear(self) -> None:
        """Take every message out."""
        for message in list(self._order):
            self.remove(message)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._order)

    def __reversed__(self) -> Iterator[Any]:
        return reversed(self._order)

    def __len__(self) -> int:
        return len(self._order)

    def __bool__(self) -> bool:
        return bool(self._order)

    def __contains__(self, message: Any) -> bool:
        return message in self._order

    def __getitem__(self, index: Any) -> Any:
        return list(self._order)[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Messages):
            other = list(other)
        return list(self._order) == other if isinstance(other, list) else NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, as the list it stands for

    def __reduce__(self) -> tuple:
        """Copies and pickles hold the messages; the index is built again around them (it holds weak references)."""
        return (Messages, (list(self._order),))

    def __repr__(self) -> str:
        return f"Messages({list(self._order)!r})"

    # -------------------------------------------------------------- moto's questions at a time
    def counts(self, now: float) -> tuple[int, int, int]:
        """(receivable, delayed, not visible) at `now`, as moto's Message.visible and .delayed decide."""
        if not self._advance(now):
            return scan(self._order, now)
        receivable, delayed, in_flight = scan(self._odd, now)
        delayed += len(self._delays) - self._delays.bisect_right(now) + (self._zeros[1] if 0 > now else 0)
        in_flight += len(self._visible_ats) - self._visible_ats.bisect_left(now) + (self._zeros[0] if 0 >= now else 0)
        return receivable + len(self._ready), delayed, in_flight

    def receivable(self, now: float) -> Iterator[Any]:
        """The messages receivable at `now`, in queue order, found lazily; a message whose timers change while the
        caller holds it (moto's receive marks it received) is not given again."""
        if self._odd or not self._advance(now):
            yield from (m for m in self._order if now > m.visible_at and not now < m.delayed_until)
            return
        position = -1
        while True:
            i = self._ready.bisect_right(position)
            if i == len(self._ready):
                return
            position = self._ready[i]
            yield self._by_seq[position]

    def waiting(self, now: float, within: float, floor: float = -math.inf) -> Iterator[Any]:
        """The messages not receivable at `now` (ms) that become receivable by `first + within` or by `floor`,
        whichever is later, where `first` is the earliest time any of them does; every message not receivable at
        `now` when the index cannot answer (a clock reading before one it has seen, a NaN timer). A message may be
        given twice."""
        if self._odd or not self._advance(now):
            yield from (m for m in self._order if not (now > m.visible_at and not now < m.delayed_until))
            return
        heap = self._heap
        while heap and not self._waiting(heap[0]):
            heapq.heappop(heap)  # stale: its message was removed, re-timed (and pushed again) or is receivable
        if not heap:
            return
        upto, stack = max(heap[0][0] + within, floor), [0]
        while stack:  # the entries due by `upto` are a subtree at the heap's root
            i = stack.pop()
            if i < len(heap) and heap[i][0] <= upto:
                if self._waiting(heap[i]):
                    yield self._by_seq[heap[i][2]]
                stack += (2 * i + 1, 2 * i + 2)

    def on_timer_set(self, message: Any, name: str, value: Any) -> None:
        """A timer of a message held here is assigned: re-index the message around the assignment."""
        self._unindex(message)
        message.__dict__[name] = value
        self._index(message)

    # -------------------------------------------------------------- the index
    def _advance(self, now: float) -> bool:
        """Bring the index to `now` (False when `now` is before a time it has seen: then walk)."""
        if not now >= self._high:
            return False
        heap = self._heap
        while heap and (now > heap[0][0] if heap[0][1] else now >= heap[0][0]):
            _, _, position, visible_at, delayed_until = heapq.heappop(heap)
            message = self._by_seq.get(position)
            if message is not None and message.visible_at == visible_at and message.delayed_until == delayed_until \
                    and position not in self._ready:
                self._ready.add(position)
        self._high = now
        if len(heap) > 2 * len(self._order) + 64:  # stale entries of removed or re-timed messages
            self._heap = [entry for entry in heap if self._waiting(entry)]
            heapq.heapify(self._heap)
        return True

    def _waiting(self, entry: tuple) -> bool:
        message = self._by_seq.get(entry[2])
        return message is not None and (message.visible_at, message.delayed_until) == (entry[3], entry[4]) and \
            entry[2] not in self._ready

    def _index(self, message: Any) -> None:
        visible_at, delayed_until = message.visible_at, message.delayed_until
        if visible_at != visible_at or delayed_until != delayed_until:  # noqa: PLR0124 - NaN: never sorted
            self._odd[message] = None
            return
        self._count(visible_at, delayed_until, 1)
        position = self._order[message]
        if self._high > visible_at and not self._high < delayed_until:
            self._ready.add(position)
        else:  # receivable once now > visible_at and now >= delayed_until
            strict = visible_at >= delayed_until
            heapq.heappush(self._heap, (visible_at if strict else delayed_until, int(strict), position,
                                        visible_at, delayed_until))

    def _count(self, visible_at: float, delayed_until: float, change: int) -> None:
        """Count a message's timers in (change 1) or out (-1): zeros by number, the others in sorted order."""
        if visible_at == 0:
            self._zeros[0] += change
        elif change > 0:
            self._visible_ats.add(visible_at)
        else:
            self._visible_ats.remove(visible_at)
        if delayed_until == 0:
            self._zeros[1] += change
        elif change > 0:
            self._delays.add(delayed_until)
        else:
            self._delays.remove(delayed_until)

    def _unindex(self, message: Any) -> None:
        if message in self._odd:
            del self._odd[message]
            return
        self._count(message.visible_at, message.delayed_until, -1)
        self._ready.discard(self._order[message])
        # a heap entry stays behind: it no longer matches the message's timers (or position) and is skipped


def scan(messages: Any, now: float) -> tuple[int, int, int]:
    """(receivable, delayed, not visible) among `messages` at `now`, walking them as moto does."""
    receivable = delayed = in_flight = 0
    for m in messages:
        visible_at, delayed_until = m.visible_at, m.delayed_until
        if now > visible_at:
            if not now < delayed_until:
                receivable += 1
        else:
            in_flight += 1
        if now < delayed_until:
            delayed += 1
    return receivable, delayed, in_flight


def owner(message: Any) -> Messages | None:
    """The Messages holding `message` (None when none does)."""
    entry = _OWNERS.get(id(message))
    return entry[1]() if entry is not None and entry[0]() is message else None


def _forget(key: int, ref: weakref.ref) -> None:
    if _OWNERS.get(key, (None,))[0] is ref:  # not a newer object's entry under a reused id
        del _OWNERS[key]


def timer(name: str) -> property:
    """Message.visible_at or .delayed_until: the value in the message's own __dict__ (where moto keeps it), and an
    assignment re-indexes the message in the queue holding it."""

    def get(message: Any) -> Any:
        return message.__dict__[name]

    def set_(message: Any, value: Any) -> None:
        store = owner(message)
        if store is not None and message in store:
            store.on_timer_set(message, name, value)
        else:
            message.__dict__[name] = value

    return property(get, set_, doc=f"moto's Message.{name}, indexed")
