"""Loads a scenario file into a runnable Scenario, or raises ScenarioError listing every problem with its
file, line, column, field path and what was expected. A scenario that loads is guaranteed runnable: names
are checked against the system's template, step kinds against the installed pieces, fault rules by the fault
engine, invariants against their registry."""
from __future__ import annotations

import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from harness.errors import InputError
from harness.scenario import catalog as _catalog
from harness.scenario import pydantic_errors, requirements
from harness.scenario.errors import Problem, ScenarioError, one_of, suggest
from harness.scenario.expectations import EXPECTATIONS, Expectation
from harness.scenario.model import ScenarioModel
from harness.scenario.source import Source, read
from harness.scenario.steps import STEPS, Step
from harness.scenario.system import DEFAULTS_FILE, SystemDefaults, find_defaults, resolve_template
from harness.scenario.values import Ref


@dataclass
class Scenario:
    """A loaded, validated scenario."""

    file: str
    model: ScenarioModel
    template: Path
    catalog: _catalog.Catalog
    steps: list[Step]
    step_lines: list[int]
    expect: list[tuple[Expectation, int]]
    asserts: dict[int, list[tuple[Expectation, int]]]
    invariants: list[Any]
    fault_rules: list[dict]
    step_index: list[int] = field(default_factory=list)  # position in the file of each step
    top_level_faults: list[dict] = field(default_factory=list)
    defaults: SystemDefaults | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The scenario's name."""
        return self.model.name

    @property
    def seed(self) -> int:
        """The seed written in the file."""
        return self.model.seed

    @property
    def folder(self) -> Path:
        """Folder of the scenario file (relative paths in steps start here)."""
        return Path(self.file).parent


def load_scenario(path: str | Path) -> Scenario:
    """Read, validate and resolve one scenario file."""
    if Path(path).name == DEFAULTS_FILE:
        raise ScenarioError([Problem(str(path), 1, 1, "", f"{DEFAULTS_FILE} holds a system's default invariant "
                                     f"settings, not a scenario; run the scenario files beside it")])
    source = read(path)
    return _Loader(source).load()


