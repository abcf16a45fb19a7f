"""A stand-in `daisy` stage, registered only by the request tests, to show that the request
service attaches `<slug>-daisy.zip` once the real DAISY stage (being built on another branch)
is in the registry. It writes a real, small DAISY-shaped folder (an NCC listing the headings)
and its zip, as the real stage's contract says: the request code must pick the zip alone.
"""

from __future__ import annotations

import html
import zipfile
from dataclasses import dataclass
from pathlib import Path

from pipeline.document import Heading, inline_text
from pipeline.stage_api import CheckResult, Finding, Stage


@dataclass(frozen=True)
class DaisyStandInOptions:
    rate: int = 175


def build(doc, options, out_dir: Path, ctx) -> list[Path]:
    folder = out_dir / "daisy"
    folder.mkdir(parents=True, exist_ok=True)
    headings = [b for b in doc.blocks if isinstance(b, Heading)]
    items = "".join(f"<h{h.level}>{html.escape(inline_text(h.inlines))}</h{h.level}>" for h in headings)
    ncc = folder / "ncc.html"
    ncc.write_text(
        f"<html><head><title>{html.escape(doc.meta.title)}</title></head><body>{items}</body></html>",
        encoding="utf-8",
    )
    archive = out_dir / f"{ctx.slug}-daisy.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.write(ncc, f"{ctx.slug}/ncc.html")
    return [ncc, archive]


def check(doc, options, paths, ctx) -> CheckResult:
    archive = next(p for p in paths if p.name.endswith("-daisy.zip"))
    with zipfile.ZipFile(archive) as handle:
        ok = any(name.endswith("ncc.html") for name in handle.namelist())
    return CheckResult(() if ok else (Finding("error", "no ncc.html in the zip", str(archive)),), {})


STAGES = [
    Stage(
        name="daisy",
        version="0",
        options=DaisyStandInOptions,
        build=build,
        check=check,
        media_types={".zip": "application/zip", ".html": "text/html"},
        uses_images=False,
    )
]
