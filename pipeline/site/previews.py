"""Previews for the build report, rendered from the real outputs by tools nobody on the team
wrote, and kept until their input changes.

- PDF pages: poppler's pdftoppm (and pdftotext for each image's alt text);
- Word and large-print first pages: LibreOffice headless to PDF (a fresh profile each run, as
  LibreOffice locks and reuses its profile otherwise), then pdftoppm;
- the first braille page: the PEF's Unicode cells, back-translated row by row with liblouis.

Each preview has a key: a hash of its input file's sha256 (from the manifest), the renderer's
version and its settings. A preview whose key is unchanged and whose files are there is reused,
so a site rebuild after a no-op build renders nothing, and a changed source re-renders only the
previews of that report's changed outputs.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import libreoffice
from ..manifest import write_atomic
from .facts import FormatFacts, OutputFile, ReportFacts, resolved_braille_table

STATE_NAME = "previews.json"
PDF_PAGES = 3  # the first pages staff look at: title, contents, first text
PAGE_WIDTH = 700  # px: sharp at 1280 px, scaled down by CSS on a phone
THUMBNAIL_WIDTH = 240
TOOL_TIMEOUT = 120  # s; LibreOffice's first start on a busy machine is slow


class PreviewError(Exception):
    """A tool could not render a preview; the message says which and why."""


@dataclass(frozen=True)
class PreviewSpec:
    name: str  # "pdf-pages", "large-print-page", ...
    input: OutputFile  # the output it is made from
    version: str  # bump when the renderer's output changes
    render: Callable[[Path, Path, str, dict[str, Any]], dict[str, Any]]
    # (input, folder, file-name prefix, settings) -> what the pages show
    settings: dict[str, Any] = field(default_factory=dict)

    def key(self) -> str:
        material = json.dumps(
            {
                "name": self.name,
                "input": self.input.sha256,
                "version": self.version,
                "settings": self.settings,
            },
            sort_keys=True,
        )
        return hashlib.sha256(material.encode()).hexdigest()


@dataclass
class PreviewRun:
    rendered: list[str] = field(default_factory=list)  # "slug/name" made this time
    reused: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def specs_for(report: ReportFacts) -> list[PreviewSpec]:
    specs: list[PreviewSpec] = []
    pdf = _offered_file(report, "pdf", ".pdf")
    if pdf is not None:
        specs.append(PreviewSpec("cover", pdf, "1", _pdf_thumbnail, {"width": THUMBNAIL_WIDTH}))
        specs.append(
            PreviewSpec("pdf-pages", pdf, "1", _pdf_pages, {"pages": PDF_PAGES, "width": PAGE_WIDTH})
        )
    for name in ("large-print", "word"):
        docx = _offered_file(report, name, ".docx")
        if docx is not None:
            specs.append(PreviewSpec(f"{name}-page", docx, "1", _docx_first_page, {"width": PAGE_WIDTH}))
    braille = report.formats.get("braille")
    pef = _offered_file(report, "braille", ".pef")
    if pef is not None and braille is not None:
        table = resolved_braille_table(braille.options, report.meta.language)
        specs.append(PreviewSpec("braille-page", pef, "1", _braille_first_page, {"table": table}))
    return specs


def _offered_file(report: ReportFacts, name: str, suffix: str) -> OutputFile | None:
    facts: FormatFacts | None = report.formats.get(name)
    if facts is None or not facts.offered:
        return None
    return facts.file_with_suffix(suffix)


def update_previews(report: ReportFacts, folder: Path, run: PreviewRun) -> dict[str, Any]:
    """Render what changed, reuse the rest; returns {name: data} for the pages."""
    folder.mkdir(parents=True, exist_ok=True)
    state_path = folder / STATE_NAME
    try:
        state = json.loads(state_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        state = {}
    fresh: dict[str, Any] = {}
    for spec in specs_for(report):
        label = f"{report.slug}/{spec.name}"
        key = spec.key()
        old = state.get(spec.name)
        if old and old.get("key") == key and all((folder / f).is_file() for f in old["files"]):
            fresh[spec.name] = old
            run.reused.append(label)
            continue
        try:
            data = _render(spec, report.out_dir / spec.input.path, folder, key)
        except PreviewError as error:
            run.failed[label] = str(error)
            fresh[spec.name] = {"key": None, "files": [], "error": str(error)}
            continue
        fresh[spec.name] = {"key": key, **data}
        run.rendered.append(label)
    _remove_unnamed(folder, fresh)
    if fresh != state:
        write_atomic(state_path, (json.dumps(fresh, indent=1, ensure_ascii=False) + "\n").encode())
    return fresh


def _render(spec: PreviewSpec, source: Path, folder: Path, key: str) -> dict[str, Any]:
    """Render into a scratch folder, then move the files in, so a failure leaves nothing."""
    with tempfile.TemporaryDirectory(dir=folder, prefix=".render-") as scratch:
        scratch_path = Path(scratch)
        data = spec.render(source, scratch_path, f"{spec.name}-{key[:10]}", spec.settings)
        files = sorted(p.name for p in scratch_path.iterdir() if p.is_file())
        for name in files:
            (scratch_path / name).replace(folder / name)
    data["files"] = files
    return data


def _remove_unnamed(folder: Path, state: dict[str, Any]) -> None:
    keep = {STATE_NAME} | {f for entry in state.values() for f in entry.get("files", [])}
    for path in folder.iterdir():
        if path.is_file() and path.name not in keep:
            path.unlink()


# ---------------------------------------------------------------- tools


def _run(command: list[str], what: str) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TOOL_TIMEOUT)
    except FileNotFoundError as error:
        raise PreviewError(f"{command[0]} is not installed (run `make setup-test`): no {what}") from error
    except subprocess.TimeoutExpired as error:
        raise PreviewError(f"{command[0]} took over {TOOL_TIMEOUT} s: no {what}") from error
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise PreviewError(f"{command[0]} failed ({last}): no {what}")
    return done.stdout


def page_count(pdf: Path) -> int:
    for line in _run(["pdfinfo", str(pdf)], "page count").splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    return 0


def _page_text(pdf: Path, page: int) -> str:
    text = _run(["pdftotext", "-f", str(page), "-l", str(page), "-layout", str(pdf), "-"], "page text")
    return " ".join(text.split())


def _render_pages(pdf: Path, folder: Path, prefix: str, pages: int, width: int) -> list[dict[str, Any]]:
    last = min(pages, page_count(pdf))
    _run(
        [
            "pdftoppm",
            "-f",
            "1",
            "-l",
            str(last),
            "-png",
            "-scale-to-x",
            str(width),
            "-scale-to-y",
            "-1",
            str(pdf),
            str(folder / prefix),
        ],
        "page images",
    )
    images = sorted(folder.glob(f"{prefix}-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    return [
        {"page": number, "file": image.name, "text": _page_text(pdf, number)}
        for number, image in enumerate(images, start=1)
    ]


def _pdf_thumbnail(pdf: Path, folder: Path, prefix: str, settings: dict[str, Any]) -> dict[str, Any]:
    return {"pages": _render_pages(pdf, folder, prefix, 1, settings["width"])}


def _pdf_pages(pdf: Path, folder: Path, prefix: str, settings: dict[str, Any]) -> dict[str, Any]:
    return {
        "pages": _render_pages(pdf, folder, prefix, settings["pages"], settings["width"]),
        "page_count": page_count(pdf),
    }


def _docx_first_page(docx: Path, folder: Path, prefix: str, settings: dict[str, Any]) -> dict[str, Any]:
    program = libreoffice.soffice()
    if program is None:
        raise PreviewError("LibreOffice (soffice) is not installed: no Word preview")
    with tempfile.TemporaryDirectory(prefix="site-lo-") as work:
        try:
            layout = libreoffice.lay_out_as_pdf(program, docx, Path(work), TOOL_TIMEOUT)
        except libreoffice.LayoutTimeout as error:
            raise PreviewError(f"{error}: no Word preview") from None
        pdf = layout.pdf
        if pdf is None:
            last = (layout.stderr.strip().splitlines() or ["no message"])[-1]
            raise PreviewError(f"LibreOffice wrote no PDF for {docx.name} ({last}): no Word preview")
        return {
            "pages": _render_pages(pdf, folder, prefix, 1, settings["width"]),
            "page_count": page_count(pdf),
        }


def _braille_first_page(pef: Path, folder: Path, prefix: str, settings: dict[str, Any]) -> dict[str, Any]:
    from .facts import braille_facts

    rows = list(braille_facts(pef, settings["table"]).first_page)
    return {
        "rows": rows,
        "back_translation": back_translate(rows, settings["table"]),
        "table": settings["table"],
    }


def back_translate(rows: list[str], table: str) -> list[str]:
    """Each row of Unicode braille as liblouis reads it back with the report's table (row by
    row, so each line of print sits beside its line of braille)."""
    import louis

    from ..stages.braille.translate import check_table

    translating_table = check_table(table)  # the Welsh tables: the read-back copy the check uses
    out = []
    for row in rows:
        cells = row.rstrip("\u2800")
        out.append(louis.backTranslateString(["unicode.dis", translating_table], cells) if cells else "")
    return out
