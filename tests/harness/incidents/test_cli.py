"""`incident import` and `logs export` on the command line: what they print, what they write, and a clear
error (exit 2, no traceback) for bad input."""
import json
from pathlib import Path

import pytest

from harness.cli import main

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = Path(__file__).parent / "samples"
SCENARIO = ROOT / "scenarios" / "messages" / "send_fails_rolls_back.yaml"
MESSAGES = ROOT / "handlers" / "messages" / "template.yaml"
EARNINGS = ROOT / "handlers" / "earnings" / "template.yaml"


def test_logs_export_writes_one_filter_log_events_file_per_function(tmp_path, capsys):
    assert main(["logs", "export", str(SCENARIO), "--format", "cloudwatch-json", "--out", str(tmp_path)]) == 0
    doc = json.loads((tmp_path / "message-api-post-message.json").read_text())
    messages = [e["message"] for e in doc["events"]]
    assert messages[0].startswith("START RequestId: ") and messages[0].endswith(" Version: $LATEST\n")
    report = messages[-1]
    assert report.startswith("REPORT RequestId: ")
    for field in ("Duration: ", "Billed Duration: ", "Memory Size: 256 MB", "Max Memory Used: ", "Init Duration: "):
        assert field in report
    assert set(doc["events"][0]) == {"logStreamName", "timestamp", "message", "ingestionTime", "eventId"}
    assert "message-api-post-message.json" in capsys.readouterr().out


def test_logs_export_insights_csv_to_standard_output(capsys):
    assert main(["logs", "export", str(SCENARIO), "--format", "insights-csv"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("@timestamp,@message,@logStream,@log\n")
    assert "123456789012:/aws/lambda/message-api-post-message" in out


def test_logs_export_cloudwatch_json_needs_a_folder(capsys):
    assert main(["logs", "export", str(SCENARIO), "--format", "cloudwatch-json"]) == 2
    assert "give --out FOLDER" in capsys.readouterr().out


def test_incident_import_prints_what_it_mapped_and_what_it_could_not(tmp_path, capsys):
    out = tmp_path / "incident.yaml"
    code = main(["incident", "import", "--template", str(EARNINGS), "--logs",
                 f"MarkEarningsProcessedFunction={SAMPLES / 'filter_log_events.json'}",
                 "--dlq", f"EarningsDLQ={SAMPLES / 'dlq_receive.json'}", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "function earnings-mark-earnings-processed: 3 invocations (error 1, success 1, timeout 1)" in printed
    assert "fault dynamodb-transactwriteitems-provisionedthroughputexceededexception" in printed
    assert "input at 40.500s: put_event <- DLQ message" in printed  # SentTimestamp
    text = out.read_text()
    assert "effect: {type: lambda_timeout" in text and "error_type: Runtime.OutOfMemory" in text
    assert "- dlq: {queue: EarningsDLQ, depth: 1}" in text
    assert "# the plan's behaviour" in text
    assert main(["list", str(out)]) == 0  # the written scenario loads


def test_incident_import_lists_unmappable_lines_with_the_reason(tmp_path, capsys):
    logs = tmp_path / "earnings-mark-earnings-processed.json"
    events = [{"timestamp": 1900000000000, "message": "[ERROR]\t2030-03-17T17:46:40.000Z\t\tconfig missing\n"}]
    logs.write_text(json.dumps({"events": events}))
    assert main(["incident", "import", "--template", str(EARNINGS), "--logs", str(logs),
                 "--out", str(tmp_path / "x.yaml")]) == 0
    printed = capsys.readouterr().out
    assert "not mapped" in printed
    assert "events[0]: outside any invocation" in printed
    assert "(inputs): no input events" in printed


@pytest.mark.parametrize("args, message", [
    (["--logs", "MISSING.json"], "MISSING.json: no such file"),
    (["--logs", "NoSuchFunction=x.json"], "no function 'NoSuchFunction' in the template"),
    (["--logs", "{samples}/insights_results.json"], "not in"),
    (["--logs", "{samples}/lambda_json_format.json"], "cannot tell which function"),
    (["--logs", "MarkEarningsProcessedFunction={samples}/filter_log_events.json", "--dlq", "{samples}/insights.csv"],
     "invalid JSON"),
])
def test_incident_import_bad_input_exits_2_with_a_clear_message(tmp_path, capsys, args, message):
    args = [a.replace("{samples}", str(SAMPLES)) for a in args]
    code = main(["incident", "import", "--template", str(EARNINGS), *args, "--out", str(tmp_path / "x.yaml")])
    printed = capsys.readouterr()
    assert code == 2
    assert message in printed.out
    assert "Traceback" not in printed.out + printed.err
