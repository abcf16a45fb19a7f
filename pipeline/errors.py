"""Errors that reach a person: each names the file, the place in it and what to do.

The CLI prints these without a traceback; anything else escaping is a bug.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    path: Path | str
    line: int | None  # 1-based line (Markdown) or paragraph number (Word); None: whole file
    message: str  # what is wrong
    fix: str  # what to do about it

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else f"{self.path}"
        return f"{where}: {self.message}. Fix: {self.fix}"


class PipelineError(Exception):
    """Base of every error the pipeline reports to a person."""


class SourceError(PipelineError):
    """A source report has problems; all of them are listed together."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class OptionsError(PipelineError):
    """An option value is not allowed (e.g. large print below 16 pt, an unknown braille table)."""


class StageUnavailable(PipelineError):
    """A format whose stage is not built (yet), or whose tools are missing."""


class StageFailed(PipelineError):
    """A stage could not produce its output; the message says why and what to do."""
