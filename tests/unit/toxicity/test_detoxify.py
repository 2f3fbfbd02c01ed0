"""The Detoxify backend, loaded for real from a tiny checkpoint with no network.

Marked slow: importing torch and transformers takes a few seconds.
"""

from __future__ import annotations

import json
import shutil
import sys
import threading
import time

import pytest

from reviewer.toxicity import ScorerError, load_scorer, scorer_from_env
from reviewer.toxicity.detoxify_backend import DetoxifyScorer, load_detoxify

pytestmark = pytest.mark.slow

ORIGINAL_LABELS = ("toxicity", "severe_toxicity", "obscene", "threat", "insult", "identity_attack")

TEXTS = [
    "you are an idiot",
    "thank you, we will help",
    "",
    "please call our office today " * 30,  # longer than the tiny model's 128 positions: truncated
    "sorry, unknownword xyzzy",
    "our people love the community service",
]


@pytest.fixture
def scorer(tiny_detoxify, no_network) -> DetoxifyScorer:
    return load_detoxify(checkpoint=tiny_detoxify.checkpoint, config_dir=tiny_detoxify.config_dir, device="cpu")


def test_loads_offline_quickly_with_the_checkpoints_labels(tiny_detoxify, no_network):
    started = time.perf_counter()
    scorer = load_detoxify(checkpoint=tiny_detoxify.checkpoint, config_dir=tiny_detoxify.config_dir)
    elapsed = time.perf_counter() - started
    assert elapsed < 10, f"offline loading took {elapsed:.1f} s: it must not wait for the hub"
    assert scorer.name == "detoxify"
    assert scorer.labels == ORIGINAL_LABELS
    assert "tiny.ckpt sha256:" in scorer.version


def test_scores_have_every_label_in_range_rounded(scorer):
    results = scorer.score(TEXTS)
    assert len(results) == len(TEXTS)
    for row in results:
        assert tuple(row) == ORIGINAL_LABELS
        for value in row.values():
            assert isinstance(value, float) and 0.0 <= value <= 1.0
            assert value == round(value, 4)
    assert len({tuple(row.values()) for row in results}) > 1, "different texts should score differently"


def test_scoring_is_deterministic_across_calls_and_loads(scorer, tiny_detoxify):
    first = scorer.score(TEXTS)
    assert scorer.score(TEXTS) == first
    again = load_detoxify(checkpoint=tiny_detoxify.checkpoint, config_dir=tiny_detoxify.config_dir, device="cpu")
    assert again.score(TEXTS) == first


def test_batching_matches_one_by_one(scorer):
    texts = [f"{TEXTS[i % len(TEXTS)]} {'good ' * (i % 7)}" for i in range(70)]  # more than one batch of 64
    batched = scorer.score(texts)
    for index in [*range(6), *range(60, 70)]:  # both batches, different padding
        text, row = texts[index], batched[index]
        alone = scorer.score([text])[0]
        for label in ORIGINAL_LABELS:
            assert abs(alone[label] - row[label]) <= 1.5e-4, (text, label)


def test_empty_input_gives_empty_output(scorer):
    assert scorer.score([]) == []


def test_a_single_string_is_refused(scorer):
    with pytest.raises(TypeError, match="not one string"):
        scorer.score("you are an idiot")


def test_threads_share_one_model_safely(scorer):
    expected = scorer.score(TEXTS)
    results, errors = [], []

    def work():
        try:
            for _ in range(5):
                results.append(scorer.score(TEXTS))
        except Exception as exc:  # noqa: BLE001 -- reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(results) == 20 and all(result == expected for result in results)


def test_info_says_where_the_weights_came_from(scorer, tiny_detoxify):
    info = scorer.info()
    assert info["backend"] == "detoxify"
    assert info["labels"] == list(ORIGINAL_LABELS)
    assert str(tiny_detoxify.checkpoint) in info["weights"]
    assert str(tiny_detoxify.config_dir) in info["weights"]
    assert info["device"] == "cpu"
    json.dumps(info)


