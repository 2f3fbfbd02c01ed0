"""The Detoxify backend: transformer models trained on the Jigsaw data.

Online, `Detoxify(model)` downloads its weights itself. Air-gapped, it loads
a local `.ckpt` plus a folder with the base model's Hugging Face config and
tokenizer. detoxify 0.5.4 asks the hub for the config of the checkpoint's
`model_type` ("bert-base-uncased") even then, which hangs for about 30 s
without a network; we load the checkpoint dict ourselves, point `model_type`
at the local folder and pass it to detoxify's own model builder, so loading
is instant and never touches the network. torch, transformers and detoxify
are imported here only, and only when this backend is asked for.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from reviewer.toxicity.base import ScorerError, ScorerInfo, check_texts, chunks, clamp_round
from reviewer.toxicity.detoxify_files import (
    INSTALL_HINT,
    check_paths,
    checkpoint_layout,
    file_digest,
    read_checkpoint,
)

KNOWN_MODELS = ("original", "unbiased", "multilingual", "original-small", "unbiased-small")
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
# Texts per forward pass. A GPU is underfed by 64 short drafts; a CPU gains nothing past it.
BATCH_SIZE = {"cpu": 64, "cuda": 256}


class DetoxifyScorer:
    """Scores texts with a loaded Detoxify model; one batch at a time (a lock guards the model).

    A bulk call is scored in order of length, so each batch pads to texts of
    about its own size, and the rows come back in the caller's order. While
    the model runs one batch, a second thread tokenises the next (the fast
    tokenizer releases the GIL), so the GPU does not wait for the CPU. With
    bf16 or fp16 the model's weights stay fp32 and torch's autocast runs the
    matrix products in the lower precision.
    """

    name = "detoxify"

    def __init__(self, *, torch, model, tokenizer, labels, version: str, weights: str, device: str, model_type: str,
                 precision: str = "fp32"):
        self._torch = torch
        self._model = model.to(device).eval()
        self._tokenizer = tokenizer
        self._device = device
        self._device_type = torch.device(device).type
        self._batch_size = BATCH_SIZE["cuda" if self._device_type == "cuda" else "cpu"]
        self._autocast_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
        self.precision = precision
        self._lock = threading.Lock()
        self.labels = tuple(labels)
        self.version = version
        self.weights = weights
        self.model_type = model_type
        limit = tokenizer.model_max_length
        if limit > 100_000:  # a tokenizer folder without model_max_length
            limit = min(512, getattr(model.config, "max_position_embeddings", 512))
        self._max_length = limit

    def score(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """One dict per text: each label's sigmoid probability, rounded to 4 digits."""
        items = check_texts(texts)
        order = sorted(range(len(items)), key=lambda i: len(items[i]))  # similar lengths share a batch
        batches = list(chunks(order, self._batch_size))
        results: list[dict[str, float] | None] = [None] * len(items)
        with self._lock, self._torch.inference_mode():
            if len(batches) <= 1:  # one text, or one batch: nothing to overlap
                for batch in batches:
                    self._forward(batch, self._tokenize(items, batch), results)
            else:
                with ThreadPoolExecutor(max_workers=1, thread_name_prefix="detoxify-tokenize") as tokenizing:
                    upcoming = tokenizing.submit(self._tokenize, items, batches[0])
                    for number, batch in enumerate(batches):
                        encoded = upcoming.result()
                        if number + 1 < len(batches):
                            upcoming = tokenizing.submit(self._tokenize, items, batches[number + 1])
                        self._forward(batch, encoded, results)
        return results  # type: ignore[return-value]  # every slot is filled

    def _tokenize(self, items: list[str], batch: list[int]):  # a transformers BatchEncoding
        return self._tokenizer([items[i] for i in batch], return_tensors="pt", truncation=True, padding=True,
                               max_length=self._max_length)

    def _forward(self, batch: list[int], encoded, results: list) -> None:
        """Run the model on one tokenised batch and put each row's scores at its text's place in `results`."""
        encoded = encoded.to(self._device)
        with self._torch.autocast(self._device_type, dtype=self._autocast_dtype or self._torch.float32,
                                  enabled=self._autocast_dtype is not None):
            logits = self._model(**encoded)[0]
        rows = self._torch.sigmoid(logits.float()).cpu().tolist()
        for index, row in zip(batch, rows, strict=True):
            results[index] = {label: clamp_round(p) for label, p in zip(self.labels, row, strict=True)}

    def info(self) -> dict:
        return ScorerInfo(
            backend=self.name,
            version=self.version,
            labels=self.labels,
            weights=self.weights,
            device=self._device,
            measures=f"Detoxify {self.model_type}: Jigsaw toxicity labels from a fine-tuned transformer",
            details={
                "batch_size": self._batch_size,
                "precision": self.precision,
                "tokenizer": "fast" if getattr(self._tokenizer, "is_fast", False) else "python",
                "torch": self._torch.__version__,
                "torch_threads": self._torch.get_num_threads(),
                "max_tokens": self._max_length,
            },
        ).as_dict()


