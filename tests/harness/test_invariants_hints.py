"""no_secrets_in_logs searches a log line with a built-in credential pattern only when the line holds that
pattern's hint text: every match holds it, so skipping a line without it finds exactly what searching finds."""
import re

from hypothesis import given
from hypothesis import strategies as st

from harness.invariants import SECRET_HINTS, SECRET_PATTERNS, LinePattern

ASCII = st.characters(min_codepoint=0, max_codepoint=127)


def test_every_built_in_pattern_has_a_hint():
    assert set(SECRET_HINTS) == set(SECRET_PATTERNS)
    assert all(LinePattern.of(name, pattern).hints for name, pattern in SECRET_PATTERNS.items())


@given(data=st.data())
def test_every_match_of_a_built_in_pattern_in_an_ascii_line_holds_its_hint(data):
    name = data.draw(st.sampled_from(sorted(SECRET_PATTERNS)))
    line = data.draw(st.from_regex(SECRET_PATTERNS[name], alphabet=ASCII))
    pattern = LinePattern.of(name, SECRET_PATTERNS[name])
    assert pattern.pattern.search(line)
    text = line.lower() if pattern.lowered else line
    assert any(hint in text for hint in pattern.hints)


# Near misses and Unicode letters that `(?i)` matches but `str.lower` does not turn into ASCII (dotless i, long s,
# the Kelvin sign): such a line is not ASCII, so it is always searched.
FRAGMENTS = ["AKIA", "ASIA", "ABCDEFGHIJKLMNOP", "-----BEGIN RSA PRIVATE KEY-----", "PRIVATE KEY-----",
             "Authorization: Bearer ", "authorization=basic ", "AUTHORIZATION", "authorıżation: bearer ",
             "aws_secret_access_key = ", "AWS_SECRET_ACCESS_\u212aEY: ", "aws_\u017fecret_access_key=", "abcdefgh12345678",
             " ", "\"", "'", ":", "=", "\n"]


@given(line=st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=4)), max_size=8).map("".join))
def test_a_line_is_found_to_match_exactly_when_searching_it_finds_a_match(line):
    lowered = line.lower() if line.isascii() else None
    for name, source in SECRET_PATTERNS.items():
        assert LinePattern.of(name, source).search(line, lowered) == (re.search(source, line) is not None)


def test_a_configured_pattern_has_no_hint_and_is_always_searched():
    pattern = LinePattern.of("pattern 'AKIA'", SECRET_PATTERNS["AWS access key id"])
    assert pattern.hints == () and pattern.search("AKIAABCDEFGHIJKLMNOP", "akiaabcdefghijklmnop")