def test_load_scorer_and_env_share_one_cached_scorer(tiny_detoxify, no_network):
    env = {
        "REVIEWER_TOXICITY": "detoxify",
        "REVIEWER_DETOXIFY_CHECKPOINT": str(tiny_detoxify.checkpoint),
        "REVIEWER_DETOXIFY_CONFIG_DIR": str(tiny_detoxify.config_dir),
        "REVIEWER_DETOXIFY_DEVICE": "cpu",
    }
    from_env = scorer_from_env(env)
    direct = load_scorer(
        "detoxify", checkpoint=tiny_detoxify.checkpoint, config_dir=tiny_detoxify.config_dir, device="cpu"
    )
    assert from_env is direct
    assert isinstance(direct, DetoxifyScorer)


def _fails_fast(match: str, **kwargs) -> ScorerError:
    started = time.perf_counter()
    with pytest.raises(ScorerError, match=match) as caught:
        load_detoxify(**kwargs)
    assert time.perf_counter() - started < 5
    return caught.value


def test_missing_checkpoint_names_the_file_and_the_fix(tiny_detoxify, tmp_path, no_network):
    missing = tmp_path / "nowhere" / "original.ckpt"
    error = _fails_fast("checkpoint not found", checkpoint=missing, config_dir=tiny_detoxify.config_dir)
    assert str(missing) in str(error) and "REVIEWER_DETOXIFY_CHECKPOINT" in str(error)


def test_missing_config_folder_says_what_it_must_hold(tiny_detoxify, tmp_path, no_network):
    error = _fails_fast("config folder not found", checkpoint=tiny_detoxify.checkpoint, config_dir=tmp_path / "cfg")
    assert "config.json" in str(error) and "REVIEWER_DETOXIFY_CONFIG_DIR" in str(error)


def test_config_folder_without_config_json(tiny_detoxify, tmp_path, no_network):
    folder = tmp_path / "cfg"
    shutil.copytree(tiny_detoxify.config_dir, folder)
    (folder / "config.json").unlink()
    _fails_fast(r"config\.json is missing", checkpoint=tiny_detoxify.checkpoint, config_dir=folder)


def test_config_folder_without_tokenizer(tiny_detoxify, tmp_path, no_network):
    folder = tmp_path / "cfg"
    folder.mkdir()
    shutil.copy(tiny_detoxify.config_dir / "config.json", folder)
    _fails_fast("no tokenizer file", checkpoint=tiny_detoxify.checkpoint, config_dir=folder)


def test_num_labels_mismatch_says_which_value_to_set(tiny_detoxify, tmp_path, no_network):
    folder = tmp_path / "cfg"
    shutil.copytree(tiny_detoxify.config_dir, folder)
    config = json.loads((folder / "config.json").read_text())
    config.pop("id2label", None)
    config.pop("label2id", None)
    config["num_labels"] = 2
    (folder / "config.json").write_text(json.dumps(config))
    error = _fails_fast("num_labels is 2", checkpoint=tiny_detoxify.checkpoint, config_dir=folder)
    assert '"num_labels": 6' in str(error)


def test_corrupt_checkpoint(tiny_detoxify, tmp_path, no_network):
    corrupt = tmp_path / "corrupt.ckpt"
    corrupt.write_bytes(b"\x00not a checkpoint\xff" * 100)
    _fails_fast("not a readable torch checkpoint", checkpoint=corrupt, config_dir=tiny_detoxify.config_dir)


def test_checkpoint_without_detoxify_layout(tiny_detoxify, tmp_path, no_network):
    import torch

    wrong = tmp_path / "wrong.ckpt"
    torch.save({"state_dict": {}}, wrong)
    _fails_fast("must be a dict with 'config' and 'state_dict'", checkpoint=wrong, config_dir=tiny_detoxify.config_dir)


def test_checkpoint_with_extra_arch_key(tiny_detoxify, tmp_path, no_network):
    import torch

    loaded = torch.load(tiny_detoxify.checkpoint, weights_only=True)
    loaded["config"]["arch"]["args"]["dropout"] = 0.1
    wrong = tmp_path / "extra.ckpt"
    torch.save(loaded, wrong)
    _fails_fast("must have exactly", checkpoint=wrong, config_dir=tiny_detoxify.config_dir)


def test_checkpoint_without_config_dir_needs_both(tiny_detoxify):
    _fails_fast("needs both", checkpoint=tiny_detoxify.checkpoint)


def test_detoxify_not_installed(tiny_detoxify, monkeypatch, no_network):
    monkeypatch.setitem(sys.modules, "detoxify", None)
    error = _fails_fast("detoxify package", checkpoint=tiny_detoxify.checkpoint, config_dir=tiny_detoxify.config_dir)
    assert "pip install 'reviewer[detoxify]'" in str(error)


