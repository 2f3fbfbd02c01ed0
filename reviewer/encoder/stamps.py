"""A file's sha256, hashed once and then trusted while its inode stays untouched.

Loading the embedded model checked the sha256 of its 90 MB weights on every
start: a third of `reviewer check`'s wait. The first load hashes the file and
records the digest beside the file's stat signature (size, inode, mtime and
ctime, in nanoseconds) in `.sha256-stamps.json` in the same folder; later
loads hash again only when the signature differs. Any write, rename over or
`touch` of the file changes its ctime, which user programs cannot set back,
so a replaced or edited file is always hashed again, as git's index does.
What a stamp does not catch is a bit flipped on disk without a write; the
stamp is only a shortcut, and a folder that cannot be written is hashed
every time.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from reviewer.encoder.base import sha256_file

STAMPS = ".sha256-stamps.json"


def _signature(path: Path) -> list[int]:
    info = os.stat(path)
    return [info.st_size, info.st_ino, info.st_mtime_ns, info.st_ctime_ns]


def _read(stamps: Path) -> dict:
    try:
        data = json.loads(stamps.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def stamped_sha256(path: Path) -> str:
    """The file's sha256: from its stamp while its stat signature is unchanged, else hashed (and stamped)."""
    stamps = path.parent / STAMPS
    signature = _signature(path)
    known = _read(stamps).get(path.name)
    if isinstance(known, dict) and known.get("stat") == signature and isinstance(known.get("sha256"), str):
        return known["sha256"]
    digest = sha256_file(path)
    if _signature(path) == signature:  # not written while it was being hashed
        _record(stamps, path.name, {"stat": signature, "sha256": digest})
    return digest


def _record(stamps: Path, name: str, entry: dict) -> None:
    data = _read(stamps)
    data[name] = entry
    temporary = stamps.with_name(f"{STAMPS}.{os.getpid()}.tmp")
    try:
        temporary.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
        os.replace(temporary, stamps)
    except OSError:  # a read-only model folder: hash on every load instead
        temporary.unlink(missing_ok=True)
