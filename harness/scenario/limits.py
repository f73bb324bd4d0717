"""Limits that keep a hostile scenario file from exhausting the machine: file size, YAML nesting depth, values
after alias expansion (YAML bombs), the longest duration, and the folders file paths may point into.

Safe defaults; the CLI's `--max-file-bytes`, `--max-yaml-depth`, `--max-yaml-values`, `--max-duration` and
`--allow-path` raise them for one run (docs/safety.md)."""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Limits:
    """What a scenario file may be."""

    max_file_bytes: int = 1_000_000
    max_yaml_depth: int = 50
    max_yaml_values: int = 100_000
    max_duration: float = 366 * 86400.0  # any one duration (advance, windows, budgets): at most a year
    allowed_paths: tuple[Path, ...] = ()  # folders outside the scenario's own that file paths may reach


_current = Limits()
FLAGS = {"max_file_bytes": "--max-file-bytes", "max_yaml_depth": "--max-yaml-depth",
         "max_yaml_values": "--max-yaml-values", "max_duration": "--max-duration", "allowed_paths": "--allow-path"}


def current() -> Limits:
    """The limits in force."""
    return _current


def use(limits: Limits) -> None:
    """Put `limits` in force for this process."""
    global _current
    _current = limits


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags that raise the limits."""
    defaults = Limits()
    group = parser.add_argument_group("scenario file limits (raise them for trusted, unusual files)")
    group.add_argument("--max-file-bytes", type=int, help=f"largest scenario file (default {defaults.max_file_bytes})")
    group.add_argument("--max-yaml-depth", type=int, help=f"deepest nesting (default {defaults.max_yaml_depth})")
    group.add_argument("--max-yaml-values", type=int,
                       help=f"most values after YAML aliases are expanded (default {defaults.max_yaml_values})")
    group.add_argument("--max-duration", type=float,
                       help=f"longest duration in seconds (default {defaults.max_duration:g}, a year)")
    group.add_argument("--allow-path", dest="allowed_paths", action="append", type=Path, default=None,
                       help="a folder outside the scenario's own that payload files and systems may come from "
                            "(repeatable)")
    from harness.sandbox import budgets
    budgets.add_arguments(parser)


@contextlib.contextmanager
def applied(args: argparse.Namespace) -> Iterator[Limits]:
    """The limits the command line asked for, in force while the block runs."""
    changes = {name: getattr(args, name) for name in FLAGS if getattr(args, name, None) is not None}
    if "allowed_paths" in changes:
        changes["allowed_paths"] = tuple(p.resolve() for p in changes["allowed_paths"])
    previous = _current
    use(dataclasses.replace(previous, **changes))
    from harness.sandbox import budgets
    try:
        with budgets.applied(args):  # the run budgets' flags come with the limits' (add_arguments)
            yield _current
    finally:
        use(previous)


def hint(name: str) -> str:
    """' (raise it with --flag)' for an error message."""
    if name == "allowed_paths":
        return " (allow another folder with --allow-path DIR)"
    return f" (raise it with {FLAGS[name]})"


def confined(path: Path, folder: Path, *also: Path) -> bool:
    """True when `path` lies inside `folder`, one of `also`, or an allowed folder (symlinks resolved)."""
    real = path.resolve()
    return any(real.is_relative_to(root.resolve()) for root in (folder, *also, *_current.allowed_paths))


def project_roots() -> tuple[Path, ...]:
    """The working directory and the checkout the harness runs from (its handlers/ and fixtures)."""
    return Path.cwd(), Path(__file__).resolve().parents[2]
