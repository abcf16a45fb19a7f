"""How much of a source reached the document, counted by the reader from the source itself.

Independent of the model and of every output: the Markdown reader counts source lines (each is
text, markup or a reported problem), the Word reader counts w:t text runs and names each part it
skipped. A check that compares an output with the document cannot see text the reader lost;
this can, and a source that loses text is a source problem with its place, never a silent pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class SourceAccount:
    source: Path
    unit: str  # "lines" (Markdown) or "text runs" (Word w:t)
    total: int = 0  # units in the source
    read: int = 0  # units whose text reached the document
    markup: int = 0  # units that are only markup (list markers, blank lines)
    problems: int = 0  # problems reported by the reader
    lost: list[str] = field(default_factory=list)  # where text was not read (reported)
    skipped: list[str] = field(default_factory=list)  # parts left out on purpose, named

    @property
    def complete(self) -> bool:
        return not self.lost

    def summary(self) -> str:
        return (
            f"{self.source.name}: {self.read} of {self.total} {self.unit} read as text"
            + (f", {self.markup} markup" if self.unit == "lines" else "")
            + (f", not read: {', '.join(self.lost)}" if self.lost else "")
            + (f", skipped: {', '.join(self.skipped)}" if self.skipped else "")
        )
