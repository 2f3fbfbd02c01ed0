"""Per-call speed of the text-matching primitives of the policy engine.

Prints the median and p99 time of one call (the median of several runs) for:
normalise + LexiconMatcher.find with a 2,000-term lexicon over drafts of up
to 280 characters; PiiDetector.find (every kind) on drafts without digits
and on drafts with numbers; find_urls. Plain script: prints figures, asserts
nothing. Run: .venv/bin/python bench/bench_matching.py [--runs 5] [--drafts 10000]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Callable, Sequence

from bench_policy import make_terms

from reviewer.policy.lexicon import LexiconEntry, LexiconMatcher
from reviewer.policy.normalise import normalise
from reviewer.policy import phones
from reviewer.policy.pii import PII_KINDS, PiiDetector
from reviewer.policy.urls import find_urls

SYLLABLES = "ba be bi bo bu ka ke ki ko ku ra re ri ro ru sa se si so su ta te ti to tu na ne ni no nu la le li lo lu".split()
WORDS = (
    "thanks for getting in touch we are sorry to hear about the delay your application is being processed "
    "please send us a direct message with your reference number and we will look into it the council meets "
    "on tuesday roadworks on main street finish next week bins are collected every second friday you can "
    "apply online at our website or visit the service centre library hours change over the holidays kia ora "
    "rates rebate water outage update community hui stay safe all of you"
).split()
NON_ASCII = ["\U0001f4e2", "\u2705", "\U0001f64f", "\u201cquoted\u201d", "wh\u0101nau", "caf\u00e9", "Te Whatu Ora \u2013 Health"]
EXTRAS = ["@council_nz", "#RoadSafety", "bit.ly/x1", "www.example.govt.nz/rates", "Thanks!", "(see below)"]
EVASIONS = ["1d10t", "s t u p i d", "stuuupid", "\u0456di\u043et", "id\u200biot", "\uff29\uff24\uff29\uff2f\uff34", "@ss"]
NUMBERS = ["4111 1111 1111 1111", "born 12/03/1985", "10:30", "2026", "1,500 homes", "CAS-123456"]


def random_phone(rng: random.Random) -> str:
    """A fresh phone number each time, so that no cache flatters the figures."""
    def digits(n: int) -> str:
        return "".join(rng.choice("0123456789") for _ in range(n))

    return rng.choice(
        [f"021 {digits(3)} {digits(4)}", f"09 {rng.randint(200, 999)} {digits(4)}", f"020 7946 {digits(4)}",
         f"(02) 9{digits(3)} {digits(4)}", f"(202) 555-{digits(4)}", f"+64 21 {digits(3)} {digits(4)}"]
    )


def make_lexicon(rng: random.Random, size: int) -> list[LexiconEntry]:
    """`size` made-up words and phrases (15% two-word phrases) plus a few real insults."""
    terms = make_terms(size, rng, SYLLABLES, phrases=0.15)
    entries = [LexiconEntry(term, f"rule{i % 40}") for i, term in enumerate(terms)]
    entries += [LexiconEntry(t, "abuse") for t in ("idiot", "stupid", "moron", "ass")]
    return entries


def make_draft(
    rng: random.Random,
    lexicon: Sequence[LexiconEntry],
    *,
    digits: bool,
    evasion: bool = False,
    own_number: bool = False,
    max_len: int = 280,
) -> str:
    """A draft of 200-280 characters: ordinary words, and now and then emoji, a listed term, a number."""
    words: list[str] = []
    target = rng.randint(max_len - 80, max_len)
    while sum(map(len, words)) + len(words) < target:
        word = rng.choice(WORDS)
        words.append(word.capitalize() + rng.choice(".,!?") if rng.random() < 0.08 else word)
    inserts = [rng.choice(EXTRAS)] if rng.random() < 0.5 else []
    if rng.random() < 0.25:
        inserts.append(rng.choice(NON_ASCII))
    if rng.random() < 0.10:
        inserts.append(rng.choice(lexicon).term)
    if evasion:
        inserts.append(rng.choice(EVASIONS))
    if digits:
        inserts += ["0800 123 456" if own_number else random_phone(rng), rng.choice(NUMBERS)]
    for piece in inserts:
        words.insert(rng.randrange(len(words) + 1), piece)
    text = " ".join(words)
    while len(text) > max_len:
        words.pop(rng.randrange(len(words)))
        text = " ".join(words)
    return text


def per_call(
    func: Callable[[str], object], drafts: Sequence[str], runs: int, before_run: Callable[[], object] = lambda: None
) -> tuple[float, float, float, float]:
    """Median over runs of per-call (median, p99) wall time and (median, p99) CPU time, in microseconds."""
    results: list[tuple[float, float, float, float]] = []
    wall_clock, cpu_clock = time.perf_counter_ns, time.thread_time_ns
    for _ in range(runs):
        before_run()
        walls, cpus = [], []
        for draft in drafts:
            w0, c0 = wall_clock(), cpu_clock()
            func(draft)
            cpus.append(cpu_clock() - c0)
            walls.append(wall_clock() - w0)
        walls.sort()
        cpus.sort()
        p99 = int(len(drafts) * 0.99)
        results.append((walls[len(walls) // 2] / 1e3, walls[p99] / 1e3, cpus[len(cpus) // 2] / 1e3, cpus[p99] / 1e3))
    return tuple(statistics.median(r[i] for r in results) for i in range(4))  # type: ignore[return-value]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--drafts", type=int, default=10_000)
    parser.add_argument("--terms", type=int, default=2_000)
    parser.add_argument("--smoke", action="store_true", help="one run of 600 drafts: proves the bench runs")
    args = parser.parse_args()
    if args.smoke:
        args.runs, args.drafts, args.terms = 1, 600, 200

    rng = random.Random(20261123)
    lexicon = make_lexicon(rng, args.terms)
    t0 = time.perf_counter()
    matcher = LexiconMatcher(lexicon)
    compile_ms = (time.perf_counter() - t0) * 1000
    plain = [make_draft(rng, lexicon, digits=False) for _ in range(args.drafts)]
    evasive = [make_draft(rng, lexicon, digits=False, evasion=True) for _ in range(args.drafts // 5)]
    with_numbers = [make_draft(rng, lexicon, digits=True) for _ in range(args.drafts)]
    own_number = [make_draft(rng, lexicon, digits=True, own_number=True) for _ in range(args.drafts // 5)]
    full = [d for d in plain if len(d) >= 260] or plain
    pii = PiiDetector(PII_KINDS, case_ref_patterns=[r"\bCAS-\d{6}\b"])

    def lexicon_call(draft: str) -> object:
        return matcher.find(normalise(draft))

    for warm in (lexicon_call, pii.find, find_urls):
        for draft in plain[:300] + with_numbers[:300] + evasive[:300]:
            warm(draft)

    with_hits = sum(bool(matcher.find(d)) for d in plain)
    print(f"lexicon: {len(lexicon)} terms compiled in {compile_ms:.0f} ms")
    print(f"drafts: {len(plain)} without digits (mean {statistics.mean(map(len, plain)):.0f} chars, "
          f"{sum(not d.isascii() for d in plain)} non-ASCII, {with_hits} with a lexicon match), "
          f"{len(full)} of them 260-280 chars; {len(evasive)} with evasion; {len(with_numbers)} with a new phone number and another number; "
          f"{len(own_number)} with the agency's own number and another")
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs "
          "(wall p99 counts time the thread waited for a CPU; the CPU columns do not)")
    print(f"per-call microseconds, median of {args.runs} runs (wall clock, and CPU time of this thread)")
    forget_numbers = phones.phones_in.cache_clear  # every run meets the numbers for the first time
    rows: list[tuple] = [  # label, function, drafts[, hook run before each run]
        ("normalise + LexiconMatcher.find, all drafts", lexicon_call, plain),
        ("normalise + LexiconMatcher.find, 260-280 chars", lexicon_call, full),
        ("normalise + LexiconMatcher.find, with evasion", lexicon_call, evasive),
        ("normalise alone, all drafts", normalise, plain),
        ("PiiDetector.find, every kind, no digits", pii.find, plain),
        ("PiiDetector.find, every kind, new phone + number", pii.find, with_numbers, forget_numbers),
        ("PiiDetector.find, every kind, own 0800 + number", pii.find, own_number),
        ("find_urls, all drafts", find_urls, plain),
    ]
    print(f"  {'':<50} {'wall median':>11} {'wall p99':>9} {'cpu median':>11} {'cpu p99':>8}")
    for label, func, drafts, *hook in rows:
        wall_median, wall_p99, cpu_median, cpu_p99 = per_call(func, drafts, args.runs, *hook)
        print(f"  {label:<50} {wall_median:11.1f} {wall_p99:9.1f} {cpu_median:11.1f} {cpu_p99:8.1f}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
