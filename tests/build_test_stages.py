"""Two small, real stages registered only by the build tests, to exercise the build machinery
(reuse, rebuild, failures, crashes) without depending on any format's speed.

`text` writes the document's plain text and reads no image files; `gallery` writes the sha256 of
every image it shows, so it must be rebuilt when an image changes. `behaviour` provokes failures.
"""

from __future__ import annotations

import hashlib
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from pipeline.document import figures
from pipeline.errors import StageFailed
from pipeline.reading import plain_text
from pipeline.stage_api import CheckResult, Finding, Stage
from pipeline.textcompare import in_order_recall, source_words, words


@dataclass(frozen=True)
class TestOptions:
    behaviour: str = "ok"  # ok | raise | kill | fail-check | bug | slow
    suffix: str = "txt"


def build_text(doc, options, out_dir: Path, ctx) -> list[Path]:
    path = out_dir / f"{ctx.slug}.{options.suffix}"
    if options.behaviour == "kill":
        path.write_text("half a fi")
        os.kill(os.getpid(), signal.SIGKILL)
    if options.behaviour == "raise":
        raise StageFailed(f"{ctx.source}: the test stage was told to fail")
    if options.behaviour == "bug":
        raise ZeroDivisionError("division by zero")
    if options.behaviour == "slow":
        time.sleep(1.0)
    path.write_text(plain_text(doc), encoding="utf-8")
    return [path]


def check_text(doc, options, paths, ctx) -> CheckResult:
    recall = in_order_recall(source_words(doc), words(paths[0].read_text(encoding="utf-8")))
    findings = []
    if options.behaviour == "fail-check" or recall < 0.99:
        findings.append(Finding("error", f"text similarity {recall:.3f}", str(paths[0])))
    return CheckResult(tuple(findings), {"similarity": recall})


def build_gallery(doc, options, out_dir: Path, ctx) -> list[Path]:
    path = out_dir / f"{ctx.slug}-images.txt"
    lines = [hashlib.sha256(f.src.read_bytes()).hexdigest() for f in figures(doc)]
    path.write_text("\n".join(lines), encoding="utf-8")
    sub = out_dir / "gallery" / "count.txt"
    sub.parent.mkdir()
    sub.write_text(str(len(lines)))
    return [path, sub]


def check_gallery(doc, options, paths, ctx) -> CheckResult:
    return CheckResult(())


STAGES = [
    Stage("text", "1", TestOptions, build_text, check_text, {".txt": "text/plain"}, uses_images=False),
    Stage("gallery", "1", TestOptions, build_gallery, check_gallery, {".txt": "text/plain"}),
]
