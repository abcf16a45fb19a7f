"""Progress on stderr, so stdout stays clean for --json."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

ProgressFn = Callable[[int, int, str], None]


def quiet(done: int, total: int, label: str) -> None:
    """A progress function that says nothing (tests, library use)."""


def stderr_bar(stage: str) -> ProgressFn:
    """A one-line progress bar for a stage: `audio [#####-----] 5/10 Section title`."""
    started = time.monotonic()
    interactive = sys.stderr.isatty()

    def show(done: int, total: int, label: str) -> None:
        width = 20
        filled = int(width * done / total) if total else width
        bar = "#" * filled + "-" * (width - filled)
        line = f"{stage} [{bar}] {done}/{total} {label[:40]} ({time.monotonic() - started:.0f}s)"
        if interactive:
            end = "\n" if done >= total else ""
            sys.stderr.write("\r\x1b[2K" + line + end)
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()

    return show
