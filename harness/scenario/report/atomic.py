"""Report files are replaced atomically: a reader (CI, a browser, an interrupted run) sees the old file or
the new one, never half of one."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from harness.sandbox.interrupts import shielded


def write_text(path: Path, text: str) -> Path:
    """Write `text` to a temporary file beside `path`, then rename it over `path` (folders created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with shielded():  # SIGINT/SIGTERM wait until the file is whole
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    return path
