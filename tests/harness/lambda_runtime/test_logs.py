"""A log sink's `line` (the runtime's START/END/REPORT lines) gives exactly what writing the text and a newline
gives, whatever handler output is pending."""
from hypothesis import given
from hypothesis import strategies as st

from harness.lambda_runtime.logs import LogSink

TEXT = st.text(alphabet=st.sampled_from("ab \t\r\n"), max_size=12)


def _sink():
    emitted = []
    return LogSink(emitted.append), emitted


@given(st.lists(st.tuples(st.booleans(), TEXT), max_size=6))
def test_a_line_is_what_writing_it_with_a_newline_gives(steps):
    (fast, fast_emitted), (slow, slow_emitted) = _sink(), _sink()
    for is_line, text in steps:  # handler writes (possibly partial) and runtime lines, interleaved
        if is_line:
            fast.line(text)
        else:
            fast.write(text)
        slow.write(text + "\n" if is_line else text)
    fast.flush()
    slow.flush()
    assert fast.lines == slow.lines and fast_emitted == slow_emitted
