"""The reader registry: source file suffix -> the reader that turns such a file into a Document.

Like the stage registry (pipeline/stages/__init__.py), readers are imported only when a file of
their kind is read, so a missing optional dependency of one reader never breaks the others. A
reader is `read(path) -> Document` and raises SourceError listing every problem it found.
To add a reader: write pipeline/readers/<kind>.py (or a package) and add its suffix here.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from ..document import Document
from ..errors import Problem, SourceError

__all__ = ["READERS", "fingerprint", "read_source", "supported_suffixes"]

Reader = Callable[[Path], Document]

# Suffix -> (module, function). The order is the order of preference when one folder holds a
# report in two forms (the Markdown is the one the team edits by hand).
READERS: dict[str, tuple[str, str]] = {
    ".md": ("pipeline.readers.markdown", "read_markdown"),
    ".docx": ("pipeline.readers.docx", "read_docx"),
}


# What a reading depends on besides the source and the files it names: the readers' own code,
# the modules of the pipeline they build with, and the libraries they parse with.
_READER_CODE = ("readers", "document.py", "limits.py", "errors.py")
_READER_LIBRARIES = (
    "markdown-it-py",
    "mdit-py-plugins",
    "PyYAML",
    "python-docx",
    "lxml",
    "Pillow",
    "langcodes",
)


@lru_cache(maxsize=1)
def fingerprint() -> str:
    """A digest of everything in _READER_CODE and _READER_LIBRARIES: the same fingerprint and the
    same source bytes (and sidecar) mean a reading finds the same images, so a build may take
    them from the manifest's record instead of reading the source again (build._recorded_inputs).
    Hashing the code, not a version number kept by hand, means no edit can be forgotten."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent.parent
    for name in _READER_CODE:
        target = package / name
        for path in sorted(target.rglob("*.py")) if target.is_dir() else [target]:
            digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    for distribution in _READER_LIBRARIES:
        try:
            version = metadata.version(distribution)
        except metadata.PackageNotFoundError:
            version = "missing"
        digest.update(f"{distribution}={version}\0".encode())
    return digest.hexdigest()


def supported_suffixes() -> tuple[str, ...]:
    return tuple(READERS)


def reader_for(suffix: str) -> Reader | None:
    entry = READERS.get(suffix)
    if entry is None:
        return None
    module_name, function = entry
    reader: Reader = getattr(importlib.import_module(module_name), function)
    return reader


def read_source(path: Path) -> Document:
    """Read a source report of any supported kind; SourceError lists every problem."""
    path = Path(path)
    if not path.is_file():
        raise SourceError(
            [
                Problem(
                    path,
                    None,
                    "the source file does not exist",
                    "check the path; reports live in sources/<slug>/<slug>.md",
                )
            ]
        )
    reader = reader_for(path.suffix)
    if reader is None:
        raise SourceError(
            [
                Problem(
                    path,
                    None,
                    f"'{path.suffix}' is not a source format we read",
                    "save the report as Markdown (.md) or Word (.docx)",
                )
            ]
        )
    try:
        return reader(path)
    except (SourceError, MemoryError, KeyboardInterrupt):
        raise
    except RecursionError:
        raise SourceError(
            [
                Problem(
                    path,
                    None,
                    "the report is nested too deeply to read",
                    "flatten deeply nested lists or quotes",
                )
            ]
        ) from None
    except Exception as error:
        # source's problem (named, with what to do), never the end of every other report's build.
        raise SourceError(
            [
                Problem(
                    path,
                    None,
                    f"the report could not be read ({type(error).__name__}: {error})",
                    "save the file again from its editor; if that does not help, send it to the formats team",
                )
            ]
        ) from None
