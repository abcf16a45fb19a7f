"""Page numbers for the contents, from LibreOffice's layout of the finished document.

python-docx writes no layout, so nothing in the writer knows which page a heading lands on.
LibreOffice (headless) lays the document out as a word processor does: the document is
converted to PDF, whose outline (one bookmark per heading, which LibreOffice writes from the
heading styles) says the page of every heading. The numbers go into the contents' PAGEREF
results and the document is saved again; a second layout confirms that filling them in moved
nothing (the numbers sit after a right-aligned tab, so they should not).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import pikepdf

from ...errors import StageFailed

LAYOUT_TIMEOUT_S = 180
MAX_ROUNDS = 3


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def render_pdf(docx_path: Path, out_dir: Path) -> Path:
    """LibreOffice's PDF of the document (fresh profile each run: profiles are not shareable
    between concurrent runs, and a stale one makes soffice exit silently)."""
    program = soffice()
    if program is None:
        raise StageFailed(
            "LibreOffice (soffice) is not installed, so the contents cannot get "
            "page numbers. Install it with `apt-get install "
            "libreoffice-writer-nogui`."
        )
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        try:
            # Absolute paths: the temporary folder is relative when the outputs folder is
            # ("outputs/..."), and LibreOffice waits forever on a "file://outputs/..." profile.
            subprocess.run(
                [
                    program,
                    f"-env:UserInstallation={Path(profile).resolve().as_uri()}",
                    "--headless",
                    "--convert-to",
                    "pdf",
                    "--outdir",
                    str(out_dir.resolve()),
                    str(docx_path.resolve()),
                ],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=LAYOUT_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise StageFailed(
                f"LibreOffice took more than {LAYOUT_TIMEOUT_S} s to lay out "
                f"{docx_path.name}; the contents have no page numbers"
            ) from None
    pdf = out_dir / f"{docx_path.stem}.pdf"
    if not pdf.is_file():
        raise StageFailed(
            f"LibreOffice could not lay out {docx_path.name} (no PDF written); "
            "the contents have no page numbers"
        )
    return pdf


def heading_pages(pdf_path: Path) -> list[tuple[str, int]]:
    """(title, 1-based page) of every bookmark of the PDF, in document order."""
    out: list[tuple[str, int]] = []
    with pikepdf.open(pdf_path) as pdf:
        with pdf.open_outline() as outline:

            def walk(items) -> None:
                for item in items:
                    destination = item.destination
                    if isinstance(destination, pikepdf.Array) and len(destination):
                        page = pdf.pages.index(pikepdf.Page(destination[0])) + 1
                        out.append((" ".join(str(item.title).split()), page))
                    walk(item.children)

            walk(outline.root)
    return out


def match_pages(entries: list[str], bookmarks: list[tuple[str, int]]) -> list[int | None]:
    """The page of each contents entry: the next bookmark with its words, in order."""
    pages: list[int | None] = []
    position = 0
    for text in entries:
        wanted = " ".join(text.split())
        found = None
        for index in range(position, len(bookmarks)):
            if bookmarks[index][0] == wanted:
                found, position = bookmarks[index][1], index + 1
                break
        pages.append(found)
    return pages


def fill_contents_pages(docx_path: Path, entries: list, save: Callable[[], None]) -> list[int]:
    """Lay the saved document out, write each entry's page into its PAGEREF result, save, and
    repeat until the layout agrees with the numbers shown. entries are front.ContentsEntryRuns."""
    with tempfile.TemporaryDirectory(prefix="word-pages-") as scratch:
        shown: list[int | None] = [None] * len(entries)
        for _ in range(MAX_ROUNDS):
            pdf = render_pdf(docx_path, Path(scratch))
            pages = match_pages([e.text for e in entries], heading_pages(pdf))
            pdf.unlink()
            missing = [e.text for e, page in zip(entries, pages) if page is None]
            if missing:
                raise StageFailed(
                    f"LibreOffice's layout of {docx_path.name} has no heading "
                    f"'{missing[0]}'; the contents cannot be numbered"
                )
            if pages == shown:
                return [p for p in pages if p is not None]
            for entry, page in zip(entries, pages):
                entry.page_text.text = str(page)
            shown = pages
            save()
    return [p for p in shown if p is not None]