def test_unknown_model_name_lists_the_valid_ones():
    error = _fails_fast("Unknown Detoxify model", model="huge")
    assert "original" in str(error) and "unbiased-small" in str(error)


def test_bad_device_names(tiny_detoxify, no_network):
    _fails_fast("not a torch device", checkpoint=tiny_detoxify.checkpoint, config_dir=tiny_detoxify.config_dir, device="gpu0")


def test_cuda_asked_for_without_a_gpu(tiny_detoxify, no_network):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    _fails_fast("sees no CUDA GPU", checkpoint=tiny_detoxify.checkpoint, config_dir=tiny_detoxify.config_dir, device="cuda")


def test_a_bulk_call_sorted_by_length_returns_rows_in_the_callers_order(scorer):
    # Long and short texts interleaved, more than one batch: scored in length order, returned in this order.
    texts = [("please call our office " * (i % 9)) + TEXTS[i % len(TEXTS)] for i in range(150)]
    bulk = scorer.score(texts)
    assert len(bulk) == len(texts)
    for index in (0, 1, 7, 64, 65, 99, 149):
        alone = scorer.score([texts[index]])[0]
        for label in ORIGINAL_LABELS:
            assert abs(alone[label] - bulk[index][label]) <= 1.5e-4, (index, label)


def test_the_fast_tokenizer_gives_the_python_tokenizers_ids(scorer, tiny_detoxify):
    import transformers

    slow = transformers.BertTokenizer.from_pretrained(str(tiny_detoxify.config_dir))
    assert scorer.info()["details"]["tokenizer"] == "fast"
    for text in TEXTS:
        assert scorer._tokenizer(text, truncation=True, max_length=128)["input_ids"] == slow(
            text, truncation=True, max_length=128)["input_ids"], text


def test_precision_is_fp32_on_cpu_and_bf16_autocast_stays_within_a_hundredth(moderate_detoxify, no_network):
    full = load_detoxify(checkpoint=moderate_detoxify.checkpoint, config_dir=moderate_detoxify.config_dir, device="cpu")
    assert full.info()["details"]["precision"] == "fp32" and " bf16" not in full.version
    half = load_detoxify(checkpoint=moderate_detoxify.checkpoint, config_dir=moderate_detoxify.config_dir, device="cpu",
                         precision="bf16")
    assert half.info()["details"]["precision"] == "bf16" and half.version.endswith(" bf16")
    texts = [*TEXTS, *(f"{a} {b}" for a in TEXTS[:3] for b in TEXTS[3:])]
    exact, reduced = full.score(texts), half.score(texts)
    assert max(v for row in exact for v in row.values()) - min(v for row in exact for v in row.values()) > 0.3
    for one, other in zip(exact, reduced, strict=True):
        assert all(abs(one[label] - other[label]) < 0.01 for label in ORIGINAL_LABELS), (one, other)
    assert exact != reduced  # the matrix products really ran in bf16


def test_bulk_scoring_with_the_tokenizer_ahead_matches_one_batch_at_a_time(scorer):
    texts = [("please call our office " * (i % 11)) + TEXTS[i % len(TEXTS)] for i in range(300)]  # five batches
    bulk = scorer.score(texts)
    for start in range(0, 300, 64):
        for index, row in zip(range(start, start + 64), scorer.score(texts[start:start + 64]), strict=False):
            assert all(abs(row[label] - bulk[index][label]) <= 1.5e-4 for label in ORIGINAL_LABELS), index


def test_an_unknown_precision_names_the_setting(tiny_detoxify, no_network):
    error = _fails_fast("REVIEWER_DETOXIFY_PRECISION", checkpoint=tiny_detoxify.checkpoint,
                        config_dir=tiny_detoxify.config_dir, precision="fp8")
    assert "fp32" in str(error) and "bf16" in str(error)
    env = {"REVIEWER_TOXICITY": "detoxify", "REVIEWER_DETOXIFY_CHECKPOINT": str(tiny_detoxify.checkpoint),
           "REVIEWER_DETOXIFY_CONFIG_DIR": str(tiny_detoxify.config_dir), "REVIEWER_DETOXIFY_PRECISION": "half"}
    with pytest.raises(ScorerError, match="REVIEWER_DETOXIFY_PRECISION"):
        scorer_from_env(env)
