"""Start-up: a build of a report that is already up to date imports none of the heavy libraries
the stages and checks use (ReportLab's layout, python-docx, pikepdf, pdfminer...), nor the
request machinery (email, IMAP, SMTP, SQLite), nor the readers and their parsers. The time it
takes is measured by `make bench`; this test only pins down what is imported, seen from a fresh
interpreter's sys.modules.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.build import build_report, default_formats

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sources" / "impact-report-2023" / "impact-report-2023.md"
SPEAKING = {"audio", "daisy", "read-along"}
# What a no-op build must not load: each costs tens of milliseconds at every `make` target.
HEAVY = (
    "reportlab.platypus",
    "reportlab.pdfbase.pdfmetrics",
    "docx",
    "pikepdf",
    "pdfminer",
    "num2words",
    "mutagen",
    "lameenc",
    "sqlite3",
    "smtplib",
    "imaplib",
    "http.client",
    "pipeline.requests.commands",
    "pipeline.checks.pdf",
    "pipeline.checks.word",
    "pipeline.checks.epub",
    "pipeline.checks.braille",
    # Nor is the source read: the manifest's record of the last reading stands for it.
    "pipeline.readers.markdown",
    "markdown_it",
    "yaml",
    "langcodes",
)
PROBE = """
import json, sys
from pipeline.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, list[str]]:
    """Every non-speaking format of the sample, built once (audio would take minutes)."""
    outputs = tmp_path_factory.mktemp("startup")
    formats = [name for name in default_formats() if name not in SPEAKING]
    result = build_report(SAMPLE, outputs / SAMPLE.stem, formats, workers=2, show_progress=False)
    assert not result.failed, result.errors
    return outputs, formats


def _run(args: list[str]) -> tuple[subprocess.CompletedProcess, dict]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    lines = done.stdout.strip().splitlines()
    return done, json.loads(lines[-1]) if lines else {}


def test_a_no_op_build_imports_no_heavy_library(built):
    outputs, formats = built
    args = ["build", str(SAMPLE), "--outputs", str(outputs)]
    for name in formats:
        args += ["--format", name]
    done, seen = _run(args)
    assert seen.get("code") == 0, done.stderr
    for name in formats:  # it really was a no-op: everything reused
        assert f"{name}: up to date (reused)" in done.stderr
    assert ": building" not in done.stderr
    loaded = [name for name in HEAVY if name in seen["modules"]]
    assert loaded == [], f"a no-op build imported {loaded}"


def test_the_request_commands_are_still_on_the_command_line():
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "--help"], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert done.returncode == 0
    for command in ("build", "check", "request", "serve", "requests"):
        assert command in done.stdout
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "request", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 0 and "MESSAGE.eml" in done.stdout


def test_a_build_with_a_wrong_command_word_still_says_what_is_wrong():
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "biuld"], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert done.returncode == 2
    assert "invalid choice: 'biuld'" in done.stderr and "request" in done.stderr
