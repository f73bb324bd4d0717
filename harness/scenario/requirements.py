"""The requirements register: `scenarios/requirements/<system>.yaml`, every testable requirement of a system's
plan with a stable id. Scenarios name the ids they prove (`proves:`); requirements that cannot be observed from
outside the code name the unit tests that prove them (`proof: unit`, `tests:` pytest node ids)."""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, model_validator

from harness import dependencies
from harness.scenario import pydantic_errors
from harness.scenario.errors import Problem, ScenarioError, one_of, suggest
from harness.scenario.source import Source, read
from harness.scenario.values import Model

FOLDER = "requirements"
ID_PATTERN = r"^[a-z0-9_-]+(\.[a-z0-9_-]+)+$"
_SEARCH_UP = 6
RequirementId = Annotated[str, Field(pattern=ID_PATTERN)]


class RequirementModel(Model):
    """One entry of a register file."""

    id: RequirementId
    section: Annotated[str, Field(min_length=1)]
    text: Annotated[str, Field(min_length=1)]
    proof: Literal["scenario", "unit"] = "scenario"
    tests: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _tests_with_unit_proof(self) -> RequirementModel:
        if self.proof == "unit" and not self.tests:
            raise ValueError("proof: unit needs `tests:`, the pytest node ids that prove it "
                             "(e.g. tests/handlers/x/test_y.py::test_z)")
        if self.proof == "scenario" and self.tests:
            raise ValueError("`tests:` goes with `proof: unit`; a scenario-proven requirement is proven by the "
                             "scenarios whose `proves:` names it")
        return self


class RegisterModel(Model):
    """A register file: the system, the plan it comes from, its requirements."""

    system: Annotated[str, Field(min_length=1)]
    seed: Annotated[str, Field(min_length=1)]
    description: str = ""
    requirements: list[RequirementModel] = Field(default_factory=list)


@dataclass(frozen=True)
class Requirement:
    """A requirement, where it is written, and how it is proven."""

    id: str
    system: str
    section: str
    text: str
    proof: str
    tests: tuple[str, ...]
    file: str
    line: int

    @property
    def behavioural(self) -> bool:
        """True when a passing scenario must prove it (proof: scenario)."""
        return self.proof == "scenario"


@dataclass(frozen=True)
class Register:
    """One system's register file."""

    system: str
    seed: str
    path: Path
    requirements: tuple[Requirement, ...]

    @property
    def ids(self) -> dict[str, Requirement]:
        """Requirements by id."""
        return {r.id: r for r in self.requirements}


_CACHE: dict[tuple[Path, bool], tuple[tuple[int, int], Register | ScenarioError]] = {}


def load_register(path: str | Path, check_tests: bool = True) -> Register:
    """Read and validate one register file; ScenarioError lists every located problem. `check_tests=False`
    skips looking up the unit tests' node ids (a scenario's load only needs the ids)."""
    path = Path(path)
    dependencies.note(path)
    try:
        stat = path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        stamp = (0, 0)
    key = (path.resolve(), check_tests)
    cached = _CACHE.get(key)
    if cached is None or cached[0] != stamp:
        try:
            cached = (stamp, _load(path, check_tests))
        except ScenarioError as exc:
            cached = (stamp, exc)
        _CACHE[key] = cached
    if isinstance(cached[1], ScenarioError):
        raise cached[1]
    return cached[1]


def _load(path: Path, check_tests: bool) -> Register:
    source = read(path)
    if not isinstance(source.data, dict):
        raise ScenarioError([source.problem((), "expected a register mapping: system, seed, requirements")])
    try:
        model = RegisterModel.model_validate(source.data)
    except ValidationError as exc:
        raise ScenarioError(pydantic_errors.problems(source, (), exc, RegisterModel)) from None
    problems: list[Problem] = []
    if model.system != path.stem:
        problems.append(source.problem(("system",), f"system {model.system!r} does not match the file name; a "
                                       f"register is named <system>.yaml (expected system: {path.stem})"))
    seen: dict[str, int] = {}
    out = []
    for i, req in enumerate(model.requirements):
        where = ("requirements", i)
        if not req.id.startswith(model.system + "."):
            problems.append(source.problem(where + ("id",), f"id {req.id!r} must start with the system name: "
                                           f"{model.system}.<area>.<behaviour>"))
        if req.id in seen:
            problems.append(source.problem(where + ("id",), f"duplicate id {req.id!r} (first at "
                                           f"requirements[{seen[req.id]}])"))
        seen.setdefault(req.id, i)
        for j, node_id in enumerate(req.tests if check_tests else ()):
            message = missing_test(node_id, _repo_roots(path))
            if message:
                problems.append(source.problem(where + ("tests", j), message))
        out.append(Requirement(req.id, model.system, req.section, req.text, req.proof, tuple(req.tests),
                               str(path), source.where(where)[0]))
    if problems:
        raise ScenarioError(problems)
    return Register(model.system, model.seed, path, tuple(out))


