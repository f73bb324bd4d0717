"""moto's random strings with the harness's fast draw are moto's own: the same characters and the generator left in
the same state, for any seed, length and pool; a generator that draws differently is asked as moto asks it."""
from hypothesis import given
from hypothesis import strategies as st
from moto.moto_api._internal.moto_random import MotoRandom

from harness.aws import moto_ids


def drawn(seed: int, calls: list, fast: bool) -> tuple:
    """The strings `calls` get from a generator seeded with `seed`, and its state afterwards."""
    (moto_ids.install if fast else moto_ids.uninstall)()
    try:
        generator = MotoRandom(seed)
        return [generator.get_random_string(*call) for call in calls], generator.getstate()
    finally:
        moto_ids.install()


@given(seed=st.integers(0, 2**64), calls=st.lists(st.tuples(st.integers(0, 120), st.booleans(), st.booleans()),
                                                   min_size=1, max_size=8))
def test_random_strings_and_the_generator_s_state_are_moto_s_own(seed, calls):
    assert drawn(seed, calls, fast=True) == drawn(seed, calls, fast=False)


def test_the_request_id_is_the_one_moto_draws_for_the_seed():
    from moto.moto_api._internal import mock_random
    from moto.utilities.aws_headers import gen_amzn_requestid_long
    ids = []
    for fast in (True, False):
        (moto_ids.install if fast else moto_ids.uninstall)()
        mock_random.seed(7)
        ids.append((gen_amzn_requestid_long(), gen_amzn_requestid_long(), mock_random.random()))
    moto_ids.install()
    assert ids[0] == ids[1]
    assert len(ids[0][0]) == 52


class Biased(MotoRandom):
    """A generator that draws its own way: the fast draw must not stand in for it."""

    def getrandbits(self, k: int) -> int:
        return k  # 6 for one character of 62 ("g"); a long draw would read as zero words ("a")


def test_a_generator_that_draws_its_own_way_is_asked_as_moto_asks_it():
    moto_ids.install()
    assert Biased(1).get_random_string(10) == "g" * 10


@given(seed=st.integers(0, 2**64), count=st.integers(1, 4))
def test_sqs_receipt_handles_and_the_generator_s_state_are_moto_s_own(seed, count):
    from moto.moto_api._internal import mock_random
    from moto.sqs import models
    drawn_both = []
    for fast in (True, False):
        (moto_ids.install if fast else moto_ids.uninstall)()
        mock_random.seed(seed)
        drawn_both.append(([models.generate_receipt_handle() for _ in range(count)], mock_random.getstate()))
    moto_ids.install()
    assert drawn_both[0] == drawn_both[1]
    assert len(drawn_both[0][0][0]) == 185


def test_choices_are_random_choice_s_for_pools_of_every_size():
    from random import Random
    for size in (1, 2, 3, 26, 32, 33, 62, 64, 1000):
        pool = "".join(chr(0x100 + i) for i in range(size))
        fast, slow = Random(size), Random(size)
        assert moto_ids.choices(fast, pool, 50) == "".join(slow.choice(pool) for _ in range(50))
        assert fast.getstate() == slow.getstate()
