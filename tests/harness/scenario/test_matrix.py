"""`python -m harness requirements`: the matrix, its per-system counts and its exit codes."""
import json

from harness.cli import main

from .conftest import write_proving_scenario, write_register

FAILING_EXPECT = """
expect:
  - invocations: {function: PlaceOrder, count: 5}
"""


def test_every_behavioural_requirement_proven_exits_0_and_prints_counts(library, capsys, monkeypatch):
    monkeypatch.chdir(library)
    write_proving_scenario(library, "[shop.orders.stored]")
    assert main(["requirements"]) == 0
    out = capsys.readouterr().out
    assert "shop.orders.stored" in out and "PROVEN" in out and "passed" in out and "order stored" in out
    assert "shop.docs.readme" in out and "UNIT" in out
    assert "2 requirement(s): 1 proven by a passing scenario, 1 by unit tests, 0 without a passing scenario" in out


def test_a_requirement_without_a_scenario_exits_1_and_is_named(library, capsys):
    write_proving_scenario(library, "[]")
    assert main(["requirements", str(library / "scenarios")]) == 1
    out = capsys.readouterr().out
    assert "MISSING shop.orders.stored: A placed order is stored" in out


def test_a_requirement_whose_only_scenario_fails_exits_1(library, capsys):
    write_proving_scenario(library, "[shop.orders.stored]", extra=FAILING_EXPECT)
    assert main(["requirements", str(library / "scenarios")]) == 1
    out = capsys.readouterr().out
    assert "failed" in out and "FAILING shop.orders.stored" in out


def test_one_passing_scenario_of_several_proves_the_requirement(library, capsys):
    write_proving_scenario(library, "[shop.orders.stored]", extra=FAILING_EXPECT)
    write_proving_scenario(library, "[shop.orders.stored]", name="order_stored_again")
    assert main(["requirements", str(library / "scenarios")]) == 0


def test_an_unknown_proves_id_exits_2(library, capsys):
    write_proving_scenario(library, "[shop.orders.unknown]")
    assert main(["requirements", str(library / "scenarios")]) == 2
    assert "unknown requirement id 'shop.orders.unknown'" in capsys.readouterr().out


def test_a_broken_register_exits_2_with_its_location(library, capsys):
    write_register(library, "system: shop\nseed: s.txt\nrequirements:\n  - {id: shop.x.y, section: s}\n")
    assert main(["requirements", str(library / "scenarios")]) == 2
    assert "shop.yaml:4" in capsys.readouterr().out


def test_results_of_an_earlier_run_are_read_instead_of_running(library, tmp_path, capsys):
    write_proving_scenario(library, "[shop.orders.stored]")
    reports = tmp_path / "reports"
    assert main(["run", str(library / "scenarios"), "--report-dir", str(reports)]) == 0
    saved = json.loads((reports / "results.json").read_text())
    assert saved["results"][0]["proves"] == ["shop.orders.stored"]
    capsys.readouterr()
    assert main(["requirements", "--results", str(reports / "results.json"),
                 "--register", str(library / "scenarios" / "requirements")]) == 0
    saved["results"][0]["status"] = "failed"
    (reports / "results.json").write_text(json.dumps(saved))
    assert main(["requirements", "--results", str(reports / "results.json"),
                 "--register", str(library / "scenarios" / "requirements")]) == 1


def test_a_results_file_that_is_not_one_exits_2(library, tmp_path, capsys):
    bad = tmp_path / "results.json"
    bad.write_text("{not json")
    assert main(["requirements", "--results", str(bad), "--register",
                 str(library / "scenarios" / "requirements")]) == 2


def test_no_register_found_exits_2(tmp_path, capsys):
    assert main(["requirements", str(tmp_path)]) == 2
    assert "no requirements register found" in capsys.readouterr().out


def test_an_unknown_system_exits_2(library, capsys):
    assert main(["requirements", str(library / "scenarios"), "--system", "shp"]) == 2
    assert "did you mean 'shop'" in capsys.readouterr().out


def test_the_run_summary_and_reports_show_what_a_scenario_proves(library, tmp_path, capsys):
    write_proving_scenario(library, "[shop.orders.stored]", extra=FAILING_EXPECT)
    assert main(["run", str(library / "scenarios"), "--report-dir", str(tmp_path / "r")]) == 1
    out = capsys.readouterr().out
    assert out.count("proves: shop.orders.stored") == 2  # the summary row and the failure report
    assert "proves: <code>shop.orders.stored</code>" in (tmp_path / "r" / "index.html").read_text()


def test_a_bad_worker_count_exits_2(library, capsys):
    assert main(["requirements", str(library / "scenarios"), "-n", "0"]) == 2
    assert "-n: expected 'auto' or a number of processes >= 1" in capsys.readouterr().out


def test_summary_prints_only_the_counts_and_what_is_not_proven(library, capsys):
    write_proving_scenario(library, "[]")
    assert main(["requirements", str(library / "scenarios"), "--summary"]) == 1
    out = capsys.readouterr().out
    assert "Requirements per system" in out and "MISSING shop.orders.stored" in out
    assert "Requirements: shop" not in out
