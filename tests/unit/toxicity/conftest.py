"""Fixtures for the toxicity tests: a tiny Detoxify checkpoint, a dead network.

The checkpoint has Detoxify's exact layout (`config.arch.args`,
`config.dataset.args.classes`, `state_dict`) and the six labels of the
`original` model, around a BERT with hidden size 32 and 2 layers, so the
real loading code runs in about a second.
"""

from __future__ import annotations

import importlib.util
import socket
from pathlib import Path
from types import SimpleNamespace

import pytest
from skips import skip_or_fail

from reviewer.toxicity import clear_cache

ORIGINAL_CLASSES = ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"]
ORIGINAL_LABELS = ("toxicity", "severe_toxicity", "obscene", "threat", "insult", "identity_attack")
WORDS = (
    "you are an idiot stupid thank thanks we will help the and to of a is in for it our people "
    "community hate kill love good bad please call us your service office today fine sorry"
).split()


def require_detoxify_stack() -> None:
    """Skip when torch, transformers or detoxify is missing; fail instead in CI (REVIEWER_TEST_REQUIRE_ALL=1)."""
    missing = [name for name in ("torch", "transformers", "detoxify") if importlib.util.find_spec(name) is None]
    if missing:
        reason = f"{', '.join(missing)} not installed: pip install 'reviewer[detoxify]'"
        skip_or_fail(reason)


def build_tiny_checkpoint(root: Path, initializer_range: float = 0.5) -> SimpleNamespace:
    """Write `root/config/` (config.json, tokenizer) and `root/tiny.ckpt` the way Detoxify publishes them."""
    import torch
    import transformers
    config_dir = root / "config"
    vocab = {token: index for index, token in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS, "##s", "##ed"])}
    # transformers 5 ignores BertTokenizer(vocab_file=...): build from the dict, save, reload from the folder.
    transformers.BertTokenizer(vocab=vocab).save_pretrained(config_dir)
    config = transformers.BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
        num_labels=len(ORIGINAL_CLASSES),
        initializer_range=initializer_range,  # 0.5: wide random weights, so texts get visibly different scores
    )
    config.save_pretrained(config_dir)
    torch.manual_seed(0)
    model = transformers.BertForSequenceClassification(config)
    checkpoint = root / "tiny.ckpt"
    torch.save(
        {
            "config": {
                "arch": {
                    "args": {
                        "model_type": "bert-base-uncased",  # a hub id: loading it must not go to the hub
                        "model_name": "BertForSequenceClassification",
                        "tokenizer_name": "BertTokenizer",
                        "num_classes": len(ORIGINAL_CLASSES),
                    }
                },
                "dataset": {"args": {"classes": ORIGINAL_CLASSES}},
            },
            "state_dict": model.state_dict(),
        },
        checkpoint,
    )
    return SimpleNamespace(root=root, checkpoint=checkpoint, config_dir=config_dir)


@pytest.fixture(scope="session")
def tiny_detoxify(tmp_path_factory) -> SimpleNamespace:
    require_detoxify_stack()
    import torch

    torch.set_num_threads(1)  # a tiny model gains nothing from threads; the cores are shared
    return build_tiny_checkpoint(tmp_path_factory.mktemp("detoxify"))


@pytest.fixture(scope="session")
def moderate_detoxify(tmp_path_factory) -> SimpleNamespace:
    """A tiny model with weights on a trained model's scale (initializer_range 0.2: scores spread over about 0.5),
    where lower precision moves scores as it would for real weights; 0.5's wide weights magnify its rounding."""
    require_detoxify_stack()
    return build_tiny_checkpoint(tmp_path_factory.mktemp("moderate-detoxify"), initializer_range=0.2)


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection or resolve a name fails at once."""

    def refuse(*args, **kwargs):
        raise OSError("network disabled by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    # The backend sets the hub's offline switches; restore them after the test.
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)


@pytest.fixture(autouse=True)
def fresh_scorer_cache():
    clear_cache()
    yield
    clear_cache()