def load_detoxify(
    model: str = "original",
    checkpoint: str | os.PathLike | None = None,
    config_dir: str | os.PathLike | None = None,
    device: str | None = None,
    precision: str | None = None,
) -> DetoxifyScorer:
    """Load Detoxify from local files (air-gapped) or by name (downloads once).

    `precision`: fp32, bf16, fp16, or auto (the default): bf16 on a CUDA GPU
    that supports it, fp16 on one that does not, fp32 on a CPU. Autocast in
    bf16 moves scores by less than 0.01 (a test checks it).
    """
    precision = _precision_asked(precision)
    if (checkpoint is None) != (config_dir is None):
        given, missing = ("checkpoint", "config_dir") if checkpoint is not None else ("config_dir", "checkpoint")
        raise ScorerError(
            f"Detoxify from local files needs both a checkpoint and a config folder: {given} is set but "
            f"{missing} is not (REVIEWER_DETOXIFY_CHECKPOINT and REVIEWER_DETOXIFY_CONFIG_DIR)."
        )
    if checkpoint is not None:
        ckpt, cfg = Path(checkpoint).expanduser().absolute(), Path(config_dir).expanduser().absolute()
        config_labels = check_paths(ckpt, cfg)  # before the slow imports: fail within milliseconds
        # Local files given: the hub must never be asked (set before transformers is imported).
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        torch, transformers, detoxify = _import_stack()
        on = _device(torch, device)
        return _load_local(torch, transformers, detoxify, model, ckpt, cfg, config_labels, on,
                           _precision(torch, precision, on))
    if model not in KNOWN_MODELS:
        raise ScorerError(f"Unknown Detoxify model {model!r}; choose one of: {', '.join(KNOWN_MODELS)}.")
    torch, transformers, detoxify = _import_stack()
    on = _device(torch, device)
    return _load_online(torch, detoxify, model, on, _precision(torch, precision, on))


def _precision_asked(precision: str | None) -> str:
    asked = (precision or "auto").strip().lower()
    if asked not in PRECISIONS:
        raise ScorerError(
            f"Detoxify precision {precision!r} is not one of {', '.join(PRECISIONS)} (REVIEWER_DETOXIFY_PRECISION)."
        )
    return asked


def _precision(torch, asked: str, device: str) -> str:
    """fp32, bf16 or fp16: auto picks bf16 on a CUDA GPU that has it, fp16 on an older one, fp32 on a CPU."""
    if asked != "auto":
        return asked
    if not device.startswith("cuda"):
        return "fp32"
    return "bf16" if torch.cuda.is_bf16_supported() else "fp16"


def _fast_tokenizer(transformers, tokenizer, name: str, cfg: Path):
    """The Rust ("fast") twin of a Python tokenizer from the same folder, when transformers has one.

    Tokenising is the next ceiling once the model runs on a GPU; the fast one
    gives the same ids many times quicker.
    """
    if getattr(tokenizer, "is_fast", False) or not hasattr(transformers, f"{name}Fast"):
        return tokenizer
    try:
        return getattr(transformers, f"{name}Fast").from_pretrained(str(cfg))
    except Exception:  # noqa: BLE001 -- no tokenizer.json and no converter: the Python one still works
        return tokenizer


