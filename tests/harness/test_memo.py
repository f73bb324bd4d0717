from harness.memo import remember


def test_remember_keeps_the_value_under_its_key_and_returns_it():
    memory: dict = {}
    value = object()
    assert remember(memory, "k", value, limit=4) is value
    assert memory == {"k": value}


def test_a_full_memory_starts_again_before_keeping_the_new_value():
    memory = {i: i for i in range(3)}
    remember(memory, "new", 1, limit=3)
    assert memory == {"new": 1}


def test_a_memory_below_its_limit_keeps_what_it_holds():
    memory = {i: i for i in range(2)}
    remember(memory, "new", 1, limit=3)
    assert memory == {0: 0, 1: 1, "new": 1}
