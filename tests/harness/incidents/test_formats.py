"""Log file formats: filter-log-events JSON, Logs Insights JSON (API and console) and CSV, read from samples in
AWS's own shapes; truncated and unknown files are located errors."""
from pathlib import Path

import pytest

from harness.incidents.formats import read_log_file
from harness.incidents.records import IncidentInputError

SAMPLES = Path(__file__).parent / "samples"


def test_filter_log_events_json_gives_every_event_with_stream_and_millisecond_time():
    fmt, lines = read_log_file(SAMPLES / "filter_log_events.json", "earnings-mark-earnings-processed")
    assert fmt == "cloudwatch-json"
    assert len(lines) == 14
    assert lines[1].message.startswith("START RequestId: 3f6c1a2e-8b4d-4c1e-9a7f-2d5e6b7c8a91")
    assert not lines[1].message.endswith("\n")
    assert lines[1].stream == "2026/11/27/[$LATEST]f3b1c2d4e5a6478b9c0d1e2f3a4b5c6d"
    assert (lines[1].time - lines[0].time).total_seconds() == pytest.approx(0.612)
    assert lines[1].function == "earnings-mark-earnings-processed"
    assert lines[1].where.endswith("filter_log_events.json:events[1]")


def test_filter_log_events_without_a_function_leaves_it_open():
    _, lines = read_log_file(SAMPLES / "filter_log_events.json")
    assert {ln.function for ln in lines} == {None}


@pytest.mark.parametrize("sample", ["insights_results.json", "insights_console.json"])
def test_logs_insights_json_takes_the_function_from_the_log_group(sample):
    fmt, lines = read_log_file(SAMPLES / sample)
    assert fmt == "insights-json"
    assert [ln.function for ln in lines] == ["replies-engine-dev-reply-sender"] * 5
    assert lines[2].message.startswith("[ERROR]\t2026-11-27T06:21:10.130Z")
    assert lines[2].time.isoformat() == "2026-11-27T06:21:10.130000+00:00"


def test_logs_insights_csv_keeps_a_multi_line_traceback_in_one_event():
    fmt, lines = read_log_file(SAMPLES / "insights.csv")
    assert fmt == "insights-csv"
    assert len(lines) == 5
    assert lines[1].message.startswith("[ERROR] ClientError: An error occurred (InternalServerError)")
    assert "Traceback (most recent call last):" in lines[1].message
    assert lines[1].function == "digital-twin-persister"


def test_a_truncated_json_export_is_a_located_error(tmp_path):
    text = (SAMPLES / "filter_log_events.json").read_text()
    cut = tmp_path / "cut.json"
    cut.write_text(text[: len(text) // 2])
    with pytest.raises(IncidentInputError, match=r"cut.json: invalid JSON at line \d+, column \d+.*truncated"):
        read_log_file(cut)


def test_a_truncated_csv_export_is_a_located_error(tmp_path):
    text = (SAMPLES / "insights.csv").read_text()
    cut = tmp_path / "cut.csv"
    cut.write_text(text[: text.index("Traceback") + 5])
    with pytest.raises(IncidentInputError, match="cut.csv.*truncated"):
        read_log_file(cut)


@pytest.mark.parametrize("content, message", [
    ('{"logEvents": []}', "unknown log format"),
    ("2026-11-27 START RequestId: x\n", "unknown log format"),
    ("", "the file is empty"),
    ('{"events": [{"timestamp": 1, "mesage": "x"}]}', r"events\[0\]: missing 'message'"),
])
def test_unknown_or_malformed_files_name_what_was_expected(tmp_path, content, message):
    path = tmp_path / "export.json"
    path.write_text(content)
    with pytest.raises(IncidentInputError, match=message):
        read_log_file(path)


def test_a_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(IncidentInputError, match="no such file"):
        read_log_file(tmp_path / "nope.json")
