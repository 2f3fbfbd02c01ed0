"""How well the toxicity backends separate abuse from civil text, and how they treat identity terms.

Prints, for each backend available here:
- ROC AUC on the Wikipedia toxicity test set (1,492 talk-page comments,
  248 toxic; REVIEWER_TOXICITY_TESTSET or ../shared/data/toxicity/...),
  and precision / recall at the default policy's thresholds;
- the share of respectful identity sentences (bench/data/identity_sentences.txt)
  and of identity-targeted abuse (bench/data/identity_abuse.txt) at or above
  each threshold.
For the embedded backend it prints three variants: the raw model, plain
replacement of identity terms (score the neutralised text whenever one is
present) and the shipped blend. Detoxify runs only when REVIEWER_DETOXIFY_CHECKPOINT
and REVIEWER_DETOXIFY_CONFIG_DIR name real weights. Scores are deterministic,
so one run is enough.

    .venv/bin/python bench/bench_toxicity_quality.py [--smoke]
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import sys
from pathlib import Path

import yaml
from sklearn.metrics import roc_auc_score

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reviewer.toxicity import ScorerError, scorer_from_env
from reviewer.toxicity.identity import neutralise

DATA = ROOT / "bench" / "data"
DEFAULT_TESTSET = ROOT.parent / "shared" / "data" / "toxicity" / "wikipedia_toxicity_testset.csv"
# 40 comments written for this repository (20 civil, 20 abusive): what --smoke uses when the Wikipedia set is
# not beside the checkout (a clone elsewhere, CI). Its figures only prove the bench runs.
SAMPLE_TESTSET = ROOT / "bench" / "data" / "toxicity_sample.csv"
FALLBACK_THRESHOLDS = (0.8, 0.95)
SEXUALITY = re.compile(r"\b(gay|lesbian|homosexual|queer)", re.IGNORECASE)
BOUNDARY = 0.5  # also shown for the identity sets: the classifier's own decision boundary


def policy_thresholds() -> tuple[tuple[float, ...], str]:
    """The `toxicity` thresholds of policies/government.yaml, or the assumed 0.8 / 0.95."""
    path = ROOT / "policies" / "government.yaml"
    try:
        policy = yaml.safe_load(path.read_text(encoding="utf-8"))
        found = sorted(
            {float(rule["thresholds"]["toxicity"]) for rule in policy["rules"]
             if rule.get("kind") == "toxicity" and "toxicity" in rule.get("thresholds", {})}
        )
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        return FALLBACK_THRESHOLDS, f"assumed (could not read {path}: {exc})"
    if not found:
        return FALLBACK_THRESHOLDS, f"assumed ({path} has no toxicity thresholds)"
    return tuple(found), f"from {path.relative_to(ROOT)}"


def read_lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")]


def read_testset(smoke: bool = False) -> tuple[list[str], list[bool], Path]:
    path = Path(os.environ.get("REVIEWER_TOXICITY_TESTSET") or DEFAULT_TESTSET)
    if not path.is_file():
        if not smoke:
            raise SystemExit(f"no toxicity test set at {path}: set REVIEWER_TOXICITY_TESTSET (or use --smoke)")
        print(f"(no test set at {path}: --smoke uses the 40-comment sample {SAMPLE_TESTSET.name}; not comparable)")
        path = SAMPLE_TESTSET
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [row["comment"] for row in rows], [row["toxic"] == "True" for row in rows], path


def share_at(scores: list[float], threshold: float) -> float:
    return sum(score >= threshold for score in scores) / len(scores)


def precision_recall(scores: list[float], truth: list[bool], threshold: float) -> tuple[float, float]:
    flagged = [score >= threshold for score in scores]
    hits = sum(f and t for f, t in zip(flagged, truth, strict=True))
    return hits / max(1, sum(flagged)), hits / max(1, sum(truth))


def report(name: str, score_fn, sets: dict, thresholds: tuple[float, ...]) -> None:
    texts, truth = sets["wikipedia"]
    wiki = score_fn(texts)
    respectful = score_fn(sets["respectful"])
    abuse = score_fn(sets["abuse"])
    cells = [f"{roc_auc_score(truth, wiki):.4f}"]
    for threshold in thresholds:
        precision, recall = precision_recall(wiki, truth, threshold)
        cells += [f"{precision:.3f}", f"{recall:.3f}"]
    cells += [f"{share_at(respectful, t):.1%}" for t in (BOUNDARY, *thresholds)]
    cells += [f"{share_at(abuse, t):.1%}" for t in (BOUNDARY, *thresholds)]
    print(f"| {name} | " + " | ".join(cells) + " |")


def header(thresholds: tuple[float, ...]) -> None:
    columns = ["backend", "wiki ROC AUC"]
    columns += [f"{kind}@{t:g}" for t in thresholds for kind in ("P", "R")]
    columns += [f"respectful flagged@{t:g}" for t in (BOUNDARY, *thresholds)]
    columns += [f"identity abuse flagged@{t:g}" for t in (BOUNDARY, *thresholds)]
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="the first 300 comments only: proves the bench runs")
    args = parser.parse_args()
    thresholds, source = policy_thresholds()
    texts, truth, testset = read_testset(smoke=args.smoke)
    if args.smoke:
        texts, truth = texts[:300], truth[:300]
    sets = {
        "wikipedia": (texts, truth),
        "respectful": read_lines(DATA / "identity_sentences.txt"),
        "abuse": read_lines(DATA / "identity_abuse.txt"),
    }
    print(f"thresholds {', '.join(f'{t:g}' for t in thresholds)} ({source})")
    print(f"test set {testset}: {len(texts)} comments, {sum(truth)} toxic; "
          f"{len(sets['respectful'])} respectful identity sentences; {len(sets['abuse'])} identity-targeted abusive ones\n")
    header(thresholds)

    embedded = scorer_from_env({"REVIEWER_TOXICITY": "embedded"})

    def replaced(batch: list[str]) -> list[float]:
        neutral = [neutralise(text) or text for text in batch]
        return embedded.raw_scores(neutral)

    variants = {
        "embedded, raw model": embedded.raw_scores,
        "embedded, plain replacement": replaced,
        f"embedded, shipped ({embedded.version})": lambda b: [r["toxicity"] for r in embedded.score(b)],
    }
    for name, score_fn in variants.items():
        report(name, score_fn, sets, thresholds)
    subset = [t for t in sets["respectful"] if SEXUALITY.search(t)]
    print(f"\nrespectful sentences naming gay/lesbian/homosexual/queer people (n={len(subset)}), the known weak spot:")
    for name, score_fn in variants.items():
        scores = score_fn(subset)
        print(f"  {name}: mean score {sum(scores) / len(scores):.3f}, max {max(scores):.3f}, "
              f"flagged@{BOUNDARY:g} {share_at(scores, BOUNDARY):.0%}")

    if not (os.environ.get("REVIEWER_DETOXIFY_CHECKPOINT") or os.environ.get("REVIEWER_TOXICITY") == "detoxify"):
        print("\ndetoxify: skipped (no real weights configured: set REVIEWER_DETOXIFY_CHECKPOINT and "
              "REVIEWER_DETOXIFY_CONFIG_DIR, or REVIEWER_TOXICITY=detoxify on a connected machine)")
        return
    try:
        detox = scorer_from_env({**os.environ, "REVIEWER_TOXICITY": "detoxify"})
    except ScorerError as exc:
        print(f"\ndetoxify: skipped ({exc})")
        return
    report(f"detoxify ({detox.version})", lambda b: [r["toxicity"] for r in detox.score(b)], sets, thresholds)


if __name__ == "__main__":
    main()
