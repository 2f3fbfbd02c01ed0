"""Owner-only files and folders: the databases, job store and report PDFs hold password hashes,
tokens and people's texts, so they are created 0600 (folders 0700) whatever the process's umask.

Only what this process creates is set: a file or folder that exists keeps the mode the operator
gave it (e.g. 0640 with a group, docs/deployment.md).
"""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def make_private_folder(path: Path) -> None:
    """Create `path` (and missing parents) 0700; an existing folder is left as it is."""
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    for folder in missing:
        os.chmod(folder, FOLDER_MODE)  # mkdir's mode is masked by the umask; chmod is not


def create_private_file(path: Path) -> None:
    """Create `path` empty and 0600 if it does not exist (SQLite then opens it instead of creating it 0644)."""
    make_private_folder(path.parent)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    try:
        os.fchmod(descriptor, FILE_MODE)
    finally:
        os.close(descriptor)


def write_private_bytes(path: Path, content: bytes) -> None:
    """Write `content` to `path`, created (or truncated) 0600."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(descriptor, "wb") as handle:
        os.fchmod(handle.fileno(), FILE_MODE)
        handle.write(content)
