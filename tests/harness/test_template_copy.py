"""`harness.template.copied`: the template cache's copy is exactly what `copy.deepcopy` makes, only faster."""
import copy
import dataclasses
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.cfn_yaml import MarkedStr
from harness.template import EventSource, FunctionDef, Resource, Template, copied, copies_of, load_template

ROOT = Path(__file__).resolve().parents[2]
SHARED = (str, int, float, bool, type(None), bytes, Path)


def assert_same_shape(a, b, pairs=None, same_atoms=True):
    """`a` and `b` are the same graph: same types and values, atoms the very same objects (or, unless
    `same_atoms`, equal ones; a MarkedStr is always the very object), and every container or record referenced
    from two places in one referenced from the same two places in the other."""
    pairs = {} if pairs is None else pairs
    assert type(a) is type(b)
    if isinstance(a, MarkedStr) or (same_atoms and isinstance(a, SHARED) and not isinstance(a, Path)):
        assert a is b  # both copies share the source's atoms
        return
    if isinstance(a, SHARED) and not isinstance(a, Path):
        assert a == b or (isinstance(a, float) and math.isnan(a) and math.isnan(b))
        assert not isinstance(a, float) or math.copysign(1, a) == math.copysign(1, b)
        return
    if isinstance(a, tuple) and not same_atoms:  # a tuple is a value: deepcopy may share it, pickle rebuilds it
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same_shape(x, y, pairs, same_atoms)
        return
    if id(a) in pairs:
        assert pairs[id(a)] is b
        return
    assert ("b", id(b)) not in pairs  # one object in `b` for two in `a`
    pairs[id(a)], pairs["b", id(b)] = b, a
    if isinstance(a, Path):
        assert a == b
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for (ka, va), (kb, vb) in zip(a.items(), b.items()):
            assert_same_shape(ka, kb, pairs, same_atoms)
            assert_same_shape(va, vb, pairs, same_atoms)
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same_shape(x, y, pairs, same_atoms)
    elif dataclasses.is_dataclass(a):
        assert_same_shape(a.__dict__, b.__dict__, pairs, same_atoms)
    else:
        assert a == b


def reachable(value, out=None):
    """Ids of every object reachable from `value` (keys, atoms and paths too)."""
    out = set() if out is None else out
    if id(value) in out:
        return out
    out.add(id(value))
    children = value.__dict__ if dataclasses.is_dataclass(value) else value
    if isinstance(children, dict):
        for key, item in children.items():
            reachable(key, out)
            reachable(item, out)
    elif isinstance(children, (list, tuple, frozenset)):
        for item in children:
            reachable(item, out)
    return out


def assert_copied_as_deepcopy_copies(value):
    """`copied(value)` is deepcopy's graph and takes over from `value` exactly the objects deepcopy takes over."""
    fast, slow = copied(value), copy.deepcopy(value)
    assert_same_shape(fast, slow)
    source = reachable(value)
    assert reachable(fast) & source == reachable(slow) & source
    assert not set(mutable_parts(fast)) & set(mutable_parts(value))
    return fast


def mutable_parts(value, out=None):
    """Ids of every dict, list and record reachable from `value`."""
    out = {} if out is None else out
    if isinstance(value, (dict, list)) or dataclasses.is_dataclass(value):
        if id(value) in out:
            return out
        out[id(value)] = value
    if isinstance(value, dict):
        for key, item in value.items():
            mutable_parts(key, out)
            mutable_parts(item, out)
    elif isinstance(value, (list, tuple)):
        for item in value:
            mutable_parts(item, out)
    elif dataclasses.is_dataclass(value):
        mutable_parts(value.__dict__, out)
    return out


@pytest.mark.parametrize("system", ["messages", "twin", "replies", "earnings"])
def test_a_library_template_is_copied_as_deepcopy_copies_it_and_shares_nothing_mutable(system):
    template = load_template(ROOT / "handlers" / system / "template.yaml")
    assert assert_copied_as_deepcopy_copies(template) == template


def test_a_function_shares_its_properties_with_its_resource_in_the_copy_as_in_the_template():
    template = load_template(ROOT / "handlers" / "messages" / "template.yaml")
    fast = copied(template)
    for logical_id, fn in template.functions.items():
        assert (fn.properties is template.resources[logical_id].properties) == \
            (fast.functions[logical_id].properties is fast.resources[logical_id].properties)


