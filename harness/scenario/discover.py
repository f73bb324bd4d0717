"""Finding scenario files: files as given, folders searched recursively for *.yaml / *.yml."""
from __future__ import annotations

from pathlib import Path

from harness.errors import InputError

SUFFIXES = (".yaml", ".yml")


def is_scenario_file(path: Path) -> bool:
    """A YAML file that is not a system defaults file, a requirements register (scenarios/requirements/) or
    otherwise private (leading underscore or dot)."""
    register = path.parent.name == "requirements" and path.parent.parent.name == "scenarios"
    return path.suffix in SUFFIXES and not path.name.startswith(("_", ".")) and not register


def discover(paths: list[str | Path]) -> list[Path]:
    """Every scenario file under `paths`, sorted, without duplicates; InputError for a missing path."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            if path.suffix not in SUFFIXES:
                raise InputError(f"{path}: not a scenario file (expected a .yaml or .yml file)")
            found.append(path)
        elif path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.is_file() and is_scenario_file(p)
                            and not any(part.startswith(".") for part in p.relative_to(path).parts))
        else:
            raise InputError(f"{path}: no such file or folder (expected scenario .yaml files or folders of them)")
    unique: list[Path] = []
    for path in found:
        if path not in unique:
            unique.append(path)
    return unique
