"""A queue's indexed messages answer as moto's list does: the same order, counts and receivable messages at any
clock reading (back in time too), while timers change under a receive's walk."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.aws import moto_sqs, sqs_store

TIMER = st.sampled_from([0.0, 0, 1.0, 2.0, 3.0, -1.0, float("nan")])
store_ops = st.lists(st.one_of(
    st.tuples(st.just("append"), TIMER, TIMER), st.tuples(st.just("remove"), st.integers(0, 20), st.none()),
    st.tuples(st.just("visible_at"), st.integers(0, 20), TIMER),
    st.tuples(st.just("delayed_until"), st.integers(0, 20), TIMER),
    st.tuples(st.just("replace"), st.integers(0, 20), st.none()),
    st.tuples(st.just("advance"), st.sampled_from([-1.0, 0.5, 1.0, 2.0]), st.none())), max_size=40)


def moto_counts(messages: list, now: float) -> tuple[int, int, int]:
    """moto's three counts, as its Message.visible and .delayed decide them, at clock reading `now` (ms)."""
    return (sum(1 for m in messages if now > m.visible_at and not now < m.delayed_until),
            sum(1 for m in messages if now < m.delayed_until),
            sum(1 for m in messages if not now > m.visible_at))


def moto_receivable(messages: list, now: float) -> list:
    return [m for m in messages if now > m.visible_at and not now < m.delayed_until]


NOWS = st.lists(st.sampled_from([-2.0, 0.0, 0.5, 1.0, 2.0, 2.5, 5.0]), min_size=1, max_size=4)  # from the clock


@settings(max_examples=300, deadline=None)
@given(ops=store_ops, nows=NOWS, hide=st.booleans())
def test_indexed_messages_count_order_and_receive_as_moto_s_list_does(ops, nows, hide):
    """Clock readings may go back (a skewed container asks moto); a receive sets the timers of what it was given
    while it walks (moto marks each message received before asking for the next)."""
    from moto.sqs.models import Message
    moto_sqs.install()
    store, model, clock = sqs_store.Messages(), [], 0.0
    for n, (op, a, b) in enumerate(ops):
        if op == "advance":
            clock += a
        elif op == "append":
            message = Message(f"m{n}", "body")
            message.visible_at, message.delayed_until = a, b
            store.append(message)
            model.append(message)
        elif model and op == "remove":
            store.remove(model.pop(a % len(model)))
        elif model and op in ("visible_at", "delayed_until"):
            setattr(model[a % len(model)], op, b)
        elif op == "replace":  # moto's purge and its own delete assign a new list
            model = model[a % 3:]
            store = sqs_store.Messages(model)
        assert list(store) == model and len(store) == len(model)
        for now in (clock + offset for offset in nows):
            assert store.counts(now) == moto_counts(model, now)
            expected, given = moto_receivable(model, now), []
            for message in store.receivable(now):
                given.append(message)
                if hide and len(given) <= 2:  # received with a visibility timeout while the walk goes on
                    message.visible_at = now + 3
            assert given == expected


def test_a_message_given_a_later_timer_before_it_came_due_is_not_received_at_its_old_time():
    from moto.sqs.models import Message
    moto_sqs.install()
    message = Message("m", "body")
    message.visible_at = 1.0
    store = sqs_store.Messages([message])
    assert list(store.receivable(0.0)) == []
    message.visible_at = 3.0  # received again (or its visibility changed) before the first timeout ran out
    assert list(store.receivable(2.0)) == [] and store.counts(2.0) == (0, 0, 1)
    assert list(store.receivable(3.0)) == []  # moto's visibility check is strict
    assert list(store.receivable(3.5)) == [message] and store.counts(3.5) == (1, 0, 0)


def test_indexed_messages_refuse_what_a_queue_never_holds():
    from moto.sqs.models import Message
    moto_sqs.install()
    message = Message("m", "body")
    store = sqs_store.Messages([message])
    with pytest.raises(ValueError, match="already in this queue"):
        store.append(message)
    store.remove(message)
    with pytest.raises(ValueError, match="not in the queue"):
        store.remove(message)


