"""The contract between the build, the stages and the checks: what a stage is, what a check
returns, what a build gives a stage, and the shared page map. Stages and checks import this,
never each other's packages; the registry (pipeline/stages/__init__.py) only finds stages.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .document import Document
from .errors import OptionsError
from .progress import ProgressFn, quiet


@dataclass(frozen=True)
class Finding:
    severity: str  # "error" fails the check; "warning" and "info" do not
    message: str  # says what is wrong and, where it can, what to do
    where: str = ""  # file and place in it: "report.pdf page 3", "report.brf line 40"


@dataclass(frozen=True)
class CheckResult:
    findings: tuple[Finding, ...] = ()
    metrics: dict[str, Any] = field(default_factory=dict)  # e.g. {"similarity": 0.997}

    @property
    def passed(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    def to_json(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "findings": [f.__dict__ for f in self.findings],
            "metrics": self.metrics,
        }


@dataclass(frozen=True)
class PageStart:
    page: int  # printed page number (1-based, as the PDF's page labels)
    block_index: int  # index into Document.blocks of the first block on that page


@dataclass(frozen=True)
class PageMap:
    """Which source block starts each printed page of the PDF (from the pdf stage)."""

    pdf_name: str  # file name of the PDF it describes
    pages: tuple[PageStart, ...]

    def to_json(self) -> dict[str, Any]:
        return {"pdf": self.pdf_name, "pages": [{"page": p.page, "block": p.block_index} for p in self.pages]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PageMap:
        return cls(data["pdf"], tuple(PageStart(p["page"], p["block"]) for p in data["pages"]))

    @classmethod
    def read(cls, path: Path) -> PageMap:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))


# Artefacts: files one stage writes for other stages of the same build to read. A stage says
# which it provides (artefact -> the suffix of the output file that carries it) and which it
# needs; the build runs providers first and hands each needing stage the files (and keys its
# outputs on their hashes). The build knows no stage by name.
PAGE_MAP = "page-map"  # which source block starts each printed page (PageMap JSON)
NARRATION = "narration"  # every spoken sentence's clip in the audio's section MP3s (JSON)


@dataclass(frozen=True)
class BuildContext:
    slug: str  # the report's name: outputs are <slug>.<ext>
    source: Path  # the source file the document came from
    progress: ProgressFn = quiet  # stages with long work report (done, total, label) here
    page_map: PageMap | None = None  # the PAGE_MAP artefact, read, when a stage provided it
    workers: int = 1  # processes a stage may use (2 cores here)
    # Run the slow external validators too (EPUBCheck's Java: seconds per book). A build runs
    # each stage's fast read-back checks; `make check`, CI and request replies run the full ones,
    # so a validator guards every output without sitting on the build's critical path.
    thorough: bool = False
    artefacts: dict[str, Path] = field(default_factory=dict)  # artefact needed -> its file
    narration: Path | None = None  # the NARRATION artefact: the audio stage's
    # <slug>.narration.json (sentence clips in its section MP3s)


BuildFn = Callable[[Document, Any, Path, BuildContext], list[Path]]
CheckFn = Callable[[Document, Any, list[Path], BuildContext], CheckResult]


@dataclass(frozen=True)
class Stage:
    name: str  # "braille"
    version: str  # bump when output changes for the same input: part of the key
    options: type  # a frozen dataclass with defaults, validated in __post_init__
    build: BuildFn  # writes every output into the given (temporary) directory
    check: CheckFn  # reads the outputs back; never modifies them
    media_types: dict[str, str] = field(default_factory=dict)  # suffix -> media type
    uses_page_map: bool = False  # the older spelling of needs=(PAGE_MAP,)
    uses_images: bool = True  # reads image files (False: only alt text), so an image edit
    # rebuilds only the stages that show images
    tool_versions: Callable[[], dict[str, str]] = lambda: {}
    provides: dict[str, str] = field(default_factory=dict)  # artefact -> suffix of its output
    needs: tuple[str, ...] = ()  # artefacts wanted when a stage in the same build provides them
    # "uses": given the audio stage's narration when audio is in the same build (the EPUB's
    # read-along edition); "needs": asking for this format also builds audio (a DAISY book).
    narration: str = ""

    def __post_init__(self) -> None:
        needs = list(self.needs)
        if self.uses_page_map and PAGE_MAP not in needs:
            needs.append(PAGE_MAP)
        if self.narration and NARRATION not in needs:
            needs.append(NARRATION)
        object.__setattr__(self, "needs", tuple(needs))

    @property
    def requires(self) -> tuple[str, ...]:
        """Artefacts whose provider joins any build of this stage (not only when asked for)."""
        return (NARRATION,) if self.narration == "needs" else ()


def make_options(stage: Stage, settings: dict[str, str]) -> Any:
    """Options for a stage from strings (`font_size=24` from the CLI or an email), typed."""
    known = {f.name: f for f in fields(stage.options)}
    values: dict[str, Any] = {}
    for key, raw in settings.items():
        if key not in known:
            raise OptionsError(
                f"'{stage.name}' has no option '{key}'. Its options: {', '.join(known) or 'none'}"
            )
        values[key] = _convert(raw, known[key].type, f"{stage.name}.{key}")
    try:
        return stage.options(**values)
    except (ValueError, TypeError) as error:
        raise OptionsError(f"{stage.name}: {error}") from None


def _convert(raw: Any, annotation: Any, name: str) -> Any:
    if not isinstance(raw, str):
        return raw
    kind = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    try:
        if kind == "bool":
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
    except ValueError:
        raise OptionsError(f"{name} must be a {kind}, not '{raw}'") from None
    return raw
