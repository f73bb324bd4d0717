"""The scenario YAML reader gives the same data, tags, line marks and refusals whether libyaml (the C parser)
or PyYAML's pure-Python parser reads the text: the C path is only a faster way to the same Source."""
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from harness.scenario import limits
from harness.scenario.errors import ScenarioError
from harness.scenario.source import parse

ROOT = Path(__file__).parents[3]
LIBRARY = sorted((ROOT / "scenarios").rglob("*.yaml"))
BROKEN = [path for path in sorted((ROOT / "tests/harness/scenario/broken").rglob("*.yaml"))
          if path.name != "invalid_utf8.yaml"]  # read() refuses it before any parser sees it


def outcome(text: str, libyaml: bool) -> tuple:
    """What parse() makes of `text`: the data (repr keeps types: 1, 1.0 and True differ) and every mark, or
    the problems it refuses the text with."""
    try:
        source = parse(text, "f.yaml", libyaml=libyaml)
    except ScenarioError as exc:
        return "refused", exc.problems
    return "parsed", repr(source.data), source.values, source.keys


def assert_same_on_both_paths(text: str) -> tuple:
    fast, slow = outcome(text, True), outcome(text, False)
    assert fast == slow, text
    return fast


def test_pyyaml_here_has_libyaml():
    assert yaml.__with_libyaml__, "the PyYAML wheel lacks libyaml: scenario files load ten times slower"


def test_every_library_scenario_parses_the_same_with_libyaml_and_python():
    outcomes = [assert_same_on_both_paths(path.read_text(encoding="utf-8-sig"))[0] for path in LIBRARY]
    assert outcomes.count("parsed") > 300  # scenarios/ also holds fixtures: templates whose !Ref tags are refused


def test_library_scenarios_are_read_by_libyaml():
    scenarios = [path for path in LIBRARY if "_fixtures" not in path.parts]
    assert len(scenarios) > 300
    slow = [path for path in scenarios if parse(path.read_text(encoding="utf-8-sig"), str(path)).parser != "libyaml"]
    assert slow == []


def test_python_path_is_used_when_asked():
    assert parse("a: 1\n", "f.yaml", libyaml=False).parser == "python"


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.name)
def test_broken_corpus_is_refused_identically_on_both_paths(path):
    assert_same_on_both_paths(path.read_text(encoding="utf-8-sig"))


def nested(depth: int, block: bool) -> str:
    if block:
        return "".join("  " * i + "- \n" for i in range(depth)) + "  " * depth + "- x\n"
    return "a: " + "[" * depth + "]" * depth + "\n"


@pytest.mark.parametrize("block", [True, False], ids=["block", "flow"])
def test_deep_nesting_is_refused_at_the_same_place_on_both_paths(block):
    kind, problems = assert_same_on_both_paths(nested(5_000, block))
    assert kind == "refused" and "nesting deeper than" in problems[0].message


def test_nesting_at_the_limit_parses_on_both_paths():
    depth = limits.current().max_yaml_depth - 2
    assert assert_same_on_both_paths(nested(depth, block=False))[0] == "parsed"


def test_billion_laughs_is_refused_identically_on_both_paths():
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]" for a, b in zip("abcdefgh", "bcdefghi", strict=True)]
    kind, problems = assert_same_on_both_paths("\n".join(lines) + "\n")
    assert kind == "refused" and "YAML bomb" in problems[0].message


def test_circular_merge_and_undefined_alias_are_refused_identically():
    assert_same_on_both_paths("a: &x\n  <<: *x\n")
    for text in ("a: &x [*x]\n", "a: *nowhere\n", "a: &x 1\nb: &x 2\n"):
        assert assert_same_on_both_paths(text)[0] == "refused", text


def test_huge_scalar_parses_identically():
    assert assert_same_on_both_paths("a: " + "x" * 2_000_000 + "\nb: 1\n")[0] == "parsed"


def test_duplicate_keys_and_tags_are_handled_identically():
    for text in ("a: 1\na: 2\n", "a: !!str 1\n", "a: !!python/object:os.system x\n", "a: !x [1]\n",
                 "! a\n", "a: !!binary aGk=\n", "a: {b: !!set {x}}\n", "a: !!omap [x: 1]\n"):
        assert_same_on_both_paths(text)


@pytest.mark.parametrize(("text", "column", "message"), [
    ("a: !!int\n", 4, "bad value: '' cannot be read as !!int"),
    ("a: !!bool x\n", 4, "bad value: 'x' cannot be read as !!bool"),
    ("a: !!timestamp x\n", 4, "bad value: 'x' cannot be read as !!timestamp"),
    ("? !!float\n: 1\n", 3, "bad key: '' cannot be read as !!float"),
    ("a: 2030-02-30\n", 4, "bad value: day is out of range for month"),
])
def test_a_value_its_tag_cannot_read_is_a_located_problem_not_a_traceback(text, column, message):
    kind, problems = assert_same_on_both_paths(text)
    assert kind == "refused" and [(p.line, p.column, p.message) for p in problems] == [(1, column, message)]


scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                    st.text(max_size=20), st.dates(), st.datetimes())
documents = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=20)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(documents, st.sampled_from([None, True, False]), st.booleans(), st.integers(2, 6),
       st.sampled_from([20, 80, 1000]))
def test_dumped_documents_parse_identically(data, flow, unicode, indent, width):
    text = yaml.safe_dump({"doc": data}, default_flow_style=flow, allow_unicode=unicode, indent=indent,
                          width=width)
    assert_same_on_both_paths(text)


FRAGMENTS = list("ab1 :-[]{},&*!'\"#|>?\n\t\r.%@`") + [
    "\x85", "\u2028", "\u2029", "\ufeff", "\x00", "é", "😀", "  ", "- ", ": ", "\n  ", "&a ", "*a", "<<: ",
    "!!str ", "!!int ", "---", "...", "\r\n", "0x1F", "1e3", "~", "yes", "2020-01-01", "'a''b'", '"\\u00e9"',
    "\\", "!x ", "%YAML 1.1\n", "%TAG ! tag:x:\n", "? ", "\n- ", "\n  - ", "\n  a: ", "\n? ", "\n: ", "|-", "|+",
    ">2", "|1", " #c", "&y ", "*y", "'q'", '"q\\n"', "x:y", "http://a?b=c", "null", "0o17", "1_000", "1:20", ".inf",
    "-.nan", "2001-12-14t21:59:43.10-05:00", "2020-02-30"]


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join), st.booleans())
@example("|#\n", False)
@example("{.<<: 11e3?}", True)
@example("[b:1e3<<: ,x]", True)
@example("!*a!", True)
@example("a\t", True)
@example("?", False)
def test_any_text_is_parsed_or_refused_identically(text, newline_at_end):
    assert_same_on_both_paths(text + ("\n" if newline_at_end else ""))
