"""Speed of semantic checking: live edits, drafts never seen, rules only, the example cache, replay.

The shipped government policy (its 13 semantic rules) with the embedded
encoder, no toxicity scorer, on one process. Figures are medians of --runs.

  edit      re-check a checked three-sentence draft after one sentence changed (p50, p99)
  new       check a three-sentence draft (about 280 characters) never seen before (p50, p99)
  none      REVIEWER_ENCODER=none: rules only, drafts per second (one at a time)
  cache     load a policy with 2,000 semantic examples: cold (train, write the cache) and warm
  replay    check_batch over distinct drafts, per sentence, beside the encoder's own cost per sentence

    .venv/bin/python bench/bench_semantic.py [--runs 5] [--encoder embedded|minilm|DIR] [--smoke]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import yaml

from reviewer.encoder import load_encoder
from reviewer.policy import Draft, engine, load_policy
from reviewer.policy.rules.semantic import sentence_spans

POLICY = ROOT / "policies" / "government.yaml"
PLACES = ["Wharf Road", "the high street", "Elm Park", "the library", "Station Road", "the pool", "Mill Lane"]
THINGS = ["street light", "bin", "pothole", "bench", "hedge", "footpath", "crossing", "drain", "sign", "fence"]


NUMBERS = ("nought", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def spelled(i: int) -> str:
    return "-".join(NUMBERS[int(d)] for d in str(i))


def draft(rng: random.Random, i: int) -> str:
    """Three sentences, about 280 characters, each new (an index and random choices in it)."""
    place, thing = rng.choice(PLACES), rng.choice(THINGS)
    return (f"Thanks for letting us know about the {thing} on {place}, and sorry for the trouble it has caused. "
            f"Our team has logged it as job {spelled(i)} and a crew will visit within {rng.randint(2, 9)} working days. "
            f"If anything changes before then, send us a message and we will update you on {place} straight away.")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def timed(fn, items) -> list[float]:
    out = []
    for item in items:
        started = time.perf_counter()
        fn(item)
        out.append((time.perf_counter() - started) * 1000)
    return out


def one_run(policy, rules_only, encoder, n: int, seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    texts = [draft(rng, seed * 1_000_000 + i) for i in range(n)]
    new = timed(policy.check, texts)
    edited = []
    for text in texts[: max(10, n // 4)]:
        policy.check(text)
        first, rest = text.split(". ", 1)
        edited.append(first + f", and the {rng.choice(THINGS)} too. " + rest)
    edit = timed(policy.check, edited)
    started = time.perf_counter()
    for text in texts:
        rules_only.check(text)
    none_rate = len(texts) / (time.perf_counter() - started)
    encoder.encode([t.replace("as job ", "as order ") for t in texts[:64]], cache=False)  # warm: shapes, arenas
    fresh = [t.replace("as job ", "as ticket ") for t in texts]
    sentences = list(dict.fromkeys(t[s:e] for t in fresh for s, e in sentence_spans(t)))  # replay encodes each once
    encoder.encode(sentences, cache=False)  # once untimed: the runtime plans each new input shape on first sight
    started = time.perf_counter()
    encoder.encode(sentences, cache=False)
    encode_ms = (time.perf_counter() - started) * 1000 / len(sentences)
    started = time.perf_counter()
    policy.check_batch([Draft(t) for t in fresh])  # the same sentences, not in the sentence cache
    replay_ms = (time.perf_counter() - started) * 1000 / len(sentences)
    return {"new_p50": statistics.median(new), "new_p99": percentile(new, 99), "edit_p50": statistics.median(edit),
            "edit_p99": percentile(edit, 99), "none_per_s": none_rate, "encode_ms": encode_ms, "replay_ms": replay_ms}


def example_cache(encoder, examples: int) -> tuple[float, float]:
    """(cold s, warm s) to load a policy whose semantic rules hold `examples` examples in all."""
    raw = yaml.safe_load(POLICY.read_text(encoding="utf-8"))
    rules = [r for r in raw["rules"] if r.get("kind") == "semantic"]
    pool = [(r["id"], "like", t) for r in rules for t in r["like"]] + [(r["id"], "unlike", t) for r in rules for t in r["unlike"]]
    chosen = pool[:: max(1, len(pool) // examples)][:examples]
    for rule in rules:
        rule["like"] = [t for rid, side, t in chosen if rid == rule["id"] and side == "like"] or rule["like"][:1]
        rule["unlike"] = [t for rid, side, t in chosen if rid == rule["id"] and side == "unlike"]
    for rule in rules:
        rule.pop("escalate", None)
    policy = {"id": "cache-bench", "version": "1", "rules": rules, "semantic": {"neutral": []}}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "p.yaml"
        path.write_text(yaml.safe_dump(policy, allow_unicode=True), encoding="utf-8")
        saved = getattr(encoder, "cache_dir", None)
        encoder.cache_dir = Path(folder) / "cache"
        try:
            engine._CACHE.clear()
            started = time.perf_counter()
            load_policy(path, encoder=encoder)
            cold = time.perf_counter() - started
            engine._CACHE.clear()
            started = time.perf_counter()
            load_policy(path, encoder=encoder)
            warm = time.perf_counter() - started
        finally:
            encoder.cache_dir = saved
    return cold, warm


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--drafts", type=int, default=400)
    parser.add_argument("--encoder", default="embedded")
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("--smoke", action="store_true", help="1 run, 20 drafts, 200 examples")
    args = parser.parse_args(argv)
    if args.smoke:
        args.runs, args.drafts, args.examples = 1, 20, 200
    encoder = load_encoder(args.encoder)
    started = time.perf_counter()
    policy = load_policy(POLICY, encoder=encoder)
    load_s = time.perf_counter() - started
    rules_only = load_policy(POLICY, skip_semantic=True)
    policy.check("Warm up: thanks for your message.")
    print(f"encoder {args.encoder} ({encoder.info()['version']}), policy government.yaml loaded in {load_s:.2f} s, "
          f"{os.cpu_count()} CPUs, {args.drafts} drafts a run, {args.runs} runs")
    runs = [one_run(policy, rules_only, encoder, args.drafts, seed) for seed in range(1, args.runs + 1)]
    caches = [example_cache(encoder, args.examples) for _ in range(max(1, min(args.runs, 3)))]

    def med(key: str) -> float:
        return statistics.median(run[key] for run in runs)

    print(f"  edit one sentence   p50 {med('edit_p50'):6.2f} ms  p99 {med('edit_p99'):6.2f} ms   (target p50 <= 25 ms)")
    print(f"  new draft           p50 {med('new_p50'):6.2f} ms  p99 {med('new_p99'):6.2f} ms   (target p50 <= 70, p99 <= 150 ms)")
    print(f"  encoder none        {med('none_per_s'):8.0f} drafts/s (rules only; target >= 5,000)")
    print(f"  example cache ({args.examples} examples): cold {statistics.median(c[0] for c in caches):.2f} s, "
          f"warm {statistics.median(c[1] for c in caches):.3f} s   (targets <= 10 s, <= 0.3 s)")
    ratio = med("replay_ms") / med("encode_ms")
    print(f"  replay              {med('replay_ms') * 1000:7.1f} us per sentence (rules and semantic), encoder alone "
          f"{med('encode_ms') * 1000:7.1f} us per sentence: {ratio:.2f}x; "
          f"{1000 / med('replay_ms'):,.0f} sentences/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
