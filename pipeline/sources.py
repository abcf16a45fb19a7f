"""Where reports live: the catalogue of report sources in sources/.

A report is `sources/<slug>.md`, or `sources/<slug>/<slug>.md` (or `.docx`) with its images and an
optional `<slug>.yaml` sidecar beside it. The catalogue of reports (for builds and for request
emails) is exactly what this finds: nothing named in an email can select another file.
Reading a source is the readers' job (pipeline/readers/), hashing files is pipeline/hashing.py's;
both are re-exported here for the callers that find a report and then read it.
"""

from __future__ import annotations

from pathlib import Path

from .hashing import relative_key, sha256_file, source_files
from .readers import read_source, supported_suffixes

__all__ = [
    "SOURCE_SUFFIXES",
    "find_reports",
    "read_source",
    "relative_key",
    "report_slug",
    "sha256_file",
    "source_files",
]

SOURCE_SUFFIXES = supported_suffixes()


def report_slug(path: Path) -> str:
    return path.stem


def find_reports(sources_dir: Path = Path("sources")) -> list[Path]:
    """Every report source in sources_dir, sorted by slug.

    A folder holding both <slug>.md and <slug>.docx is ambiguous: the Markdown wins, because it is
    the one the team edits by hand, and the Word file is read only when it is alone.
    """
    found: dict[str, Path] = {}
    if not sources_dir.is_dir():
        return []
    for entry in sorted(sources_dir.iterdir()):
        if entry.is_file() and entry.suffix == ".md" and entry.name.lower() != "readme.md":
            found.setdefault(entry.stem, entry)
        elif entry.is_dir():
            for suffix in SOURCE_SUFFIXES:
                candidate = entry / f"{entry.name}{suffix}"
                if candidate.is_file():
                    found.setdefault(entry.name, candidate)
                    break
    return [found[slug] for slug in sorted(found)]
