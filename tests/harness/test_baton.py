"""Batons: the binary semaphores the scheduler hands steps over with (a pipe, or a lock when no descriptor is
left). Made taken; each give lets exactly one take through; a forked child gets its own (a pipe is shared)."""
import os
import random
import threading

import pytest

from harness import baton
from harness.clock import VirtualClock
from harness.scheduler import Scheduler


@pytest.fixture(params=[baton.PipeBaton, baton.LockBaton])
def make(request):
    return request.param


def test_a_baton_is_taken_when_made_and_each_give_lets_one_take_through(make):
    made = make()
    assert not made.try_take()
    made.give()
    assert made.try_take()
    assert not made.try_take() and not made.take_within(0)
    made.give()
    assert made.take_within(0)
    made.close()


def test_a_baton_given_by_another_thread_wakes_the_thread_waiting_for_it(make):
    made, taken = make(), []

    def wait() -> None:
        made.take()
        taken.append("taken")
    waiter = threading.Thread(target=wait)
    waiter.start()
    made.give()
    waiter.join()
    assert taken == ["taken"]
    made.close()


def test_without_pipes_or_descriptors_batons_are_locks(monkeypatch):
    monkeypatch.setattr(baton, "PIPES", False)
    assert isinstance(baton.new_baton(), baton.LockBaton)
    monkeypatch.setattr(baton, "PIPES", True)

    def no_descriptors():
        raise OSError(24, "Too many open files")
    monkeypatch.setattr(os, "pipe", no_descriptors)
    assert isinstance(baton.new_baton(), baton.LockBaton)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX")
def test_a_forked_child_gets_its_own_driver_baton_so_parent_and_child_never_cross():
    scheduler = Scheduler(VirtualClock(0.0), random.Random(1))
    before = scheduler._back
    pid = os.fork()
    if pid == 0:  # the child: its baton is new, and giving it reaches only the child
        scheduler._back.give()
        os._exit(0 if scheduler._back is not before and scheduler._back.try_take() else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert scheduler._back is before and not before.try_take()  # the child's give never reached the parent
