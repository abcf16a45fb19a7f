"""The read-back comparison alone: the exact LCS (quadratic) beside the linear one every check
now uses (pipeline.textcompare.common_in_order), on the words of generated reports, with the
output's words made the way a real output differs (a title and contents list before, labels
inserted, a few words garbled). Prints seconds and the ratio; writes JSON with --json PATH.

    .venv/bin/python bench/textcompare.py [--json bench-textcompare.json]

Kept beside bench/run.py (not inside it) so it can run alone in a few seconds.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rapidfuzz.distance import LCSseq  # noqa: E402

from bench.generate import write_report  # noqa: E402
from pipeline.readers.markdown import read_markdown  # noqa: E402
from pipeline.textcompare import common_in_order, source_words  # noqa: E402

SIZES = (10_000, 50_000, 100_000)
EXACT_UP_TO = 100_000  # beyond this the exact LCS takes minutes: only the linear one runs


def output_words(expected: list[str], seed: int) -> list[str]:
    rng = random.Random(seed)
    actual = ["contents"] + expected[:200] + list(expected)
    for index in range(0, len(actual), 500):
        actual[index + rng.randrange(1, 499) if index + 500 < len(actual) else index] = "garbled"
    for index in range(len(actual) - 1000, 0, -3000):
        actual[index:index] = ["image", "chart"]
    return actual


def main() -> int:
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-textcompare-") as folder:
        for size in (*SIZES, 400_000):
            source = write_report(Path(folder) / f"words-{size}", size)
            expected = source_words(read_markdown(source))
            actual = output_words(expected, size)
            started = time.perf_counter()
            linear = common_in_order(expected, actual)
            linear_seconds = time.perf_counter() - started
            row = {
                "words": len(expected),
                "linear_seconds": round(linear_seconds, 3),
                "recall": round(linear / len(expected), 5),
            }
            if size <= EXACT_UP_TO:
                started = time.perf_counter()
                exact = int(LCSseq.similarity(expected, actual))
                row["exact_seconds"] = round(time.perf_counter() - started, 3)
                row["same_result"] = exact == linear
                row["ratio"] = round(row["exact_seconds"] / max(linear_seconds, 1e-6), 1)
            rows.append(row)
            print(
                f"{row['words']:>8} words: linear {row['linear_seconds']:.3f} s"
                + (
                    f", exact {row['exact_seconds']:.3f} s ({row['ratio']}x), same result: "
                    f"{row['same_result']}"
                    if "exact_seconds" in row
                    else ""
                ),
                file=sys.stderr,
            )
    if "--json" in sys.argv:
        Path(sys.argv[sys.argv.index("--json") + 1]).write_text(json.dumps(rows, indent=2))
    return 0 if all(row.get("same_result", True) for row in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
