"""Measure the checker's judgement on drafts it has never seen: bench/data/quality/drafts.jsonl.

Prints, for the shipped policy (or --policy) with the embedded encoder and
scorer: recall of the non-pass cases by category (stopped = not passed), the
pass rate of the pass cases, the hard-negative pass rate, block adequacy (of
the cases that must be blocked, how many were), and every miss. Refuses to
run when a sentence of the set is also one of the policy's own examples
(like, unlike or examples), so the set measures rather than trains.

    .venv/bin/python bench/bench_quality.py [--policy FILE] [--encoder embedded|minilm|none|DIR] [--json] [--smoke]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reviewer.encoder import load_encoder
from reviewer.policy import Draft, load_policy
from reviewer.policy.rules.semantic import sentence_spans

QUALITY = ROOT / "bench" / "data" / "quality" / "drafts.jsonl"
POLICY = ROOT / "policies" / "government.yaml"


def read_items(path: Path = QUALITY) -> list[dict]:
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                items.append(json.loads(line))
            except ValueError as exc:
                raise SystemExit(f"{path}:{number}: not JSON ({exc})") from None
    return items


MIN_WORDS = 5  # shorter sentences ("Thanks!", "Thanks for the feedback.") are common to any two sets of replies


def _key(sentence: str) -> str:
    return re.sub(r"\W+", " ", sentence.casefold()).strip()


def policy_sentences(policy_path: Path) -> set[str]:
    """Every sentence of the policy files' like/unlike lists and examples (parents included)."""
    import yaml

    texts: list[str] = []
    seen: set[Path] = set()
    path: Path | None = policy_path
    while path is not None and path not in seen:
        seen.add(path)
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for rule in data.get("rules") or []:
            if isinstance(rule, dict):
                texts += [*(rule.get("like") or []), *(rule.get("unlike") or [])]
                texts += [*((rule.get("add") or {}).get("like") or []), *((rule.get("add") or {}).get("unlike") or [])]
        texts += [e.get("text", "") for e in data.get("examples") or [] if isinstance(e, dict)]
        path = (path.parent / data["extends"]).resolve() if data.get("extends") else None
    keys = {_key(t[s:e]) for t in texts for s, e in sentence_spans(t)}
    return {k for k in keys if len(k.split()) >= MIN_WORDS}


def overlaps(items: list[dict], policy_path: Path) -> list[str]:
    known = policy_sentences(policy_path)
    found = []
    for item in items:
        for text in (item["text"], item.get("in_reply_to") or ""):
            for s, e in sentence_spans(text):
                if _key(text[s:e]) in known:
                    found.append(f"{item['id']}: {text[s:e]!r}")
    return found


def judge(policy, items: list[dict], scorer=None) -> list[dict]:
    drafts = [Draft(i["text"], i.get("platform"), dt.date.fromisoformat(i["date"]) if i.get("date") else None,
                    i.get("in_reply_to")) for i in items]
    verdicts = policy.check_batch(drafts, scorer=scorer)
    return [{**item, "got": v.decision, "rules": sorted({f.rule for f in v.findings if f.action != "note"})}
            for item, v in zip(items, verdicts)]


def metrics(results: list[dict]) -> dict:
    risky = [r for r in results if r["expect"] != "pass"]
    clean = [r for r in results if r["expect"] == "pass"]
    hard = [r for r in clean if r.get("hard_negative")]
    block = [r for r in results if r["expect"] == "block"]
    by_category: dict[str, list[dict]] = defaultdict(list)
    for r in risky:
        by_category[r["category"]].append(r)

    def rate(rows: list[dict], ok) -> float:
        return round(sum(1 for r in rows if ok(r)) / len(rows), 3) if rows else 1.0

    return {
        "cases": len(results),
        "risky_recall": rate(risky, lambda r: r["got"] != "pass"),
        "pass_rate": rate(clean, lambda r: r["got"] == "pass"),
        "hard_negative_pass_rate": rate(hard, lambda r: r["got"] == "pass"),
        "block_adequacy": rate(block, lambda r: r["got"] == "block"),
        "recall_by_category": {c: {"stopped": sum(r["got"] != "pass" for r in rows), "of": len(rows),
                                   "recall": rate(rows, lambda r: r["got"] != "pass")}
                               for c, rows in sorted(by_category.items())},
        "misses": [{"id": r["id"], "expect": r["expect"], "got": r["got"], "rules": r["rules"], "text": r["text"]}
                   for r in results if (r["expect"] == "pass") != (r["got"] == "pass")
                   or (r["expect"] == "block" and r["got"] != "block")],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policy", type=Path, default=POLICY)
    parser.add_argument("--encoder", default="embedded", help="embedded, static, minilm, none or a folder")
    parser.add_argument("--scorer", default="embedded", choices=["embedded", "none"])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--smoke", action="store_true", help="every 10th case only: proves the bench runs")
    args = parser.parse_args(argv)
    items = read_items()
    if args.smoke:
        items = items[::10]
    clash = overlaps(items, args.policy)
    if clash:
        print("error: these sentences are also policy examples; the set must stay apart:\n  " + "\n  ".join(clash))
        return 2
    encoder = load_encoder(args.encoder)
    policy = load_policy(args.policy, encoder=encoder, skip_semantic=encoder is None)
    scorer = None
    if args.scorer == "embedded":
        from reviewer.toxicity import load_scorer

        scorer = load_scorer("embedded")
    started = time.perf_counter()
    result = metrics(judge(policy, items, scorer))
    result["seconds"] = round(time.perf_counter() - started, 2)
    result["encoder"] = None if encoder is None else encoder.info()["version"]
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"quality set: {result['cases']} cases, policy {args.policy.name}, encoder {args.encoder} ({result['seconds']} s)")
    print(f"  risky recall {result['risky_recall']:.3f}   pass rate {result['pass_rate']:.3f}   "
          f"hard-negative pass rate {result['hard_negative_pass_rate']:.3f}   block adequacy {result['block_adequacy']:.3f}")
    print("  recall by category:")
    for category, row in result["recall_by_category"].items():
        print(f"    {category:<14} {row['stopped']:>3}/{row['of']:<3} {row['recall']:.2f}")
    print(f"  misses ({len(result['misses'])}):")
    for miss in result["misses"]:
        print(f"    {miss['id']:<18} expect {miss['expect']:<6} got {miss['got']:<6} {','.join(miss['rules']) or '-':<40} {miss['text'][:110]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
