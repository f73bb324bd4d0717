"""Finding a scenario's system: its SAM template, and its defaults file (`_system.yaml`) with the invariants
every scenario of the system checks unless it lists its own."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from harness import dependencies
from harness.errors import InputError
from harness.scenario.errors import ScenarioError, suggest
from harness.scenario.source import Source, read

DEFAULTS_FILE = "_system.yaml"
_SEARCH_UP = 6


@dataclass
class SystemDefaults:
    """A system's `_system.yaml`: invariant settings by name, in file order."""

    path: Path
    source: Source
    invariants: dict[str, dict] = field(default_factory=dict)


def _roots(scenario_file: Path) -> list[Path]:
    """The scenario's folder and its parents, then the working directory."""
    start = scenario_file.resolve().parent
    roots = [start, *list(start.parents)[:_SEARCH_UP]]
    cwd = Path.cwd()
    return roots + ([cwd] if cwd not in roots else [])


def _is_file(path: Path) -> bool:
    """Path.is_file, but False for names the OS refuses (too long, NUL): those are not templates either."""
    dependencies.note(path)  # found or not, it decides which file a scenario uses
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def resolve_template(system: str, scenario_file: Path) -> Path:
    """The template a `system` value means: a path (relative to the scenario file or the working directory)
    or a system name, i.e. `handlers/<name>/template.yaml` in the scenario's folder or one above it."""
    if system.endswith((".yaml", ".yml")) or "/" in system:
        for base in (scenario_file.parent, Path.cwd()):
            candidate = (base / system)
            if _is_file(candidate):
                return candidate
            if _is_file(candidate / "template.yaml"):
                return candidate / "template.yaml"
        raise InputError(f"template {system!r} not found (looked relative to {scenario_file.parent} and "
                         f"{Path.cwd()}); expected a SAM template path or a system name under handlers/")
    roots = _roots(scenario_file)
    for root in roots:
        candidate = root / "handlers" / system / "template.yaml"
        if _is_file(candidate):
            return candidate
    known: set[str] = set()
    for root in roots:
        handlers = root / "handlers"
        dependencies.note(handlers)  # its listing names the known systems
        if handlers.is_dir():
            known |= {p.parent.name for p in handlers.glob("*/template.yaml")}
    listing = ", ".join(sorted(known)) or "none found"
    raise InputError(f"unknown system {system!r}{suggest(system, known)}; expected a system with "
                     f"handlers/<name>/template.yaml ({listing}) or a template path")


def system_name(system: str) -> str:
    """`messages` for `messages`, `handlers/messages/template.yaml` or `../handlers/messages`."""
    path = Path(system)
    if system.endswith((".yaml", ".yml")):
        return path.parent.name
    return path.name


def find_defaults(system: str, scenario_file: Path) -> SystemDefaults | None:
    """The system's `_system.yaml`: beside the scenario, or `scenarios/<system>/_system.yaml` above it."""
    name = system_name(system)
    candidates = [scenario_file.parent / DEFAULTS_FILE]
    for root in _roots(scenario_file):
        if root.name == "scenarios":
            candidates.append(root / name / DEFAULTS_FILE)
        candidates.append(root / "scenarios" / name / DEFAULTS_FILE)
    for candidate in candidates:
        if _is_file(candidate):
            defaults = load_defaults(candidate)
            declared = defaults.source.data.get("system") if isinstance(defaults.source.data, dict) else None
            if declared in (None, name, system):
                return defaults
    return None


_DEFAULTS: dict[tuple, SystemDefaults | ScenarioError] = {}  # (file, mtime, size, limits) -> what it gave


def load_defaults(path: Path) -> SystemDefaults:
    """Read a `_system.yaml`: `system` (optional), `description` (optional), `invariants: {name: settings}`.
    Read once per process while the file is unchanged (every scenario of a system has the same one; callers only
    read it)."""
    from harness.scenario import limits
    dependencies.note(path)
    try:
        stat = path.stat()
        key = (str(path.resolve()), stat.st_mtime_ns, stat.st_ctime_ns, stat.st_size, limits.current())
    except OSError:
        return _load_defaults(path)
    if key not in _DEFAULTS:
        try:
            _DEFAULTS[key] = _load_defaults(path)
        except ScenarioError as exc:
            _DEFAULTS[key] = exc
    found = _DEFAULTS[key]
    if isinstance(found, ScenarioError):
        raise ScenarioError(found.problems)  # a new one each time: a raised error keeps its traceback
    return found


def _load_defaults(path: Path) -> SystemDefaults:
    source = read(path)
    data = source.data
    problems = []
    if not isinstance(data, dict):
        raise ScenarioError([source.problem((), "expected a mapping with `invariants: {name: {settings}}`")])
    for key in data:
        if key not in ("system", "description", "invariants"):
            problems.append(source.problem((key,), f"unknown key {key!r}{suggest(key, ['system', 'description', 'invariants'])}; "
                                           f"expected system, description or invariants", key=True))
    invariants = data.get("invariants") or {}
    if not isinstance(invariants, dict):
        problems.append(source.problem(("invariants",), f"expected a mapping of invariant name to settings; "
                                       f"got {invariants!r}"[:200]))
        invariants = {}
    settings: dict[str, dict] = {}
    for name, config in invariants.items():
        if config is not None and not isinstance(config, dict):
            problems.append(source.problem(("invariants", name), f"expected a mapping of settings (or nothing); "
                                           f"got {config!r}"[:200]))
            continue
        settings[str(name)] = config or {}
    if problems:
        raise ScenarioError(problems)
    return SystemDefaults(path, source, settings)
