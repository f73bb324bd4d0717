"""Packaging: zip a function folder, or merge the processor wrapper with a user's process.py."""

import io
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from . import constants

_FIXED_DATE = (1980, 1, 1, 0, 0, 0)  # fixed entry dates: the same sources give the same zip bytes
_SKIPPED_DIRS = {"__pycache__", ".pytest_cache"}
# requirements.txt tells `sam build` what to install; these zips carry code only (dependencies come
# from a layer, see DeploymentContext.layers), so it is left out.
_SKIPPED_FILES = {"requirements.txt"}


def _iter_files(folder: Path):
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS)
        for name in sorted(files):
            if not name.endswith(".pyc") and name not in _SKIPPED_FILES:
                path = Path(root) / name
                yield path, path.relative_to(folder).as_posix()


def compile_lambda_function(folder) -> bytes:
    """Zip the files of ``folder`` (a function's deployment package) and return the zip bytes."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"function folder not found: {folder}")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, arcname in _iter_files(folder):
            info = zipfile.ZipInfo(arcname, date_time=_FIXED_DATE)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def compile_merged_lambda_function(base_path, custom_file_path) -> bytes:
    """Zip the system wrapper at ``base_path`` with ``custom_file_path`` copied in as ``process.py``.

    The merge happens in a temporary directory that is removed afterwards, also on failure.
    """
    base_path = Path(base_path)
    custom_file_path = Path(custom_file_path)
    if not (base_path / constants.HANDLER_FILE).is_file():
        raise FileNotFoundError(f"system wrapper not found: {base_path / constants.HANDLER_FILE}")
    if not custom_file_path.is_file():
        raise FileNotFoundError(f"user logic not found: {custom_file_path}")
    temp_dir = tempfile.mkdtemp(prefix="twin-merged-")
    try:
        merged = Path(temp_dir) / "package"
        shutil.copytree(
            base_path, merged, ignore=shutil.ignore_patterns(*_SKIPPED_DIRS, *_SKIPPED_FILES, "*.pyc")
        )
        shutil.copyfile(custom_file_path, merged / constants.PROCESS_FILE)
        return compile_lambda_function(merged)
    finally:
        shutil.rmtree(temp_dir, ignore_errors=True)
