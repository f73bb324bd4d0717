"""Resolving a template value keeps scalars without a call of their own: the same value, the same references
asked for in the same order, as resolving every node gives."""
from pathlib import Path
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from harness.template import _INTRINSICS, _NO_VALUE, Resolver


class EveryNodeResolver(Resolver):
    """The walk as it was before scalars were kept in place: every node through `resolve`."""

    def resolve(self, value):
        if isinstance(value, list):
            items = [self.resolve(v) for v in value]
            return [v for v in items if v is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, arg), = value.items()
            handler = _INTRINSICS.get(key)
            if handler is not None:
                return handler(self, arg)
        out = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v is not _NO_VALUE}


class Text(str):
    """A str subclass, as a YAML loader may give."""


_TEMPLATE = SimpleNamespace(parameters={"Env": "dev"}, stack_name="stack", conditions={
    "IsDev": {"Fn::Equals": [{"Ref": "Env"}, "dev"]}, "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}},
    mappings={}, resources={}, path=Path("template.yaml"))
_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=4),
                     st.builds(Text, st.text(max_size=3)))
_refs = st.sampled_from(["Queue", "Table", "Env", "AWS::NoValue", "AWS::Region", "AWS::StackName"])


def _intrinsic(children):
    return st.one_of(
        st.builds(lambda name: {"Ref": name}, _refs),
        st.builds(lambda name: {"Fn::GetAtt": [name, "Arn"]}, st.sampled_from(["Queue", "Table"])),
        st.builds(lambda name: {"Fn::Sub": "${" + name + "}-x"}, st.sampled_from(["Queue", "Table.Arn", "Env"])),
        st.builds(lambda c, a, b: {"Fn::If": [c, a, b]}, st.sampled_from(["IsDev", "IsProd"]), children, children),
        st.builds(lambda items: {"Fn::Join": ["-", items]}, st.lists(st.sampled_from(["a", {"Ref": "Env"}]))))


_values = st.recursive(_scalars, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(st.sampled_from("abcdef"), children, max_size=4),
    _intrinsic(children)), max_leaves=20)


def _resolved(kind, value):
    asked: list[str] = []

    def attributes(logical_id):
        asked.append(logical_id)
        return {"Ref": f"ref-{logical_id}", "Arn": f"arn-{logical_id}"}

    return kind(_TEMPLATE, "us-east-1", attributes).resolve(value), asked


@settings(max_examples=150, deadline=None)
@given(_values)
def test_resolving_gives_the_value_and_asks_the_references_in_the_order_every_node_resolved_gives(value):
    fast, slow = _resolved(Resolver, value), _resolved(EveryNodeResolver, value)
    assert fast == slow
    assert [type(v) for v in _walk(fast[0])] == [type(v) for v in _walk(slow[0])]


def _walk(value):
    yield value
    if isinstance(value, list):
        for item in value:
            yield from _walk(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)
