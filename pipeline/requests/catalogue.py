"""The catalogue: every report in sources/, and the names people may use for it.

Only a report in the catalogue can ever be converted: a request selects an entry by matching
names, never by a path or file name taken from the email.

Each entry keeps its names by kind, because the kinds are not equally good evidence: a
reader who writes a report's title means that report more surely than one who writes a
nickname the report shares with others ("annual review"). understand.py ranks with them.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from ..errors import PipelineError

YEAR = re.compile(r"\b(?:19|20)\d{2}\b")


@dataclass(frozen=True)
class CatalogueEntry:
    slug: str  # "annual-review-2023"
    title: str  # "Annual Review 2023"
    aliases: tuple[str, ...]  # from front matter: "the annual review", "AR23"
    source: Path  # the source file (found by find_reports, never from an email)
    subtitle: str = ""  # "Kettle and Compass impact report 2023"
    date: str = ""  # ISO date as written in the source ("2024-03-15", "2023")
    language: str = "en-GB"  # the report's language (braille grade 1 table, ...)

    @property
    def names(self) -> tuple[str, ...]:
        """Every name a reader might use: title, slug read as words, aliases."""
        return (self.title, self.slug.replace("-", " "), *self.aliases)

    @property
    def short_title(self) -> str:
        """The title before a colon or dash ("Doing It Together" of "Doing It Together: ..."),
        or "" when the title has no such part."""
        short = re.split(r"\s*(?::|\s[-\u2013\u2014]\s)\s*", self.title, maxsplit=1)[0].strip()
        return short if short and short != self.title else ""

    @property
    def title_names(self) -> tuple[str, ...]:
        """Names that identify this report itself (strong evidence): title, short title,
        subtitle, slug."""
        return tuple(
            name
            for name in (self.title, self.short_title, self.subtitle, self.slug.replace("-", " "))
            if name
        )

    @property
    def year(self) -> int | None:
        """The year the report is about: named in its title or subtitle, else its date's."""
        for text in (self.title, self.subtitle, self.slug.replace("-", " ")):
            found = YEAR.findall(text)
            if found:
                return int(found[-1])
        found = YEAR.findall(self.date)
        return int(found[0]) if found else None

    @property
    def recency(self) -> tuple[int, str]:
        """Sort key: newer reports are larger (year, then full date)."""
        return (self.year or 0, self.date)


@dataclass(frozen=True)
class LeftOut:
    """A source the catalogue could not read (per-source isolation): named, with its problem."""

    source: Path
    problem: str


@dataclass(frozen=True)
class Catalogue:
    entries: tuple[CatalogueEntry, ...]
    left_out: tuple[LeftOut, ...] = ()  # sources with problems: not offered, staff told

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
        entries.append(
            CatalogueEntry(
                slug=report_slug(path),
                title=meta.title or report_slug(path),
                aliases=tuple(meta.aliases),
                source=path.resolve(),
                subtitle=meta.subtitle,
                date=meta.date,
                language=meta.language,
            )
        )
    return Catalogue(tuple(sorted(entries, key=lambda entry: entry.title.lower())), tuple(left_out))
