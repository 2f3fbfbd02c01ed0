"""How the shipped policy's tone rules treat the hand-written tone development set.

Checks each draft of bench/data/tone_dev/drafts.jsonl (draft only, no post it answers) with
policies/government.yaml and the embedded encoder, no toxicity scorer, and prints recall on the
`review` items, the pass rate of the `pass` items, and every miss and false alarm with the rules
that fired. A development set: tune rules on it, never on bench/data/quality/.

    .venv/bin/python bench/bench_tone_dev.py [--encoder embedded|static|DIR] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reviewer.encoder import load_encoder
from reviewer.policy import Draft, load_policy

POLICY = ROOT / "policies" / "government.yaml"
DATA = ROOT / "bench" / "data" / "tone_dev" / "drafts.jsonl"


def load_items(path: Path) -> list[dict]:
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        item = json.loads(line)
        if item.get("expect") not in ("review", "pass"):
            raise SystemExit(f"{path}:{number}: expect must be 'review' or 'pass', not {item.get('expect')!r}")
        items.append(item)
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--encoder", default="embedded", help="sentence encoder (default: embedded)")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--smoke", action="store_true", help="ten items of each kind (seconds)")
    args = parser.parse_args()

    items = load_items(args.data)
    if args.smoke:
        items = [i for i in items if i["expect"] == "review"][:10] + [i for i in items if i["expect"] == "pass"][:10]
    started = time.perf_counter()
    policy = load_policy(POLICY, encoder=load_encoder(args.encoder))
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    verdicts = policy.check_batch([Draft(i["text"]) for i in items])
    checked = time.perf_counter() - started

    review = [(i, v) for i, v in zip(items, verdicts) if i["expect"] == "review"]
    passing = [(i, v) for i, v in zip(items, verdicts) if i["expect"] == "pass"]
    caught = sum(v.decision != "pass" for _, v in review)
    passed = sum(v.decision == "pass" for _, v in passing)
    tone = sum(any(f.rule.startswith("tone.") for f in v.findings) for _, v in review)
    print(f"{len(items)} drafts from {args.data.relative_to(ROOT) if args.data.is_relative_to(ROOT) else args.data}; "
          f"policy loaded in {loaded:.1f} s, checked in {checked:.1f} s")
    for item, verdict in review:
        if verdict.decision == "pass":
            print(f"  miss        {item['id']} [{item.get('note', '')}] {item['text']}")
    for item, verdict in passing:
        if verdict.decision != "pass":
            rules = ", ".join(sorted({f.rule for f in verdict.findings}))
            print(f"  false alarm {item['id']} [{item.get('note', '')}] ({rules}) {item['text']}")
    print(f"recall on review items: {caught}/{len(review)} = {caught / max(1, len(review)):.2f} "
          f"(by a tone rule: {tone})")
    print(f"pass rate on pass items: {passed}/{len(passing)} = {passed / max(1, len(passing)):.2f}")


if __name__ == "__main__":
    main()
