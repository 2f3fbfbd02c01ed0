"""A full disk, for real: a small tmpfs to put a database on, and a file that fills it to the last byte.

Used by the fault benchmark (bench/fault_injection.py) and the database-fault
tests (tests/web/test_database_faults.py, ...). Standard library only.
`tmpfs` needs root (mount): the tests skip locally without it, and fail in CI.
"""

from __future__ import annotations

import errno
import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class TmpfsUnavailable(Exception):
    """A tmpfs cannot be mounted here (not root, or mount refused)."""


@contextmanager
def tmpfs(size: str = "16m") -> Iterator[Path]:
    """A fresh tmpfs of `size` mounted at /tmp/faults-*, unmounted and removed afterwards."""
    if os.geteuid() != 0:
        raise TmpfsUnavailable("mounting a tmpfs needs root")
    folder = Path(tempfile.mkdtemp(prefix="faults-", dir="/tmp"))
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True, text=True)
    if mounted.returncode != 0:
        folder.rmdir()
        raise TmpfsUnavailable(f"mount -t tmpfs failed: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)
        folder.rmdir()


def fill_disk(folder: Path) -> Path:
    """Write a file into `folder` until its file system has no space left; returns the file (delete it to free)."""
    filler = folder / "filler.bin"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        chunk = 1 << 20
        block = b"\0" * chunk
        while chunk >= 512:
            try:
                os.write(fd, block[:chunk])
            except OSError as error:
                if error.errno != errno.ENOSPC:
                    raise
                chunk //= 2
    finally:
        os.close(fd)
    return filler
