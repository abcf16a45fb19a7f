"""The catalogue: every report in sources/, and the names people may use for it.

Only a report in the catalogue can ever be converted: a request selects an entry by matching
names, never by a path or file name taken from the email.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from ..errors import PipelineError


@dataclass(frozen=True)
class CatalogueEntry:
    slug: str                     # "annual-review-2023"
    title: str                    # "Annual Review 2023"
    aliases: tuple[str, ...]      # from front matter: "the annual review", "AR23"
    source: Path                  # the source file (found by find_reports, never from an email)

    @property
    def names(self) -> tuple[str, ...]:
        """Every name a reader might use: title, slug read as words, aliases."""
        return (self.title, self.slug.replace("-", " "), *self.aliases)


@dataclass(frozen=True)
class LeftOut:
    """A source the catalogue could not read (per-source isolation): named, with its problem."""
    source: Path
    problem: str


@dataclass(frozen=True)
class Catalogue:
    entries: tuple[CatalogueEntry, ...]
    left_out: tuple[LeftOut, ...] = ()     # sources with problems: not offered, staff told

    def by_slug(self, slug: str) -> CatalogueEntry | None:
        return next((entry for entry in self.entries if entry.slug == slug), None)

    def titles(self) -> list[str]:
        return [entry.title for entry in self.entries]


def load_catalogue(sources_dir: Path) -> Catalogue:
    """Read every report's metadata. A source with problems is left out with a warning."""
    from ..sources import find_reports, read_source, report_slug

    entries = []
    left_out = []
    for path in find_reports(sources_dir):
        try:
            meta = read_source(path).meta
        except PipelineError as error:
            sys.stderr.write(f"catalogue: leaving out {path}: {error}\n")
            left_out.append(LeftOut(path.resolve(), str(error)))
            continue
        entries.append(CatalogueEntry(slug=report_slug(path), title=meta.title or report_slug(path),
                                      aliases=tuple(meta.aliases), source=path.resolve()))
    return Catalogue(tuple(sorted(entries, key=lambda entry: entry.title.lower())),
                     tuple(left_out))