def _repo_roots(register_path: Path) -> list[Path]:
    """Where test node ids are relative to: the folder holding `scenarios/`, then the working directory."""
    resolved = register_path.resolve()
    roots = [resolved.parents[2]] if len(resolved.parents) > 2 else []
    return roots + [Path.cwd()]


def missing_test(node_id: str, roots: list[Path]) -> str | None:
    """None when the pytest node id `file.py::[Class::]name[param]` names a test that exists, else why not.
    The file is parsed, not imported or run."""
    file, _, rest = node_id.partition("::")
    if not file.endswith(".py") or not rest:
        return f"expected a pytest node id like tests/x/test_y.py::test_z; got {node_id!r}"
    path = next((root / file for root in roots if (root / file).is_file()), None)
    if path is None:
        return f"test file {file!r} not found (looked in {', '.join(str(r) for r in roots)})"
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (SyntaxError, UnicodeDecodeError) as exc:
        return f"test file {file!r} cannot be parsed: {exc}"
    body: list[ast.stmt] = tree.body
    names = [re.sub(r"\[.*\]$", "", part) for part in rest.split("::")]
    for depth, name in enumerate(names):
        defined = {node.name: node for node in body
                   if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
        if name not in defined:
            scope = f"{file}::{'::'.join(names[:depth])}" if depth else file
            return f"no test {name!r} in {scope}{suggest(name, defined)}"
        node = defined[name]
        body = node.body if isinstance(node, ast.ClassDef) else []
    return None


def find_folder(start: Path) -> Path | None:
    """The register folder for a scenario file or folder: `scenarios/requirements/` at or above it."""
    start = start.resolve()
    base = start if start.is_dir() else start.parent
    for root in [base, *list(base.parents)[:_SEARCH_UP]]:
        if root.name == "scenarios":
            dependencies.note(root / FOLDER)
            if (root / FOLDER).is_dir():
                return root / FOLDER
        dependencies.note(root / "scenarios" / FOLDER)
        if (root / "scenarios" / FOLDER).is_dir():
            return root / "scenarios" / FOLDER
    return None


def register_files(folder: Path) -> list[Path]:
    """The register files in a register folder (README and private files aside)."""
    dependencies.note(folder)  # its listing
    found = [*folder.glob("*.yaml"), *folder.glob("*.yml")]
    return sorted(p for p in found if not p.name.startswith(("_", ".")))


def load_registers(folder: Path) -> dict[str, Register]:
    """Every register in `folder` by system; ScenarioError with the problems of all of them."""
    registers: dict[str, Register] = {}
    problems: list[Problem] = []
    for path in register_files(folder):
        try:
            register = load_register(path)
        except ScenarioError as exc:
            problems += exc.problems
            continue
        registers[register.system] = register
    if problems:
        raise ScenarioError(problems)
    return registers


def proves_problems(source: Source, proves: list[str]) -> list[Problem]:
    """Located problems for `proves:` ids not in the library's register (none when the library has none)."""
    folder = find_folder(Path(source.file))
    if not proves or folder is None or not register_files(folder):
        return []
    problems = []
    for i, req_id in enumerate(proves):
        if not isinstance(req_id, str) or not re.match(ID_PATTERN, req_id):
            continue  # the model reports the id's shape
        where = ("proves", i)
        system = req_id.split(".", 1)[0]
        path = folder / f"{system}.yaml"
        dependencies.note(path)
        if not path.is_file():
            known = [p.stem for p in register_files(folder)]
            problems.append(source.problem(where, f"no register for system {system!r}{suggest(system, known)} "
                                           f"(expected {path}); registers: {one_of(known)}"))
            continue
        try:
            ids = load_register(path, check_tests=False).ids
        except ScenarioError as exc:
            first = exc.problems[0] if exc.problems else "?"
            problems.append(source.problem(where, f"the register {path.name} cannot be loaded "
                                           f"({len(exc.problems)} problem(s), first: {first})"))
            continue
        if req_id not in ids:
            problems.append(source.problem(where, f"unknown requirement id {req_id!r}{suggest(req_id, ids)}; "
                                           f"the ids are listed in {path}"))
    return problems
