"""Opening a .docx safely: is it a Word package at all, and is it small enough to read?

A .docx is a zip archive. Before python-docx reads a single part, the archive's directory is
checked, so a damaged file, a renamed zip of something else, an old binary .doc, or a zip bomb is
reported in words a staff member can act on, never as a traceback and never by filling memory.

Why the declared sizes are enough: Python's zipfile stops reading a member once it has produced
the size the directory declares (ZipExtFile counts down `file_size` and then checks the CRC), so a
member that lies about its size fails with BadZipFile instead of growing without bound.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import docx
from docx.opc.exceptions import PackageNotFoundError

MAX_MEMBERS = 5_000
MAX_MEMBER_BYTES = 100 * 1024 * 1024  # one part (a large photograph is a few MB)
MAX_TOTAL_BYTES = 400 * 1024 * 1024  # everything, uncompressed
MAX_RATIO = 200  # uncompressed / compressed, for parts over RATIO_FLOOR
RATIO_FLOOR = 1024 * 1024  # small XML parts compress well; only big ones matter

WORD_MAIN_TYPES = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "application/vnd.ms-word.document.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
    "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
)
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old binary .doc/.xls files

RESAVE = "open it in Word and use File > Save As > Word Document (.docx), then replace the file"


class PackageProblem(Exception):
    """The file cannot be read as a Word document; message and fix are for the author."""

    def __init__(self, message: str, fix: str):
        super().__init__(message)
        self.message = message
        self.fix = fix


@dataclass(frozen=True)
class OpenedPackage:
    document: docx.document.Document
    sha256: str


def open_package(path: Path) -> OpenedPackage:
    """Check the archive, then open it with python-docx; raise PackageProblem if it cannot be."""
    if not path.is_file():
        raise PackageProblem("the file does not exist", "check the file name and folder")
    with path.open("rb") as handle:
        head = handle.read(8)
    if head == OLE_MAGIC:
        raise PackageProblem(
            "this is an older Word .doc file (or another Office binary file), renamed to .docx", RESAVE
        )
    if not zipfile.is_zipfile(path):
        raise PackageProblem(
            "this is not a Word .docx file (it is not a zip package, so it is "
            "damaged or another kind of file renamed to .docx)",
            RESAVE,
        )
    _check_archive(path)
    try:
        document = docx.Document(str(path))
    except PackageProblem:
        raise
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError, OSError, EOFError) as error:
        raise PackageProblem(
            f"the Word file is damaged and cannot be read ({error})",
            "open it in Word, which offers to repair damaged files, and save it again",
        ) from None
    except Exception as error:  # lxml.etree.XMLSyntaxError and friends from a damaged part
        raise PackageProblem(
            f"the Word file is damaged and cannot be read ({type(error).__name__}: {error})",
            "open it in Word, which offers to repair damaged files, and save it again",
        ) from None
    _check_core_properties(document)
    return OpenedPackage(document, _sha256(path))


def _check_core_properties(document) -> None:
    """python-docx finds File > Info > Properties (docProps/core.xml) by its declared content
    type; a [Content_Types].xml without the core.xml override leaves a plain Part there, whose
    missing `core_properties` surfaced as an AttributeError deep in the reader. Name the part."""
    try:
        _ = document.core_properties  # read only to see whether python-docx can
    except AttributeError:
        raise PackageProblem(
            "the file's [Content_Types].xml does not declare its document properties part "
            "(docProps/core.xml), so the package is malformed",
            "open it in Word (or LibreOffice) and save it again as a Word Document (.docx); "
            "saving rewrites the package correctly",
        ) from None


def _check_archive(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            names = {info.filename for info in members}
            _check_sizes(members)
            if "[Content_Types].xml" not in names:
                raise PackageProblem(
                    f"this is a zip archive, not a Word document (it holds {_sample(names)})", RESAVE
                )
            content_types = archive.read("[Content_Types].xml")
    except zipfile.BadZipFile as error:
        raise PackageProblem(
            f"the Word file is damaged and cannot be read ({error})",
            "open it in Word, which offers to repair damaged files, and save it again",
        ) from None
    if not any(kind.encode() in content_types for kind in WORD_MAIN_TYPES):
        raise PackageProblem(f"this is {_office_kind(names)}, not a Word document, renamed to .docx", RESAVE)


def _check_sizes(members: list[zipfile.ZipInfo]) -> None:
    if len(members) > MAX_MEMBERS:
        raise PackageProblem(
            f"the file holds {len(members)} parts, more than a Word document "
            f"ever has ({MAX_MEMBERS}); it may be a zip bomb",
            "do not use this file; ask its author for the original",
        )
    total = 0
    for info in members:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > MAX_MEMBER_BYTES or (info.file_size > RATIO_FLOOR and ratio > MAX_RATIO):
            raise PackageProblem(
                f"the part '{info.filename}' would unpack to {info.file_size:,} bytes from "
                f"{info.compress_size:,} (limit {MAX_MEMBER_BYTES:,} bytes, ratio {MAX_RATIO}); "
                f"it may be a zip bomb",
                "do not use this file; if it is a real report, make its pictures smaller "
                "(Picture Format > Compress Pictures) and save it again",
            )
    if total > MAX_TOTAL_BYTES:
        raise PackageProblem(
            f"the file would unpack to {total:,} bytes (limit {MAX_TOTAL_BYTES:,}); it may be a zip bomb",
            "do not use this file; if it is a real report, compress its "
            "pictures (Picture Format > Compress Pictures) and save it again",
        )


def _office_kind(names: set[str]) -> str:
    if any(name.startswith("xl/") for name in names):
        return "an Excel workbook"
    if any(name.startswith("ppt/") for name in names):
        return "a PowerPoint presentation"
    if "content.xml" in names:
        return "an OpenDocument (LibreOffice) file"
    return "an Office package of another kind"


def _sample(names: set[str]) -> str:
    shown = sorted(names)[:3]
    more = f" and {len(names) - 3} more" if len(names) > 3 else ""
    return ", ".join(shown) + more if shown else "nothing"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