def _import_stack():
    """Import torch, transformers and detoxify, or say which one is missing and how to install it."""
    try:
        import torch
        import transformers
        from detoxify import detoxify
    except ImportError as exc:
        missing = exc.name or "torch/transformers/detoxify"
        raise ScorerError(
            f"The detoxify backend needs the {missing} package, which cannot be imported ({exc}). {INSTALL_HINT}"
        ) from exc
    transformers.utils.logging.disable_progress_bar()
    return torch, transformers, detoxify


def _device(torch, requested: str | None) -> str:
    """The torch device to use: the requested one, else CUDA when torch sees it, else CPU."""
    if requested in (None, "", "auto"):
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        device = torch.device(requested)
    except (RuntimeError, ValueError) as exc:
        raise ScorerError(f"Detoxify device {requested!r} is not a torch device: use cpu, cuda or cuda:N.") from exc
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ScorerError(
            f"Detoxify device {requested!r} asked for, but torch {torch.__version__} sees no CUDA GPU: "
            "use cpu, or install a CUDA build of torch (docs/toxicity.md)."
        )
    return str(device)


def _load_local(torch, transformers, detoxify, model, ckpt: Path, cfg: Path, config_labels: int, device: str,
                precision: str):
    loaded = read_checkpoint(torch, ckpt)
    arch, labels = checkpoint_layout(loaded, ckpt, config_labels, cfg)
    for key in ("model_name", "tokenizer_name"):
        if not hasattr(transformers, str(arch[key])):
            raise ScorerError(
                f"Detoxify checkpoint {ckpt}: config.arch.args.{key} {arch[key]!r} is not a class of "
                f"transformers {transformers.__version__}."
            )
    arch["model_type"] = str(cfg)  # the workaround: read the config from the folder, not the hub
    try:
        net, tokenizer = detoxify.get_model_and_tokenizer(
            **arch, state_dict=loaded["state_dict"], huggingface_config_path=str(cfg)
        )
    except Exception as exc:  # a size mismatch, a tokenizer that will not load: say which files
        raise ScorerError(f"Could not build the Detoxify model from {ckpt} and {cfg}: {exc}") from exc
    del loaded
    return DetoxifyScorer(
        torch=torch,
        model=net,
        tokenizer=_fast_tokenizer(transformers, tokenizer, str(arch["tokenizer_name"]), cfg),
        precision=precision,
        labels=labels,
        version=f"detoxify {metadata.version('detoxify')} {ckpt.name} sha256:{file_digest(ckpt)}{_tag(precision)}",
        weights=f"local checkpoint {ckpt} with config and tokenizer from {cfg}",
        device=device,
        model_type=model,
    )


def _tag(precision: str) -> str:
    """What a version string adds for reduced precision: its scores differ from fp32's."""
    return "" if precision == "fp32" else f" {precision}"


def _load_online(torch, detoxify, model: str, device: str, precision: str):
    url = detoxify.MODEL_URLS[model]
    try:
        loaded = detoxify.Detoxify(model, device=device)
    except Exception as exc:  # no network, a proxy, a full disk
        raise ScorerError(
            f"Could not download or load the Detoxify {model!r} weights from {url} ({exc}). On a machine without "
            "internet, set REVIEWER_DETOXIFY_CHECKPOINT and REVIEWER_DETOXIFY_CONFIG_DIR (docs/toxicity.md)."
        ) from exc
    return DetoxifyScorer(
        torch=torch,
        model=loaded.model,
        tokenizer=loaded.tokenizer,
        labels=loaded.class_names,
        precision=precision,
        version=f"detoxify {metadata.version('detoxify')} {model} {Path(url).stem}{_tag(precision)}",
        weights=f"{url} (cached under {torch.hub.get_dir()})",
        device=device,
        model_type=model,
    )
