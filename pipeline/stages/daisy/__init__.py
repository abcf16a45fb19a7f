"""Stage `daisy`: a DAISY talking book (full text and full audio) from the audio's narration.

Outputs: daisy/ (DAISY 2.02: ncc.html, content.html with an id on every sentence, one SMIL 1.0
file and one MP3 per section) and <slug>-daisy.zip of that folder, for download and email; with
the option daisy3, also daisy3/ (ANSI/NISO Z39.86-2005: OPF, NCX, DTBook, SMIL, resources) and
<slug>-daisy3.zip.

Speech is never synthesised here: the build gives this stage the audio stage's narration
(`ctx.narration`, see pipeline/narration), and the section MP3s are the audio stage's own, so the
MP3's chapters, the DAISY book and the read-along EPUB agree to the millisecond. Voice and speed
are therefore the audio stage's options (`--option audio.rate=140` for a slower book). Asking for
this format builds audio too (`narration="needs"`). Check: checks/daisy.py.
"""

from __future__ import annotations

import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ...document import Document
from ...errors import StageFailed
from ...narration import Narration
from ...stage_api import BuildContext, CheckResult, Stage
from . import daisy202

VERSION = "1"


@dataclass(frozen=True)
class DaisyOptions:
    daisy3: bool = False  # also make a DAISY 3 (Z39.86-2005) book, for players that
    # take only DAISY 3


def book_identifier(doc: Document, slug: str) -> str:
    """The source's ISBN/URN, or a name that stays the same for the same report."""
    return doc.meta.identifier.strip() or f"accessible-formats-{slug}"


def read_narration(ctx: BuildContext) -> Narration:
    if ctx.narration is None or not ctx.narration.is_file():
        raise StageFailed(
            "the talking book speaks the audio stage's narration, and this build "
            "has none: build daisy together with audio (`make daisy` does), with "
            "audio's split option on, and see the audio stage's error if it failed"
        )
    try:
        return Narration.read(ctx.narration)
    except (ValueError, KeyError, TypeError) as error:
        raise StageFailed(
            f"{ctx.narration.name} cannot be read ({error}): rebuild the audio (`make audio`)"
        ) from None


def build(doc: Document, options: DaisyOptions, out_dir: Path, ctx: BuildContext) -> list[Path]:
    narration = read_narration(ctx)
    identifier = book_identifier(doc, ctx.slug)
    folder = out_dir / "daisy"
    written = write_daisy202(doc, narration, identifier, ctx, folder)
    written.append(zip_folder(folder, out_dir / f"{ctx.slug}-daisy.zip", f"{ctx.slug}-daisy"))
    if options.daisy3:
        from . import daisy3

        folder3 = out_dir / "daisy3"
        written3 = daisy3.write_daisy3(doc, narration, identifier, ctx, folder3)
        written += written3
        written.append(zip_folder(folder3, out_dir / f"{ctx.slug}-daisy3.zip", f"{ctx.slug}-daisy3"))
    return written


def write_daisy202(
    doc: Document, narration: Narration, identifier: str, ctx: BuildContext, folder: Path
) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for section in narration.sections:
        source = narration.audio_path(section)
        if not source.is_file():
            raise StageFailed(
                f"the narration names {section.audio}, which the audio stage did "
                "not leave: rebuild the audio (`make audio`)"
            )
        target = folder / daisy202.audio_name(section)
        shutil.copyfile(source, target)
        written.append(target)
    elapsed = 0.0
    for section in narration.sections:
        smil, seconds = daisy202.smil_document(narration, section, identifier, elapsed)
        path = folder / daisy202.smil_name(section)
        path.write_bytes(smil)
        written.append(path)
        elapsed += seconds
    content = folder / daisy202.CONTENT_NAME
    content.write_bytes(daisy202.content_document(doc, narration, identifier, ctx.page_map))
    written.append(content)
    ncc = folder / daisy202.NCC_NAME
    ncc.write_bytes(
        daisy202.ncc_document(doc, narration, identifier, ctx.page_map, round(elapsed, 3), len(written) + 1)
    )
    written.append(ncc)
    return written


def zip_folder(folder: Path, zip_path: Path, root_name: str) -> Path:
    """The book as one file: MP3s stored (they do not compress), text deflated."""
    with zipfile.ZipFile(zip_path, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                method = zipfile.ZIP_STORED if path.suffix == ".mp3" else zipfile.ZIP_DEFLATED
                archive.write(
                    path, f"{root_name}/{path.relative_to(folder).as_posix()}", compress_type=method
                )
    return zip_path


def check(doc: Document, options: DaisyOptions, paths: list[Path], ctx: BuildContext) -> CheckResult:
    from ...checks.daisy import check_daisy

    return check_daisy(doc, options, paths, ctx)


def tool_versions() -> dict[str, str]:
    from importlib import metadata

    return {"lxml": metadata.version("lxml")}


STAGES = [
    Stage(
        name="daisy",
        version=VERSION,
        options=DaisyOptions,
        build=build,
        check=check,
        media_types={
            ".html": "application/xhtml+xml",
            ".smil": "application/smil",
            ".mp3": "audio/mpeg",
            ".zip": "application/zip",
            ".opf": "application/oebps-package+xml",
            ".ncx": "application/x-dtbncx+xml",
            ".xml": "application/x-dtbook+xml",
            ".res": "application/x-dtbresource+xml",
            ".css": "text/css",
        },
        uses_page_map=True,
        uses_images=False,
        narration="needs",
        tool_versions=tool_versions,
    )
]
