"""The PII scan on long digit-heavy texts: CPU seconds per text, by length (issue 15 item 14).

    python bench/bench_pii.py            # 2,500 / 5,000 / 20,000 / 40,000 characters, 3 runs each
    python bench/bench_pii.py --smoke    # 2,000 characters, 1 run

Each run uses a fresh phone cache (`phones_in` caches windows across drafts), so an attacker who
varies the text pays this every time. The cost should grow in step with the length (linear):
the "per 1,000 chars" column should stay flat.
"""

from __future__ import annotations

import argparse
import time

from reviewer.policy import phones, pii

PATTERNS = ("021 555 ", "(021) 5 ", "4111 1111 ")
DETECT = ["email", "phone", "card", "uk_ni", "us_ssn", "nz_ird", "au_tfn", "dob", "address"]


def cpu_seconds(detector: pii.PiiDetector, text: str, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        phones.phones_in.cache_clear()
        start = time.process_time()
        detector.find(text)
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="one short text, one run")
    args = parser.parse_args()
    lengths, runs = ((2_000,), 1) if args.smoke else ((2_500, 5_000, 20_000, 40_000), 3)
    detector = pii.PiiDetector(DETECT)
    detector.find("warm up 021 555 0199")
    print(f"{'pattern':<14} {'chars':>7} {'CPU s':>7} {'per 1,000 chars':>16}")
    for pattern in PATTERNS:
        for length in lengths:
            text = (pattern * (length // len(pattern) + 1))[:length]
            seconds = cpu_seconds(detector, text, runs)
            print(f"{pattern!r:<14} {length:>7,} {seconds:>7.3f} {seconds / length * 1000:>16.4f}")
    print("done: CPU seconds, best of", runs)


if __name__ == "__main__":
    main()
