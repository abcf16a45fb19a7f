"""Hashes of files: what the manifest records and what build keys are made of.

Kept apart from finding sources (sources.py) and reading them (readers/): hashing needs neither.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .document import Document, figures


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
    # A large-print version of an image ({large=...}) is read by the large-print stage.
    paths += [figure.large_src for figure in figures(doc) if figure.large_src is not None]
    sidecar = source.with_suffix(".yaml")
    if sidecar.is_file():
        paths.append(sidecar)
    for path in paths:
        files[relative_key(path, folder)] = sha256_file(path)
    return dict(sorted(files.items()))