def test_what_a_simulation_changes_deep_in_its_template_never_reaches_the_next_load():
    path = ROOT / "handlers" / "messages" / "template.yaml"
    first = load_template(path)
    for fn in first.functions.values():
        fn.properties.setdefault("Environment", {}).setdefault("Variables", {})["ADDED"] = "x"
        for event in fn.events:
            event.properties["Changed"] = True
    for resource in first.resources.values():
        resource.properties.clear()
    first.parameters.clear()
    first.globals["Function"] = {"Timeout": 1}
    second = load_template(path)
    assert all(resource.properties for resource in second.resources.values())
    assert all("ADDED" not in fn.properties.get("Environment", {}).get("Variables", {})
               for fn in second.functions.values())
    assert all("Changed" not in event.properties for fn in second.functions.values() for event in fn.events)
    assert second == copy.deepcopy(load_template(path))


# Trees of what templates hold, with subtrees referenced from several places (YAML anchors, Globals merged into
# several functions) and values copy.deepcopy copies its own way (tuples, sets, paths, str subclasses).
_MARK = object()
atoms = st.one_of(st.text(max_size=5), st.integers(), st.floats(allow_nan=True), st.booleans(), st.none(),
                  st.builds(lambda s: MarkedStr(s, _MARK, _MARK), st.text(max_size=5)),
                  st.builds(Path, st.sampled_from(["a", "/b/c", "template.yaml"])), st.binary(max_size=3))


def _trees(children):
    keys = st.one_of(st.text(max_size=4), st.integers(-3, 3), st.tuples(st.integers(0, 2)),
                     st.frozensets(st.integers(0, 2), max_size=2), st.builds(Path, st.sampled_from(["k", "/k/l"])),
                     st.builds(lambda s: MarkedStr(s, _MARK, _MARK), st.text(max_size=4)))
    return st.one_of(st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=4),
                     st.tuples(children, children), st.frozensets(st.integers(0, 5), max_size=3),
                     st.builds(lambda props, line: Resource("R", "AWS::SQS::Queue", props, line),
                               st.dictionaries(st.text(max_size=3), children, max_size=3), st.integers(0, 9)),
                     st.builds(lambda props: EventSource("E", "SQS", props, 1),
                               st.dictionaries(st.text(max_size=3), children, max_size=3)))


@st.composite
def shared_trees(draw):
    """A tree, then some of its own subtrees put in again elsewhere (shared, as deepcopy must keep them)."""
    tree = draw(st.recursive(atoms, _trees, max_leaves=12))
    parts = list(mutable_parts(tree).values())
    holder = {"tree": tree, "again": [draw(st.sampled_from(parts)) for _ in range(draw(st.integers(0, 3)))]
              if parts else []}
    props = {"Shared": holder["again"][0] if holder["again"] else {}}
    fn = FunctionDef("F", props, (EventSource("E", "SQS", {"x": tree}, 2),), 3)
    return Template(Path("t.yaml"), "stack", {}, {"F": Resource("F", "AWS::Serverless::Function", props, 3)},
                    {"F": fn}, globals=holder)


@settings(max_examples=30, deadline=None)
@given(shared_trees())
def test_any_tree_of_template_values_is_copied_as_deepcopy_copies_it(template):
    assert_copied_as_deepcopy_copies(template)


def assert_copies_are_deepcopies(value):
    """Each copy `copies_of(value)` gives is deepcopy's graph (equal atoms allowed), shares nothing mutable with
    `value`, and is what `value` was when `copies_of` was called, whatever happened to `value` since."""
    copies = copies_of(value)
    expected = copy.deepcopy(value)
    first = copies()
    assert_same_shape(first, copy.deepcopy(value), same_atoms=False)
    assert not set(mutable_parts(first)) & set(mutable_parts(value))
    for part in mutable_parts(value).values():  # the source changed after the copies were set up
        if isinstance(part, dict):
            part["added"] = 1
        elif isinstance(part, list):
            part.append("added")
    second = copies()
    assert_same_shape(second, expected, same_atoms=False)
    assert not set(mutable_parts(second)) & set(mutable_parts(first))


@pytest.mark.parametrize("system", ["messages", "twin", "replies", "earnings"])
def test_the_copies_a_cached_library_template_gives_are_deepcopies_of_it(system):
    template = load_template(ROOT / "handlers" / system / "template.yaml")
    assert copies_of(template)() == template
    assert_copies_are_deepcopies(template)


@settings(max_examples=30, deadline=None)
@given(shared_trees())
def test_the_copies_of_any_tree_of_template_values_are_deepcopies_of_it(template):
    assert_copies_are_deepcopies(template)


def test_a_cache_hit_gives_a_template_equal_to_the_first_load_and_its_own():
    path = ROOT / "handlers" / "twin" / "template.yaml"
    first, second, third = load_template(path), load_template(path), load_template(path)
    assert first == second == third
    assert not set(mutable_parts(second)) & (set(mutable_parts(first)) | set(mutable_parts(third)))
