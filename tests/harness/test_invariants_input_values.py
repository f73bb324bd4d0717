"""no_secrets_in_logs finds sensitive fields' values in invocation inputs: what a text body holds is worked out
once per text, and the answer (values, the field each came from, their order) is what walking every input gives."""
import json
from types import SimpleNamespace
from urllib.parse import parse_qsl, urlencode

from hypothesis import given, settings
from hypothesis import strategies as st

from harness.invariants import _input_values


def _every_input_walked(view, fields, min_length):
    """The walk as it was before texts were remembered."""
    out = {}

    def walk(value):
        if isinstance(value, dict):
            for key, item in value.items():
                if key in fields and isinstance(item, (str, int)) and len(str(item)) >= min_length:
                    out[str(item)] = f"the value of input field {key!r}"
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str) and len(value) >= min_length and fields:
            stripped = value.strip()
            if stripped[:1] in "{[":
                try:
                    walk(json.loads(stripped))
                except ValueError:
                    pass
            elif "=" in stripped and " " not in stripped:
                walk(dict(parse_qsl(stripped)))

    if fields:
        for payloads in view.ledger.payloads.values():
            walk(payloads)
    return out


_keys = st.sampled_from(["Body", "To", "From", "token", "other", "x"])
_text = st.text(alphabet="ab+1=&{}[]\" :", max_size=12)
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**9, 10**9), st.floats(allow_nan=False), _text,
                     st.sampled_from(["+15551234567", "secret-value-1", "short", "Body=hello+there&To=%2B1555000"]))
_values = st.recursive(_scalars, lambda children: st.one_of(
    st.lists(children, max_size=3), st.dictionaries(_keys, children, max_size=3),
    st.builds(json.dumps, st.dictionaries(_keys, children, max_size=3)),
    st.builds(lambda d: " " + json.dumps(d)[:-1], st.dictionaries(_keys, children, min_size=1, max_size=2)),
    st.builds(urlencode, st.dictionaries(_keys, _text, max_size=3))), max_leaves=12)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(["Fn", "Other"]), st.lists(_values, max_size=3), max_size=2),
       st.sets(st.sampled_from(["Body", "To", "token"]), max_size=3), st.integers(1, 8))
def test_input_values_are_those_walking_every_input_finds_asked_once_or_again(payloads, fields, min_length):
    view = SimpleNamespace(ledger=SimpleNamespace(payloads=payloads))
    expected = _every_input_walked(view, fields, min_length)
    for _ in range(2):  # the second time every text is remembered
        found = _input_values(view, set(fields), min_length)
        assert found == expected
        assert list(found) == list(expected)
