"""Speed of the toxicity backends on 280-character drafts: texts/s and per-call latency.

Embedded: single texts, batches of 64 and of 4,096 (median of 5 runs each).
Detoxify: the `original` architecture (bert-base-uncased shape, 110M
parameters, 6 labels) with randomly initialised weights and a bert-base-size
WordPiece vocabulary built here, written as a Detoxify checkpoint and loaded
through the real backend, so the figures are honest without the real weights;
torch limited to 2 threads, bounded to about 60 s (--detoxify-seconds).
Detoxify rows: one text per call, the product's bulk path (one `score()` call
of --bulk drafts: length-sorted batches, 64 on CPU and 256 on a GPU, bf16 on
a GPU that has it), and the tokenizer alone (the next ceiling on a GPU).
--smoke builds a tiny model instead of bert-base, so it runs in seconds.

    .venv/bin/python bench/bench_toxicity_speed.py [--device cpu|cuda] [--precision auto|fp32|bf16]
        [--bulk 20000] [--skip-detoxify] [--smoke]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reviewer.toxicity import load_scorer
from reviewer.toxicity.identity import neutralise

DRAFT_LENGTH = 280
SENTENCES = [
    "Thanks for getting in touch with us about this.",
    "We are sorry to hear about the delay with your application.",
    "Please send us a direct message with your reference number and we will look into it.",
    "The library will reopen on Monday after the building work is finished.",
    "You can find the latest guidance on our website.",
    "Our team is working hard to fix the problem as quickly as possible.",
    "Bin collections in your area will take place on Thursday this week.",
    "We have passed your feedback on to the roads team.",
    "The consultation closes at the end of the month, so please have your say.",
    "As a council we welcome residents from every background, including Muslim and Jewish families.",
    "Our pride month events for gay, lesbian and trans residents are listed online.",
    "Disabled residents can request a blue badge through the online form.",
    "This is frankly a stupid question and you should already know the answer.",
    "We understand how frustrating this must be.",
]


def make_drafts(count: int, seed: int = 0, sentences: list[str] = SENTENCES) -> list[str]:
    """`count` replies of exactly 280 characters, built from reply-like sentences."""
    rng = random.Random(seed)
    drafts = []
    for _ in range(count):
        text = ""
        while len(text) < DRAFT_LENGTH:
            text += rng.choice(sentences) + " "
        drafts.append(text[:DRAFT_LENGTH])
    return drafts


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(scorer, batches: list[list[str]], runs: int, deadline: float | None = None) -> dict:
    """Median over runs of texts/s and per-call p50/p99, in wall-clock and in process CPU time.

    The CPU figures barely move when other programs share the cores; on an
    idle machine a single-threaded backend's wall time equals its CPU time.
    """
    rates, p50s, p99s, cpu_ms, cpu_rates = [], [], [], [], []
    for _ in range(runs):
        if deadline is not None and rates and time.perf_counter() > deadline:
            break
        latencies, cpu = [], []
        for batch in batches:
            if deadline is not None and latencies and time.perf_counter() > deadline:
                break  # out of time: keep the calls made so far
            cpu_started, started = time.process_time(), time.perf_counter()
            scorer.score(batch)
            latencies.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
        texts = sum(len(batch) for batch in batches[: len(latencies)])
        rates.append(texts / sum(latencies))
        cpu_rates.append(texts / sum(cpu))
        p50s.append(percentile(latencies, 0.5) * 1000)
        p99s.append(percentile(latencies, 0.99) * 1000)
        cpu_ms.append(percentile(cpu, 0.5) * 1000)
        calls = len(latencies) if len(rates) == 1 else min(calls, len(latencies))  # noqa: F821 -- set on the first run
    return {"texts/s": statistics.median(rates), "p50 ms": statistics.median(p50s),
            "p99 ms": statistics.median(p99s), "cpu ms": statistics.median(cpu_ms),
            "texts/cpu-s": statistics.median(cpu_rates), "runs": len(rates), "calls/run": calls}


def row(backend: str, mode: str, result: dict) -> None:
    print(f"| {backend} | {mode} | {result['texts/s']:,.0f} | {result['p50 ms']:.2f} | {result['p99 ms']:.2f} "
          f"| {result['cpu ms']:.2f} | {result['texts/cpu-s']:,.0f} | {result['runs']} x {result['calls/run']} |")


def bench_embedded(drafts: list[str], runs: int = 5) -> None:
    scorer = load_scorer("embedded")
    scorer.score(drafts[:64])  # warm up
    row("embedded", "1 text per call", measure(scorer, [[d] for d in drafts[:300]], runs=runs))
    row("embedded", "batches of 64", measure(scorer, [drafts[i : i + 64] for i in range(0, 6400, 64)], runs=runs))
    row("embedded", "batches of 4,096", measure(scorer, [drafts[i : i + 4096] for i in range(0, 12288, 4096)], runs=runs))
    plain = make_drafts(12288, seed=1, sentences=[s for s in SENTENCES if neutralise(s) is None])
    row("embedded", "batches of 4,096, no identity term", measure(scorer, [plain[i : i + 4096] for i in range(0, 12288, 4096)], runs=runs))


def build_bert_base(folder: Path, drafts: list[str], tiny: bool = False):
    """A Detoxify-format checkpoint of bert-base shape (or a tiny one) with random weights, and its config folder."""
    import torch
    import transformers

    # Every word of the drafts is one token, as common English words are in the real vocabulary;
    # the rest is filler up to bert-base's 30,522 entries.
    words = sorted({w for d in drafts for w in re.findall(r"\w+|[^\w\s]", d.lower())})
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    filler = [f"tok{i}" for i in range(30522 - len(specials) - len(words))]
    vocab = {token: index for index, token in enumerate(specials + words + filler)}
    config_dir = folder / "config"
    transformers.BertTokenizer(vocab=vocab).save_pretrained(config_dir)
    config = transformers.BertConfig(num_labels=6)  # bert-base-uncased: 12 layers, hidden 768, 30,522 tokens
    if tiny:
        config = transformers.BertConfig(num_labels=6, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                         intermediate_size=64)
    config.save_pretrained(config_dir)
    torch.manual_seed(0)
    model = transformers.BertForSequenceClassification(config)
    checkpoint = folder / "bert-base-random.ckpt"
    classes = ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"]
    torch.save({"config": {"arch": {"args": {"model_type": "bert-base-uncased", "model_name": "BertForSequenceClassification",
                                             "tokenizer_name": "BertTokenizer", "num_classes": 6}},
                           "dataset": {"args": {"classes": classes}}},
                "state_dict": model.state_dict()}, checkpoint)
    return checkpoint, config_dir


def bench_detoxify(drafts: list[str], device: str, seconds: float, precision: str, bulk: int, tiny: bool) -> None:
    try:
        import torch
    except ImportError:
        print("| detoxify original | skipped: torch is not installed | | | | | | |")
        return
    from reviewer.toxicity.detoxify_backend import load_detoxify

    torch.set_num_threads(2)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        checkpoint, config_dir = build_bert_base(Path(tmp), drafts, tiny=tiny)
        built = time.perf_counter() - started
        started = time.perf_counter()
        scorer = load_detoxify(checkpoint=checkpoint, config_dir=config_dir, device=device, precision=precision)
        loaded = time.perf_counter() - started
    details = scorer.info()["details"]
    tokens = statistics.mean(len(scorer._tokenizer(d)["input_ids"]) for d in drafts[:64])
    print(f"(detoxify: built the random {'tiny' if tiny else 'bert-base'} checkpoint in {built:.1f} s, loaded it in "
          f"{loaded:.1f} s; {tokens:.0f} tokens per draft; device {device}, {details['precision']}, batches of "
          f"{details['batch_size']}, {details['tokenizer']} tokenizer, torch threads {torch.get_num_threads()})")
    label = f"detoxify original ({device}, {details['precision']})"
    scorer.score(drafts[:2])  # warm up
    deadline = time.perf_counter() + seconds / 3
    row(label, "1 text per call", measure(scorer, [[d] for d in drafts[:200]], runs=3, deadline=deadline))
    texts = (drafts * (bulk // len(drafts) + 1))[:bulk]
    scorer.score(texts[: details["batch_size"] * 2])  # warm up at full batch size
    deadline = time.perf_counter() + seconds / 3
    row(label, f"bulk: one call of {len(texts):,}", measure(scorer, [texts], runs=3, deadline=deadline))
    tokenizer = scorer._tokenizer
    deadline = time.perf_counter() + seconds / 3
    row(f"{details['tokenizer']} tokenizer alone", "batches of 256",
        measure(_Tokenizing(tokenizer), [texts[i : i + 256] for i in range(0, len(texts), 256)], runs=3, deadline=deadline))


class _Tokenizing:
    """The tokenizer as a 'scorer', so `measure` times it the same way."""

    def __init__(self, tokenizer) -> None:
        self._tokenizer = tokenizer

    def score(self, batch: list[str]) -> None:
        self._tokenizer(batch, truncation=True, padding=True, max_length=512)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="torch device for Detoxify (default cpu)")
    parser.add_argument("--skip-detoxify", action="store_true")
    parser.add_argument("--detoxify-seconds", type=float, default=60.0, help="time budget for the Detoxify runs")
    parser.add_argument("--precision", default="auto", help="Detoxify precision: auto (bf16 on a GPU, fp16 on an older one), fp32, bf16 or fp16")
    parser.add_argument("--bulk", type=int, default=20_000, help="drafts in the bulk call (default 20,000)")
    parser.add_argument("--smoke", action="store_true", help="one short run of each, a tiny Detoxify budget: proves the bench runs")
    args = parser.parse_args()
    if args.smoke:
        args.detoxify_seconds, args.bulk = 3.0, 600
    drafts = make_drafts(12288)
    print(f"machine: {os.cpu_count()} CPU cores (shared), load average {os.getloadavg()[0]:.2f}; "
          f"drafts of {DRAFT_LENGTH} characters, {sum(neutralise(d) is not None for d in drafts) / len(drafts):.0%} "
          "of them naming an identity group (the correction scores those twice); figures are medians over runs; "
          f"CPU columns count this process's CPU time (all its threads)\n")
    print("| backend | mode | texts/s | p50 ms/call | p99 ms/call | CPU ms/call (p50) | texts/CPU-s | runs x calls |")
    print("|---|---|---|---|---|---|---|---|")
    bench_embedded(drafts, runs=1 if args.smoke else 5)
    if not args.skip_detoxify:
        bench_detoxify(drafts, args.device, args.detoxify_seconds, args.precision, args.bulk, tiny=args.smoke)


if __name__ == "__main__":
    main()
