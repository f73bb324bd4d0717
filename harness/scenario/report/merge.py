"""`python -m harness report merge SHARD_DIR... --report-dir OUT`: one report from the shards of a run.

Each shard (a CI matrix job running `run|explore|chaos --shard i/N --report-dir DIR`) leaves a results.json
beside its junit.xml and index.html; merging concatenates the results in the order given and writes the
three reports again, so the merged JUnit, HTML and JSON agree with each other.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.errors import InputError
from harness.scenario.report import JSON_FILE, read_results, write_reports


def shard_results(sources: list[str]) -> tuple[list[str], list[dict]]:
    """(titles, results) of every shard: a folder holding results.json, or a results.json itself."""
    titles, results = [], []
    if not sources:
        raise InputError("report merge: give the shards' report folders (or their results.json files)")
    for source in sources:
        path = Path(source)
        data = path / JSON_FILE if path.is_dir() else path
        if not data.is_file():
            raise InputError(f"report merge: {source}: no {JSON_FILE} (expected a folder written with "
                             f"--report-dir, or a {JSON_FILE} file)")
        try:
            title, found = read_results(data)
        except (ValueError, KeyError) as exc:
            raise InputError(f"report merge: {data}: not a results file ({type(exc).__name__}: {exc})") from None
        titles.append(title)
        results += found
    return titles, results


def merge_reports(sources: list[str], folder: Path) -> dict[str, Path]:
    """Write the merged junit.xml, index.html and results.json into `folder`."""
    titles, results = shard_results(sources)
    title = titles[0] if len(set(titles)) == 1 else " + ".join(dict.fromkeys(titles))
    return write_reports(results, folder, f"{title} ({len(sources)} shards merged)")


def run_merge(sources: list[str], folder: Path, console: Any) -> int:
    """Merge and summarise; 0 when every merged result passed (or was skipped), 1 otherwise."""
    written = merge_reports(sources, folder)
    _, results = shard_results(sources)
    failed = [r for r in results if r["status"] not in ("passed", "skipped")]
    console.print(f"merged {len(sources)} shard(s): {len(results)} result(s), {len(failed)} not passed; reports: "
                  f"{written['html']} (HTML), {written['junit']} (JUnit XML), {written['json']}", markup=False)
    return 1 if failed else 0
