"""The requirements register: located errors for bad registers, and unknown `proves:` ids as load errors."""
from pathlib import Path
from textwrap import dedent

import pytest

from harness.scenario import ScenarioError, load_scenario
from harness.scenario.requirements import find_folder, load_register, load_registers, missing_test

from .conftest import REGISTER, SCENARIO, SHOP, write_proving_scenario, write_register


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_register(path)
    return [str(p) for p in info.value.problems]


def test_a_valid_register_loads_with_ids_lines_and_proof_kind(library):
    register = load_register(library / "scenarios" / "requirements" / "shop.yaml")
    assert [r.id for r in register.requirements] == ["shop.orders.stored", "shop.docs.readme"]
    assert [r.behavioural for r in register.requirements] == [True, False]
    assert register.requirements[0].line == 4
    assert register.ids["shop.docs.readme"].tests == ("tests/test_docs.py::test_readme_explains",)


def test_a_duplicate_id_is_reported_at_its_line(library):
    path = write_register(library, REGISTER + "  - {id: shop.orders.stored, section: x, text: again}\n")
    [problem] = problems_of(path)
    assert ":12:" in problem and "duplicate id 'shop.orders.stored'" in problem and "requirements[0]" in problem


def test_a_bad_id_shape_and_a_missing_field_are_located(library):
    path = write_register(library, """
        system: shop
        seed: s.txt
        requirements:
          - {id: Shop Orders, section: s, text: t}
          - {id: shop.orders.x, text: t}
        """)
    problems = problems_of(path)
    assert any("requirements[0].id" in p and ":4:" in p for p in problems)
    assert any("missing required key 'section'" in p and ":5:" in p for p in problems)


def test_an_id_of_another_system_and_a_system_not_matching_the_file_are_errors(library):
    path = write_register(library, """
        system: shops
        seed: s.txt
        requirements:
          - {id: shops.orders.x, section: s, text: t}
          - {id: other.orders.x, section: s, text: t}
        """)
    problems = problems_of(path)
    assert any("does not match the file name" in p for p in problems)
    assert any("must start with the system name" in p and ":5:" in p for p in problems)


def test_unit_proof_needs_tests_and_scenario_proof_takes_none(library):
    path = write_register(library, """
        system: shop
        seed: s.txt
        requirements:
          - {id: shop.a.b, section: s, text: t, proof: unit}
          - {id: shop.a.c, section: s, text: t, tests: [tests/test_docs.py::test_readme_explains]}
          - {id: shop.a.d, section: s, text: t, proof: manual}
        """)
    problems = problems_of(path)
    assert any("proof: unit needs `tests:`" in p for p in problems)
    assert any("goes with `proof: unit`" in p for p in problems)
    assert any("expected one of scenario or unit" in p for p in problems)


def test_unit_node_ids_must_name_an_existing_test_function_class_or_method(library):
    roots = [library]
    assert missing_test("tests/test_docs.py::test_readme_explains", roots) is None
    assert missing_test("tests/test_docs.py::TestDocs::test_has_title", roots) is None
    assert missing_test("tests/test_docs.py::test_readme_explains[case-1]", roots) is None
    assert "no test 'test_readme_explain'" in missing_test("tests/test_docs.py::test_readme_explain", roots)
    assert "did you mean 'test_readme_explains'" in missing_test("tests/test_docs.py::test_readme_explain", roots)
    assert "no test 'test_gone' in tests/test_docs.py::TestDocs" in missing_test(
        "tests/test_docs.py::TestDocs::test_gone", roots)
    assert "not found" in missing_test("tests/nope.py::test_x", roots)
    assert "expected a pytest node id" in missing_test("tests/test_docs.py", roots)


def test_a_missing_unit_test_is_a_located_register_error(library):
    path = write_register(library, REGISTER.replace("test_readme_explains]", "test_readme_gone]"))
    [problem] = problems_of(path)
    assert "requirements[1].tests[0]" in problem and "no test 'test_readme_gone'" in problem


def test_the_folder_is_found_from_a_scenario_file_and_every_register_is_loaded(library):
    scenario = write_proving_scenario(library, "[shop.orders.stored]")
    folder = find_folder(scenario)
    assert folder == (library / "scenarios" / "requirements").resolve()
    assert list(load_registers(folder)) == ["shop"]


def test_a_scenario_proving_a_known_id_loads(library):
    scenario = load_scenario(write_proving_scenario(library, "[shop.orders.stored]"))
    assert scenario.model.proves == ["shop.orders.stored"]


def test_an_unknown_proves_id_is_a_located_load_error_with_a_suggestion(library):
    with pytest.raises(ScenarioError) as info:
        load_scenario(write_proving_scenario(library, "[shop.orders.stord]"))
    [problem] = info.value.problems
    assert problem.path == "proves[0]" and problem.line == 3
    assert "unknown requirement id 'shop.orders.stord'" in problem.message
    assert "did you mean 'shop.orders.stored'" in problem.message


def test_an_id_of_a_system_without_a_register_is_a_load_error(library):
    with pytest.raises(ScenarioError, match="no register for system 'twin'"):
        load_scenario(write_proving_scenario(library, "[twin.movers.cutoff]"))


def test_a_missing_unit_test_does_not_stop_scenarios_from_loading(library):
    # Scenarios only need the ids; `harness requirements` reports the missing test.
    write_register(library, REGISTER.replace("test_readme_explains]", "test_readme_gone]"))
    assert load_scenario(write_proving_scenario(library, "[shop.orders.stored]")).model.proves


def test_a_broken_register_makes_scenarios_proving_its_ids_unloadable(library):
    write_register(library, REGISTER + "  - {id: shop.orders.stored, section: x, text: again}\n")
    with pytest.raises(ScenarioError, match="the register shop.yaml cannot be loaded"):
        load_scenario(write_proving_scenario(library, "[shop.orders.stored]"))


def test_without_a_register_proves_ids_are_not_checked(tmp_path):
    path = tmp_path / "scenario.yaml"
    path.write_text(dedent(SCENARIO.format(shop=SHOP, proves="[anything.at.all]")).lstrip(), encoding="utf-8")
    assert load_scenario(path).model.proves == ["anything.at.all"]


def test_register_files_are_not_scenarios(library):
    from harness.scenario.discover import discover
    write_proving_scenario(library, "[shop.orders.stored]")
    assert [p.name for p in discover([library / "scenarios"])] == ["order_stored.yaml"]
