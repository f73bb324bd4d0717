"""The live progress bar and the runs-per-second figure shared by explore and chaos."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def progress_bar(console: Any, description: str, total: int | None) -> Iterator[Any]:
    """A transient rich progress bar; yields `advance(text)`."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.fields[note]}"), console=console, transient=True) as bar:
        task = bar.add_task(description, total=total, note="")

        def advance(note: str = "") -> None:
            bar.update(task, advance=1, note=note)

        yield advance


def rate(runs: int, seconds: float) -> str:
    """`12.3 runs/s`."""
    return f"{runs / seconds:.1f} runs/s" if seconds > 0 else "- runs/s"
