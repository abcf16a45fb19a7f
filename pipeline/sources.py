"""Where reports live and how a source file becomes a Document.

A report is `sources/<slug>.md`, or `sources/<slug>/<slug>.md` (or `.docx`) with its images and an
optional `<slug>.yaml` sidecar beside it. The catalogue of reports (for builds and for request
emails) is exactly what this finds: nothing named in an email can select another file.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from .document import Document, figures
from .errors import Problem, SourceError

SOURCE_SUFFIXES = (".md", ".docx")


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


def read_source(path: Path) -> Document:
    """Read a source report of any supported kind; SourceError lists every problem."""
    path = Path(path)
    if not path.is_file():
        raise SourceError([Problem(path, None, "the source file does not exist",
                                   "check the path; reports live in sources/<slug>/<slug>.md")])
    if path.suffix == ".md":
        from .readers.markdown import read_markdown
        return read_markdown(path)
    if path.suffix == ".docx":
        from .readers.docx import read_docx
        return read_docx(path)
    raise SourceError([Problem(path, None, f"'{path.suffix}' is not a source format we read",
                               "save the report as Markdown (.md) or Word (.docx)")])


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def relative_key(path: Path, folder: Path) -> str:
    """A file's name in the manifest: relative to the report's folder, absolute outside it."""
    try:
        return str(path.resolve().relative_to(folder.resolve()))
    except ValueError:
        return str(path)


def source_files(doc: Document, source: Path) -> dict[str, str]:
    """sha256 of every file the document was made from besides the source itself: its images
    and its sidecar. Keys are paths relative to the source's folder (or absolute when outside,
    as images extracted from a Word file are)."""
    folder = source.parent
    files: dict[str, str] = {}
    paths = [figure.src for figure in figures(doc)]
    paths += [figure.large_src for figure in figures(doc) if figure.large_src is not None]
    sidecar = source.with_suffix(".yaml")
    if sidecar.is_file():
        paths.append(sidecar)
    for path in paths:
        files[relative_key(path, folder)] = sha256_file(path)
    return dict(sorted(files.items()))
