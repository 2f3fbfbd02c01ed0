"""Checks on local Detoxify weights, made before any model is built.

An air-gapped install gives two things: the `.ckpt` file Detoxify publishes
(a dict with the training `config` and the `state_dict`) and a folder with
the Hugging Face `config.json` and tokenizer files of the base model. Each
check fails with a message that names the file and says how to fix it.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from pathlib import Path

from reviewer.toxicity.base import ScorerError

INSTALL_HINT = "Install it with: pip install 'reviewer[detoxify]' (install torch first, see docs/toxicity.md)."
CHECKPOINT_HINT = (
    "Download the model's .ckpt on a connected machine (the URLs are in docs/toxicity.md), copy it here "
    "and set REVIEWER_DETOXIFY_CHECKPOINT to its path."
)
CONFIG_HINT = (
    "REVIEWER_DETOXIFY_CONFIG_DIR must be a folder holding the base model's config.json and tokenizer files "
    "(e.g. bert-base-uncased: config.json, vocab.txt or tokenizer.json, tokenizer_config.json) with "
    "num_labels equal to the checkpoint's number of classes; see docs/toxicity.md."
)
# Any one of these is enough for a tokenizer to load from a folder.
TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "vocab.json", "spiece.model", "sentencepiece.bpe.model")
ARCH_KEYS = ("model_type", "model_name", "tokenizer_name", "num_classes")
# Detoxify renames the Jigsaw class names the same way.
CLASS_RENAMES = {"toxic": "toxicity", "identity_hate": "identity_attack", "severe_toxic": "severe_toxicity"}


def check_paths(checkpoint: Path, config_dir: Path) -> int:
    """Check that both exist; return the config's number of labels."""
    if not checkpoint.is_file():
        raise ScorerError(f"Detoxify checkpoint not found: {checkpoint}. {CHECKPOINT_HINT}")
    if not config_dir.is_dir():
        raise ScorerError(f"Detoxify config folder not found: {config_dir}. {CONFIG_HINT}")
    config_file = config_dir / "config.json"
    if not config_file.is_file():
        raise ScorerError(f"{config_file} is missing. {CONFIG_HINT}")
    if not any((config_dir / name).is_file() for name in TOKENIZER_FILES):
        raise ScorerError(f"{config_dir} holds no tokenizer file (one of {', '.join(TOKENIZER_FILES)}). {CONFIG_HINT}")
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ScorerError(f"{config_file} is not valid JSON ({exc}). {CONFIG_HINT}") from exc
    if not isinstance(config, dict):
        raise ScorerError(f"{config_file} must hold a JSON object. {CONFIG_HINT}")
    if "num_labels" in config:
        return int(config["num_labels"])
    if isinstance(config.get("id2label"), dict):
        return len(config["id2label"])
    return 2  # the transformers default when neither is given


def read_checkpoint(torch, checkpoint: Path) -> dict:
    """Load the checkpoint dict on the CPU; the weights-only loader first."""
    try:
        try:
            loaded = torch.load(checkpoint, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError:
            # Detoxify's own releases may pickle more than tensors; it loads them
            # the same way. Only place checkpoints from a source you trust.
            loaded = torch.load(checkpoint, map_location="cpu", weights_only=False)
    except Exception as exc:  # torch raises RuntimeError, EOFError, UnpicklingError... for a bad file
        raise ScorerError(f"{checkpoint} is not a readable torch checkpoint ({exc}). {CHECKPOINT_HINT}") from exc
    return loaded


def checkpoint_layout(loaded: object, checkpoint: Path, config_labels: int, config_dir: Path) -> tuple[dict, list[str]]:
    """Return (arch args, label names) from a loaded checkpoint, or say what is wrong with it."""
    where = f"Detoxify checkpoint {checkpoint}"
    if not isinstance(loaded, dict) or "config" not in loaded or "state_dict" not in loaded:
        raise ScorerError(f"{where} must be a dict with 'config' and 'state_dict'. {CHECKPOINT_HINT}")
    try:
        classes = loaded["config"]["dataset"]["args"]["classes"]
        arch = dict(loaded["config"]["arch"]["args"])
    except (KeyError, TypeError) as exc:
        raise ScorerError(
            f"{where}: config.dataset.args.classes or config.arch.args is missing ({exc!r}). {CHECKPOINT_HINT}"
        ) from exc
    if not isinstance(classes, list) or not classes or not all(isinstance(c, str) for c in classes):
        raise ScorerError(f"{where}: config.dataset.args.classes must be a list of label names")
    if sorted(arch) != sorted(ARCH_KEYS):
        raise ScorerError(f"{where}: config.arch.args must have exactly {', '.join(ARCH_KEYS)}; it has {sorted(arch)}")
    if arch["num_classes"] != len(classes):
        raise ScorerError(f"{where}: num_classes is {arch['num_classes']} but there are {len(classes)} classes")
    if config_labels != arch["num_classes"]:
        raise ScorerError(
            f"{config_dir / 'config.json'}: num_labels is {config_labels} but the checkpoint has "
            f"{arch['num_classes']} classes; set \"num_labels\": {arch['num_classes']} in that file."
        )
    return arch, [CLASS_RENAMES.get(name, name) for name in classes]


def file_digest(path: Path) -> str:
    """The first 12 hex digits of the file's sha256, recorded in the scorer version."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:12]