class _Loader:
    def __init__(self, source: Source):
        self.source = source
        self.problems: list[Problem] = []
        self.step_index: list[int] = []  # position in the file of each validated step
        self.paths: dict[int, tuple] = {}  # id(validated step or expectation) -> its path in the file

    def fail_if_any(self) -> None:
        if self.problems:
            raise ScenarioError(self.problems)

    def load(self) -> Scenario:
        data = self.source.data
        if not isinstance(data, dict):
            raise ScenarioError([self.source.problem((), f"expected a mapping of scenario keys (name, system, "
                                                         f"steps, ...); got {type(data).__name__}")])
        try:
            model = ScenarioModel.model_validate(data)
        except ValidationError as exc:
            self.problems += pydantic_errors.problems(self.source, (), exc, ScenarioModel)
            # Keep going with what is valid so one run reports every problem it can.
            model = None
        template, cat, warnings = self._system(data)
        if isinstance(data.get("proves"), list):
            self.problems += requirements.proves_problems(self.source, data["proves"])
        steps, lines, asserts = self._steps(data.get("steps"))
        expect = self._expectations(data.get("expect"), ("expect",))
        rules = self._faults(data, steps)
        defaults = self._defaults(data)
        invariants = self._invariants(data.get("invariants", None), defaults)
        if model is not None and model.backend is not None:
            from harness.aws.backend import BACKENDS
            if model.backend not in BACKENDS and not model.backend.startswith("localstack"):
                self.problems.append(self.source.problem(("backend",), f"unknown backend {model.backend!r}"
                                                         f"{suggest(model.backend, BACKENDS)}; expected one of "
                                                         f"{one_of(BACKENDS)}"))
        if model is not None and cat is not None:
            self._check_mocks(model, cat)
        if cat is not None:
            self._check_refs(cat, steps, expect, asserts, invariants)
        self._check_step_ids(steps, expect, asserts)
        self._check_fault_ids(rules, expect, asserts)
        self.fail_if_any()
        assert model is not None and template is not None and cat is not None
        return Scenario(self.source.file, model, template, cat, steps, lines, expect, asserts, invariants, rules,
                        self.step_index, list(model.faults), defaults, warnings)

    def _check_mocks(self, model: ScenarioModel, cat: _catalog.Catalog) -> None:
        from harness.lambda_runtime.stubs import FunctionMock
        functions = cat.names.get("function", {})
        for name, spec in model.functions.items():
            if name not in functions:
                self.problems.append(self.source.problem(("functions", name), f"{name!r} is not a function of the "
                                                         f"system{suggest(name, set(functions))}"))
            elif set(spec) != {"mock"}:
                self.problems.append(self.source.problem(("functions", name), "expected {mock: {...}}"))
            else:
                try:
                    FunctionMock.coerce(spec["mock"], Path(self.source.file).parent, f"functions.{name}.mock")
                except InputError as exc:
                    self.problems.append(self.source.problem(("functions", name, "mock"), str(exc)))

    # ------------------------------------------------------------------ system
    def _system(self, data: dict) -> tuple[Path | None, _catalog.Catalog | None, list[str]]:
        system = data.get("system")
        if not isinstance(system, str) or not system:
            return None, None, []
        try:
            template_path = resolve_template(system, Path(self.source.file))
        except InputError as exc:
            self.problems.append(self.source.problem(("system",), str(exc)))
            return None, None, []
        folder = Path(self.source.file).parent
        if system.endswith((".yaml", ".yml")) or "/" in system:
            from harness.scenario import limits
            # A template may sit in the scenario's folder or the two above it (scenarios/<system>/x.yaml next to
            # handlers/), the working directory or the harness's checkout; a path reaching further is refused.
            if not limits.confined(template_path, *list(folder.resolve().parents)[:2], folder,
                                   *limits.project_roots()):
                self.problems.append(self.source.problem(("system",), f"{system} is outside the folders a system "
                                                         f"may come from (the scenario's folder and the two above "
                                                         f"it, and the project {Path.cwd()}){limits.hint('allowed_paths')}"))
                return None, None, []
        params = data.get("parameters") if isinstance(data.get("parameters"), dict) else {}
        from harness.template import load_template
        try:
            template = load_template(template_path, {k: str(v) if not isinstance(v, str) else v
                                                     for k, v in params.items()}, data.get("stack_name"))
        except InputError as exc:
            where = ("parameters",) if "parameter" in str(exc) and params else ("system",)
            self.problems.append(self.source.problem(where, f"the system's template cannot be loaded: {exc}"))
            return None, None, []
        return template_path, _catalog.build(template), list(template.warnings)

    # ------------------------------------------------------------------ steps
    def _steps(self, raw: Any) -> tuple[list[Step], list[int], dict[int, list[tuple[Expectation, int]]]]:
        steps: list[Step] = []
        lines: list[int] = []
        asserts: dict[int, list[tuple[Expectation, int]]] = {}
        if not isinstance(raw, list):
            return steps, lines, asserts
        from harness.simulation import Simulation
        for i, item in enumerate(raw):
            path = ("steps", i)
            parsed = self._entry(item, path, STEPS, "step", "- invoke: {function: MyFunction}")
            if parsed is None:
                continue
            kind, cls, args = parsed
            if cls.requires and not hasattr(Simulation, cls.requires):
                self.problems.append(self.source.problem(path + (kind,), f"step {kind!r} needs "
                                     f"Simulation.{cls.requires}, which the event-sources engine provides; it is "
                                     f"not installed in this checkout", key=True))
                continue
            step = self._validate(cls, args, path + (kind,))
            if step is None:
                continue
            self._extra_checks(step, path + (kind,))
            if kind == "assert":
                asserts[len(steps)] = self._expectations(step.expect, path + (kind,))
            self.step_index.append(i)
            steps.append(step)
            lines.append(self.source.where(path)[0])
        return steps, lines, asserts

    def _entry(self, item: Any, path: tuple, registry: Any, what: str, example: str) -> tuple | None:
        """A one-key mapping `{kind: args}` -> (kind, class, args dict), or a recorded problem."""
        if not isinstance(item, dict) or len(item) != 1:
            known = [k for k in (item if isinstance(item, dict) else {}) if k in registry]
            if isinstance(item, dict) and len(item) > 1 and known:
                message = (f"a {what} has exactly one key, its kind; found keys {', '.join(map(str, item))} - "
                           f"indent the arguments under `{known[0]}:`")
            elif isinstance(item, str) and item in registry and _needs_nothing(registry.get(item)):
                return item, registry.get(item), {}
            elif isinstance(item, str) and item in registry:
                message = f"{what} {item!r} needs arguments: write it as `- {item}: ...`"
            else:
                message = f"expected a {what}: a mapping with one key, the {what} kind (e.g. `{example}`); " \
                          f"got {item!r}"[:300]
            self.problems.append(self.source.problem(path, message))
            return None
        (kind, args), = item.items()
        try:
            cls = registry.get(kind)
        except KeyError as exc:
            self.problems.append(self.source.problem(path + (kind,), exc.args[0], key=True))
            return None
        if not isinstance(args, dict) or (cls.shorthand and cls.shorthand not in (args or {})
                                          and not _fits_mapping(cls, args)):
            if cls.shorthand:
                args = {} if args is None or args is True else {cls.shorthand: args}
            elif args is None:
                args = {}
            else:
                self.problems.append(self.source.problem(path + (kind,), f"expected a mapping of {what} "
                                     f"arguments; got {args!r}"[:300]))
                return None
        return kind, cls, args

    def _validate(self, cls: type[BaseModel], args: dict, path: tuple) -> Any:
        try:
            return cls.model_validate(args)
        except ValidationError as exc:
            self.problems += pydantic_errors.problems(self.source, path, exc, cls)
            return None

    def _extra_checks(self, step: Step, path: tuple) -> None:
        for sub, message in step.problems(Path(self.source.file).parent):
            self.problems.append(self.source.problem(path + sub, message))

    # ------------------------------------------------------------------ expectations
    def _expectations(self, raw: Any, base: tuple) -> list[tuple[Expectation, int]]:
        out: list[tuple[Expectation, int]] = []
        if not isinstance(raw, list):
            return out
        for i, item in enumerate(raw):
            path = base + (i,)
            parsed = self._entry(item, path, EXPECTATIONS, "expectation", "- invocations: {function: F, count: 1}")
            if parsed is None:
                continue
            kind, cls, args = parsed
            value = self._validate(cls, args, path + (kind,))
            if value is not None:
                self.paths[id(value)] = path + (kind,)
                out.append((value, self.source.where(path)[0]))
        return out

    # ------------------------------------------------------------------ faults
    def _faults(self, data: dict, steps: list[Step]) -> list[dict]:
        rules = list(data.get("faults") or []) if isinstance(data.get("faults"), list) else []
        paths = [("faults", i) for i in range(len(rules))]
        for i, step in enumerate(steps):
            if step.kind == "add_faults":
                rules += step.rules
                paths += [("steps", self.step_index[i], "add_faults", j) for j in range(len(step.rules))]
        if not rules:
            return []
        try:
            from harness.faults import FaultPlan  # type: ignore[attr-defined]
        except ImportError:
            self.problems.append(self.source.problem(("faults",), "fault rules need the fault injection engine "
                                                     "(harness.faults.FaultPlan), which is not installed in this "
                                                     "checkout"))
            return rules
        import inspect

        from harness.simulation import Simulation
        if "faults" not in inspect.signature(Simulation.__init__).parameters:
            self.problems.append(self.source.problem(("faults",), "this checkout's Simulation does not accept "
                                                     "faults= yet (the fault engine is not wired in)"))
            return rules
        for rule, path in zip(rules, paths):
            try:
                FaultPlan.from_dicts([rule], source=self.source.file)
            except InputError as exc:
                sub, message = _rule_path(_strip_source(str(exc), self.source.file))
                self.problems.append(self.source.problem(path + sub, message))
        return rules

    # ------------------------------------------------------------------ invariants
    def _defaults(self, data: dict) -> SystemDefaults | None:
        system = data.get("system")
        if not isinstance(system, str):
            return None
        try:
            return find_defaults(system, Path(self.source.file))
        except ScenarioError as exc:
            self.problems += exc.problems
            return None

    def _invariants(self, raw: Any, defaults: SystemDefaults | None) -> list[Any]:
        """The invariants to check: the system's defaults when `invariants` is absent, else the listed ones
        (each with the system's settings for it, overridden by inline settings)."""
        configured = defaults.invariants if defaults else {}
        chosen: list[tuple[str, dict, Source, tuple]] = []  # name, inline settings, where the name is written
        if raw is None:
            chosen = [(name, {}, defaults.source, ("invariants", name)) for name in configured] if defaults else []
        elif isinstance(raw, list):
            for i, item in enumerate(raw):
                path = ("invariants", i)
                if isinstance(item, str):
                    chosen.append((item, {}, self.source, path))
                elif isinstance(item, dict) and len(item) == 1 and isinstance(next(iter(item.values())) or {}, dict):
                    (name, config), = item.items()
                    chosen.append((str(name), config or {}, self.source, path + (name,)))
                else:
                    self.problems.append(self.source.problem(path, "expected an invariant name, or a mapping "
                                                             "{name: {settings}}; got " + repr(item)[:120]))
        from harness.invariants import INVARIANTS
        out = []
        for name, inline, source, path in chosen:
            try:
                cls = INVARIANTS.get(name)
            except KeyError as exc:
                self.problems.append(source.problem(path, exc.args[0], key=source is not self.source))
                continue
            base = configured.get(name) or {}
            try:
                out.append(cls.model_validate({**base, **inline}))
            except ValidationError as exc:
                # Settings written inline are reported in the scenario, the rest in the system's defaults file.
                where_source, where = (self.source, path) if inline or defaults is None else \
                    (defaults.source, ("invariants", name))
                self.problems += pydantic_errors.problems(where_source, where, exc, cls)
        return out

    # ------------------------------------------------------------------ cross-references
    def _check_refs(self, cat: _catalog.Catalog, steps: list, expect: list, asserts: dict, invariants: list) -> None:
        for i, step in enumerate(steps):
            self._walk(cat, step, ("steps", self.step_index[i], step.kind), self.source)
        for value, _ in expect + [item for items in asserts.values() for item in items]:
            self._walk(cat, value, self.paths[id(value)], self.source)
        model = self.source.data
        if isinstance(model.get("setup"), dict):
            from harness.scenario.model import Setup
            try:
                self._walk(cat, Setup.model_validate(model["setup"]), ("setup",), self.source)
            except ValidationError:
                pass
        for rule_path, rule in _fault_functions(self.source.data):
            self._name(cat, "function", rule, rule_path, self.source)
        for inv in invariants:
            self._walk(cat, inv, ("invariants",), self.source)

    def _walk(self, cat: _catalog.Catalog, value: Any, path: tuple, source: Source) -> None:
        if not isinstance(value, BaseModel):
            return
        for name, info in type(value).model_fields.items():
            key = info.alias or name
            item = getattr(value, name)
            ref = next((m for m in info.metadata if isinstance(m, Ref)), None) or _ref_of(info.annotation)
            if ref is not None and isinstance(item, str):
                self._name(cat, ref.kind, item, path + (key,), source)
            key_ref = _dict_key_ref(info.annotation)
            if key_ref is not None and isinstance(item, dict):
                for k in item:
                    self._name(cat, key_ref.kind, k, path + (key, k), source, as_key=True)
            if isinstance(item, BaseModel):
                self._walk(cat, item, path + (key,), source)
            elif isinstance(item, (list, tuple)):
                for j, sub in enumerate(item):
                    self._walk(cat, sub, path + (key, j), source)
            elif isinstance(item, dict):
                for k, sub in item.items():
                    self._walk(cat, sub, path + (key, k), source)

    def _name(self, cat: _catalog.Catalog, kind: str, name: str, path: tuple, source: Source,
              as_key: bool = False) -> None:
        try:
            cat.resolve(kind, name)
        except ValueError as exc:
            self.problems.append(source.problem(path, str(exc), key=as_key))

    def _check_step_ids(self, steps: list, expect: list, asserts: dict) -> None:
        seen: dict[str, int] = {}
        for i, step in enumerate(steps):
            step_id = getattr(step, "id", None)
            if step_id is None:
                continue
            index = self.step_index[i]
            if step_id in seen:
                self.problems.append(self.source.problem(("steps", index, step.kind, "id"),
                                                         f"step id {step_id!r} is already used by steps[{seen[step_id]}]"))
            seen.setdefault(step_id, index)
        def check(value: Any, path: tuple, before: int | None) -> None:
            ref = getattr(value, "step", None)
            if value.kind in ("http", "result") and isinstance(ref, str):
                if ref not in seen:
                    self.problems.append(self.source.problem(path + ("step",), f"no step has id {ref!r}"
                                                             f"{suggest(ref, seen)}; give the step `id: {ref}`"))
                elif before is not None and seen[ref] >= before:
                    self.problems.append(self.source.problem(path + ("step",), f"step {ref!r} runs after this "
                                                             f"assert (steps[{seen[ref]}])"))
        for value, _ in expect:
            check(value, self.paths[id(value)], None)
        for index, items in asserts.items():
            for value, _ in items:
                check(value, self.paths[id(value)], self.step_index[index])

    def _check_fault_ids(self, rules: list[dict], expect: list, asserts: dict) -> None:
        ids = {str(r.get("id")) for r in rules if isinstance(r, dict) and r.get("id") is not None}
        seen: dict[str, int] = {}
        top = self.source.data.get("faults") if isinstance(self.source.data.get("faults"), list) else []
        for i, rule in enumerate(top):
            rule_id = rule.get("id") if isinstance(rule, dict) else None
            if rule_id is None:
                continue
            if str(rule_id) in seen:
                self.problems.append(self.source.problem(("faults", i, "id"), f"fault id {rule_id!r} is already "
                                                         f"used by faults[{seen[str(rule_id)]}]; ids must be unique"))
            seen.setdefault(str(rule_id), i)
        for value, _ in expect + [item for items in asserts.values() for item in items]:
            path = self.paths[id(value)]
            if value.kind == "fault" and value.rule not in ids:
                self.problems.append(self.source.problem(path + ("rule",), f"no fault rule has id {value.rule!r}"
                                                         f"{suggest(value.rule, ids)}; rules: {one_of(ids)}"))


