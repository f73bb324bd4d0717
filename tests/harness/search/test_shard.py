"""`--shard i/N`: a deterministic partition that covers everything once."""
import pytest

from harness.errors import InputError
from harness.search.shard import Shard, parse_shard


def test_the_shards_of_a_list_are_disjoint_and_cover_it():
    items = list(range(23))
    parts = [Shard(i, 4).take(items) for i in range(1, 5)]
    assert sorted(x for part in parts for x in part) == items
    assert parts[0] == Shard(1, 4).take(items)  # same input, same split


def test_the_shares_of_a_budget_add_up_to_the_budget():
    assert [Shard(i, 3).share(100) for i in range(1, 4)] == [34, 33, 33]


@pytest.mark.parametrize("text", ["0/3", "4/3", "a/b", "1-3"])
def test_a_bad_shard_is_bad_input_naming_the_expected_form(text):
    with pytest.raises(InputError, match="expected i/N"):
        parse_shard(text)


def test_no_shard_is_the_whole():
    assert parse_shard(None) == Shard(1, 1) and str(parse_shard("2/5")) == "2/5"
