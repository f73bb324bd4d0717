"""PollSchedule (harness.sources.polling): the one pending poll that SQS and stream mappings share."""
from harness.sources.polling import PollSchedule


def _schedule(sim, items=lambda: True, enabled=True):
    polls = []
    schedule = PollSchedule(sim, "test-poll", lambda: polls.append(sim.clock.now() - sim.clock_start),
                            enabled=enabled, has_items=items)
    return schedule, polls


def test_start_polls_once_now(sim):
    sim.clock_start = sim.clock.now()
    schedule, polls = _schedule(sim)
    schedule.start()
    sim.run_until_idle()
    assert polls == [0.0]


def test_an_earlier_poke_supersedes_a_later_one_and_a_later_one_is_ignored(sim):
    sim.clock_start = sim.clock.now()
    schedule, polls = _schedule(sim)
    schedule.poke(sim.clock.now() + 30)
    schedule.poke(sim.clock.now() + 10)   # earlier: replaces the poll at 30
    schedule.poke(sim.clock.now() + 20)   # later than the pending one: nothing to do
    sim.advance(60)
    assert polls == [10.0]


def test_a_poke_in_the_past_polls_now(sim):
    sim.clock_start = sim.clock.now()
    schedule, polls = _schedule(sim)
    schedule.poke(sim.clock.now() - 5)
    sim.advance(1)
    assert polls == [0.0]


def test_idle_probe_sees_work_only_while_a_poll_is_pending_and_items_wait(sim):
    waiting = [False]
    schedule, _ = _schedule(sim, items=lambda: waiting[0])
    schedule.poke(sim.clock.now() + 5)
    assert not schedule.has_work()  # nothing waiting
    waiting[0] = True
    assert schedule.has_work()
    sim.advance(10)
    assert not schedule.has_work()  # the poll ran


def test_stopped_or_disabled_schedules_never_poll(sim):
    sim.clock_start = sim.clock.now()
    stopped, stopped_polls = _schedule(sim)
    stopped.poke(sim.clock.now() + 1)
    stopped.stop()
    disabled, disabled_polls = _schedule(sim, enabled=False)
    disabled.start()
    sim.advance(5)
    assert stopped_polls == [] and disabled_polls == []
    assert not stopped.has_work() and not disabled.has_work()