def _needs_nothing(cls: Any) -> bool:
    """True when every field of the model has a default (the kind may be written bare: `- run_until_idle`)."""
    return all(not info.is_required() for info in cls.model_fields.values())


def _fits_mapping(cls: Any, args: Any) -> bool:
    """A mapping value is the step's own arguments when its keys are the model's fields."""
    if not isinstance(args, dict):
        return False
    names = {info.alias or name for name, info in cls.model_fields.items()}
    return bool(set(args) & names)


def _ref_of(annotation: Any) -> Ref | None:
    """A Ref marker on an Optional[Annotated[str, Ref]] annotation."""
    for arg in typing.get_args(annotation):
        for meta in getattr(arg, "__metadata__", ()):
            if isinstance(meta, Ref):
                return meta
    return None


def _dict_key_ref(annotation: Any) -> Ref | None:
    if typing.get_origin(annotation) is dict:
        key = typing.get_args(annotation)[0]
        return next((m for m in getattr(key, "__metadata__", ()) if isinstance(m, Ref)), None)
    return None


def _fault_functions(data: dict) -> list[tuple[tuple, str]]:
    """(path, function) of every fault rule that matches on a function name."""
    out = []
    for i, rule in enumerate(data.get("faults") or [] if isinstance(data.get("faults"), list) else []):
        match = rule.get("match") if isinstance(rule, dict) else None
        fn = match.get("function") if isinstance(match, dict) else None
        if isinstance(fn, str):
            out.append((("faults", i, "match", "function"), fn))
    return out


def _rule_path(message: str) -> tuple[tuple, str]:
    """The fault engine says `rule 0 ('id').effect.type: problem`; point at effect.type itself."""
    import re
    match = re.match(r"rule \d+(?: \('[^']*'\))?((?:\.[A-Za-z_]\w*)+): (.*)", message, re.DOTALL)
    if not match:
        return (), message
    return tuple(match.group(1).strip(".").split(".")), match.group(2)


def _strip_source(message: str, file: str) -> str:
    return message[len(file) + 2:] if message.startswith(file + ": ") else message
