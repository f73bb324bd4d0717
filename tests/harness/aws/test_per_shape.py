"""PerShape: made once per shape object, never handed to another object, and bounded."""
from harness.aws.per_shape import PerShape


class Shape:
    pass


def test_a_thing_is_made_once_per_shape_object_and_bounded_by_its_limit():
    made = []
    per_shape = PerShape(lambda shape: made.append(shape) or len(made), limit=2)
    first, second, third = Shape(), Shape(), Shape()
    assert per_shape(first) == per_shape(first) == 1
    assert per_shape(second) == 2 and made == [first, second]
    assert per_shape(third) == 3  # past the limit: the memory starts again
    assert per_shape(first) == 4 and per_shape(third) == 3
