"""What the pytest plugin's `sim` and `faults` fixtures are made of: the `harness` marker's settings (over the
ini defaults) and a small handle to add and heal fault rules mid-test."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import InputError

MARKER = "harness"
MARKER_HELP = ("harness(template=None, seed=None, faults=None, backend=None, parameters=None, start=None): the "
               "Simulation the `sim` fixture starts (template: a path or a system name; ini defaults: "
               "harness_template, harness_seed, harness_backend)")
INI = {"harness_template": "template (path or system name) for the `sim` fixture when the test has no "
                           "@pytest.mark.harness(template=...)",
       "harness_seed": "seed for the `sim` fixture (default 0)",
       "harness_backend": "backend for the `sim` fixture (default moto)"}
_KEYS = ("template", "seed", "faults", "backend", "parameters", "start")


@dataclass(frozen=True)
class SimSettings:
    """The Simulation a test asked for."""

    template: Path
    seed: int = 0
    backend: str = "moto"
    faults: list = field(default_factory=list)
    parameters: dict = field(default_factory=dict)
    start: Any = None

    def simulation(self) -> Any:
        """A (not yet started) Simulation with these settings."""
        from harness.simulation import Simulation
        return Simulation(self.template, seed=self.seed, backend=self.backend, faults=list(self.faults) or None,
                          parameters=dict(self.parameters) or None, start=self.start)


def sim_settings(node: Any, config: Any) -> SimSettings:
    """Settings from the closest `harness` marker (test, class, module), then the ini defaults."""
    marker = node.get_closest_marker(MARKER)
    given = dict(marker.kwargs) if marker else {}
    if marker and marker.args:
        given.setdefault("template", marker.args[0])
    unknown = sorted(set(given) - set(_KEYS))
    if unknown:
        raise InputError(f"@pytest.mark.harness: unknown argument {unknown[0]!r}; expected {', '.join(_KEYS)}")
    template = given.get("template") or config.getini("harness_template")
    if not template:
        raise InputError(f"the `sim` fixture of {node.nodeid} needs a template: add "
                         f"@pytest.mark.harness(template='path/to/template.yaml') or set harness_template in the "
                         f"pytest ini options")
    from harness.scenario.system import resolve_template
    base = Path(str(node.path)) if getattr(node, "path", None) else Path.cwd() / "test.py"
    path = Path(template) if Path(template).is_absolute() else _relative(str(template), base, config)
    seed = given.get("seed", config.getini("harness_seed") or 0)
    try:
        seed = int(seed)
    except (TypeError, ValueError):
        raise InputError(f"@pytest.mark.harness seed: expected an integer, got {seed!r}") from None
    return SimSettings(path if path.is_file() else resolve_template(str(template), base), seed,
                       str(given.get("backend") or config.getini("harness_backend") or "moto"),
                       list(given.get("faults") or []), dict(given.get("parameters") or {}), given.get("start"))


def _relative(template: str, test_file: Path, config: Any) -> Path:
    """A template path relative to the test file, else to the rootdir."""
    for base in (test_file.parent, Path(str(config.rootpath))):
        candidate = base / template
        if candidate.is_file():
            return candidate
        if (candidate / "template.yaml").is_file():
            return candidate / "template.yaml"
    return Path(template)


class Faults:
    """The `faults` fixture: add fault rules to the running simulation and heal them mid-test."""

    def __init__(self, sim: Any):
        self.sim = sim

    def add(self, *rules: Any) -> list:
        """Add rules (dicts as in a scenario's `faults:`, or one list of them); they apply from now on."""
        flat = list(rules[0]) if len(rules) == 1 and isinstance(rules[0], list) else list(rules)
        return self.sim.add_faults(flat)

    def heal(self, rule_id: str | None = None) -> None:
        """Stop one rule (by id), or every rule."""
        self.sim.faults.heal(rule_id)

    def fired(self, rule_id: str) -> int:
        """How often the rule fired."""
        return self.sim.faults.fired(rule_id)

    @property
    def plan(self) -> Any:
        """The simulation's FaultPlan."""
        return self.sim.faults