def test_a_queue_s_messages_are_indexed_while_installed_and_a_plain_list_otherwise():
    from moto.sqs.models import Queue
    moto_sqs.install()
    assert isinstance(Queue("fast", "us-east-1", "123456789012")._messages, sqs_store.Messages)
    moto_sqs.uninstall()
    try:
        assert type(Queue("plain", "us-east-1", "123456789012")._messages) is list
    finally:
        moto_sqs.install()


def test_a_copied_queue_indexes_its_own_copies_of_the_messages():
    import copy
    import pickle

    from moto.sqs.models import Message
    moto_sqs.install()
    messages = [Message(f"m{n}", "body") for n in range(3)]
    messages[1].visible_at = 5.0
    store = sqs_store.Messages(messages)
    for twin in (copy.deepcopy(store), pickle.loads(pickle.dumps(store))):
        assert [m.id for m in twin] == ["m0", "m1", "m2"] and not set(twin) & set(store)
        assert twin.counts(1.0) == store.counts(1.0) == (2, 0, 1)
        next(iter(twin)).visible_at = 9.0  # its own index follows its own messages
        assert twin.counts(1.0) == (1, 0, 2) and store.counts(1.0) == (2, 0, 1)


EPOCH = 1.7e12  # moto's clock in ms around now: sub-ms differences are still representable
OFFSET = st.sampled_from([0.0, 0.3, 0.999, 1.0, 1.001, 1.5, 2.0, 2.001, 3.0, 40.0, 1000.0])
TIMER_MS = st.one_of(st.just(0), st.builds(lambda o: EPOCH + o, OFFSET))


@settings(max_examples=300, deadline=None)
@given(timers=st.lists(st.tuples(TIMER_MS, TIMER_MS), max_size=30),
       retimes=st.lists(st.tuples(st.integers(0, 29), st.booleans(), TIMER_MS), max_size=8),
       clock=st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0, 40.0, -1.0]), min_size=1, max_size=4),
       lag=st.sampled_from([0.0, 0.0005, -0.003, 0.01]))
def test_the_poller_s_next_receivable_time_from_the_index_is_the_walk_s(timers, retimes, clock, lag):
    """The SQS poller's next poll time found through the index equals the one found by walking every message,
    with timers set again after queueing (stale index entries) and the poller's clock a little off moto's."""
    from moto.sqs.models import Message

    from harness.sources.sqs import next_receivable
    moto_sqs.install()
    messages = []
    for n, (visible_at, delayed_until) in enumerate(timers):
        message = Message(f"m{n}", "body")
        message.visible_at, message.delayed_until = visible_at, delayed_until
        messages.append(message)
    store = sqs_store.Messages(messages)
    for index, which, value in retimes:
        if messages:
            setattr(messages[index % len(messages)], "visible_at" if which else "delayed_until", value)
    now_ms = EPOCH
    for step in clock:
        now_ms += step
        now = now_ms / 1000.0 + lag
        assert next_receivable(store, now_ms, now) == next_receivable(list(messages), now_ms, now)
        assert [m for m in store.receivable(now_ms)] == moto_receivable(messages, now_ms)


def test_the_poller_s_next_time_counts_a_message_due_just_after_a_poller_clock_ahead_of_moto_s():
    """The first message is due long before the poller's `now`: the earliest answer is then a message due within
    a millisecond after `now`, which is far from the first due time (the index must look up to `now` too)."""
    from moto.sqs.models import Message

    from harness.sources.sqs import next_receivable
    moto_sqs.install()
    early, soon = Message("early", "body"), Message("soon", "body")
    early.visible_at, soon.visible_at = EPOCH + 0.5, EPOCH + 9.5
    now = EPOCH / 1000.0 + 0.01  # the poller's clock 10 ms ahead of moto's reading
    expected = next_receivable([early, soon], EPOCH, now)
    assert expected == (EPOCH + 10.5) / 1000.0
    assert next_receivable(sqs_store.Messages([early, soon]), EPOCH, now) == expected
