"""An error document's stackTrace lines are traceback.format_list's, whether a frame's text was formatted just now or
remembered from an earlier failure at the same code location."""
import importlib.util
import linecache
import sys
import traceback

from hypothesis import given, settings
from hypothesis import strategies as st

from harness.lambda_runtime.stack_text import stack_lines


def _python(exc):
    return traceback.format_list(traceback.extract_tb(exc.__traceback__))


def _failure(fn, *args):
    try:
        fn(*args)
    except Exception as exc:  # noqa: BLE001 - the failure is the value under test
        return exc
    raise AssertionError("expected a failure")


def _load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _add(a, b):
    return a + b


def _nested(mapping):
    return _add(mapping["one"]["two"], None)


def _recurse(n):
    return _recurse(n + 1) if n < 30 else 1 / 0


def test_carets_nested_calls_and_repeated_frames_match_pythons_text_first_time_and_remembered():
    for fn, arg in ((_nested, {"one": {"two": 1}}), (_nested, {"one": {}}), (_recurse, 0)):
        first = _failure(fn, arg)
        again = _failure(fn, arg)  # the same locations: remembered text
        assert stack_lines(first.__traceback__) == _python(first)
        assert stack_lines(again.__traceback__) == _python(again)


def test_a_frame_without_source_and_an_empty_traceback_match_pythons_text():
    code = compile("def boom():\n    return {}['missing']\n", "<generated>", "exec")
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 - code whose source linecache cannot find
    exc = _failure(namespace["boom"])
    assert stack_lines(exc.__traceback__) == _python(exc)
    assert stack_lines(None) == traceback.format_list(traceback.extract_tb(None)) == []


def test_a_handler_file_rewritten_at_the_same_line_gives_the_new_source_text(tmp_path):
    path = tmp_path / "handler_module.py"
    path.write_text("def handler(event):\n    return event['a'] + 1\n", encoding="utf-8")
    exc = _failure(_load(path, "handler_module_v1").handler, {"a": "text"})
    assert stack_lines(exc.__traceback__) == _python(exc)
    path.write_text("def handler(event):\n    return event['b'] * None\n", encoding="utf-8")
    linecache.checkcache(str(path))
    exc = _failure(_load(path, "handler_module_v2").handler, {"b": 2})
    assert stack_lines(exc.__traceback__) == _python(exc)
    assert "event['b'] * None" in "".join(stack_lines(exc.__traceback__))


def test_the_same_code_failing_again_after_its_file_changed_on_disk_shows_the_lines_python_shows(tmp_path):
    path = tmp_path / "changed_module.py"
    path.write_text("def handler(event):\n    return event['a'] + 1\n", encoding="utf-8")
    handler = _load(path, "changed_module").handler
    before = _failure(handler, {"a": "text"})
    assert stack_lines(before.__traceback__) == _python(before)
    path.write_text("def handler(event):\n    return event['a'] + 1  # edited since the import\n", encoding="utf-8")
    after = _failure(handler, {"a": "text"})  # the same code objects; linecache reads the file again
    assert stack_lines(after.__traceback__) == _python(after)
    assert "edited since the import" in "".join(stack_lines(after.__traceback__))


def test_a_traceback_limit_set_by_code_is_honoured(monkeypatch):
    monkeypatch.setattr(sys, "tracebacklimit", 1, raising=False)
    exc = _failure(_nested, {"one": {"two": 1}})
    assert stack_lines(exc.__traceback__) == _python(exc) and len(_python(exc)) == 1


_OPERATORS = st.sampled_from(["+", "-", "*", "/", "//", "%", "**", "@", "<<", "&"])
_SPACES = st.sampled_from(["", " ", "  "])
_OPERANDS = st.sampled_from(["a", "b", "a.real", "c[0]", "f(a)", "(a)", "[a][0]", "'é'", "'漢字'", "None"])


@settings(max_examples=60, deadline=None)
@given(left=_OPERANDS, op=_OPERATORS, right=_OPERANDS, before=_SPACES, after=_SPACES, indent=st.integers(1, 3),
       split=st.booleans())
def test_generated_failing_expressions_give_pythons_text_formatted_or_remembered(tmp_path_factory, left, op, right,
                                                                               before, after, indent, split):
    # The same text twice: the second failure's frames come from what the first one left.
    joint = f"{before}{op}{after}" if not split else f"{before}{op}\\\n        {after}"
    source = (f"def f(x):\n    return x\n\n\ndef run(a, b, c):\n{'    ' * indent}return ({left}{joint}{right})\n")
    folder = tmp_path_factory.mktemp("expr")
    path = folder / "generated_expr.py"
    path.write_text(source, encoding="utf-8")
    module = _load(path, f"generated_expr_{abs(hash(source))}")
    for _ in range(2):
        try:
            module.run(None, {}, [None])
        except Exception as exc:  # noqa: BLE001 - most generated expressions fail (two strings may not)
            assert stack_lines(exc.__traceback__) == _python(exc)
