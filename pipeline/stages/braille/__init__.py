"""The braille stage: formatted UEB (or any liblouis code) as BRF and PEF.

translate.py turns text into cells with liblouis, layout.py lays the cells out in pages (UKAAF or
BANA), brf.py and pef.py write the same pages in the two file formats, and
pipeline/checks/braille.py reads them back.

A long report is split into volumes of at most `sheets_per_volume` sheets, each with its own
title page and contents, broken before headings of the highest level that keeps every volume
within the limit. Outputs: <slug>.brf (every volume), <slug>-volume-N.brf when there are several,
<slug>.pef (one PEF volume per volume); 8-dot computer braille is PEF only (BRF is 6-dot).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import louis

from ...document import Document
from ...errors import StageFailed
from ...reading import reading_order, runs_language, runs_of
from ...stage_api import BuildContext, CheckResult, PageMap, Stage
from .brf import write_brf
from .layout import (
    PRESETS,
    BodyBuilder,
    Geometry,
    LayoutBlock,
    Paginator,
    Preset,
    contents_blocks,
    frame,
    title_blocks,
)
from .pef import PefMeta, write_pef
from .translate import (
    TableError,
    Translator,
    address_table,
    is_eight_dot,
    number_cells,
    reads_back_reliably,
    resolve_table,
)

CELLS_RANGE = (20, 80)  # narrow displays to wide embosser paper
LINES_RANGE = (10, 50)  # room for page information lines and a title page
SHEETS_RANGE = (10, 200)  # a volume a hand can hold; an embosser's binding


@dataclass(frozen=True)
class BrailleOptions:
    table: str = "auto"  # a liblouis table, a code (ueb-g1, computer), a language tag,
    # or "auto": the report's language at `grade`
    cells: int = 40
    lines: int = 25
    preset: str = "ukaaf"  # "ukaaf" or "bana"
    interpoint: bool | None = None  # both sides of the paper; None: the preset's default
    contents: bool = True  # a contents page after the title page
    grade: int = 2  # 2 contracted, 1 uncontracted (for a language or "auto")
    sheets_per_volume: int = 70  # a volume holds at most this many sheets
    transcriber: str = ""  # who transcribed it, for the title page ("" leaves it off)

    def __post_init__(self) -> None:
        if isinstance(self.interpoint, str):  # from a request or the command line
            value = {
                "yes": True,
                "true": True,
                "on": True,
                "1": True,
                "no": False,
                "false": False,
                "off": False,
                "0": False,
                "auto": None,
            }.get(self.interpoint.lower(), "bad")
            if value == "bad":
                raise ValueError(f"braille interpoint must be yes, no or auto, not {self.interpoint!r}")
            object.__setattr__(self, "interpoint", value)
        for name, (low, high) in (
            ("cells", CELLS_RANGE),
            ("lines", LINES_RANGE),
            ("sheets_per_volume", SHEETS_RANGE),
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or not low <= value <= high:
                raise ValueError(f"braille {name} must be a whole number from {low} to {high}, not {value!r}")
        if self.grade not in (1, 2):
            raise ValueError(f"braille grade must be 1 (uncontracted) or 2 (contracted), not {self.grade!r}")
        if self.preset not in PRESETS:
            raise ValueError(f"unknown braille preset '{self.preset}': use {' or '.join(PRESETS)}")
        resolve_table(self.table, "en", self.grade)  # TableError: a ValueError, clear message

    @property
    def duplex(self) -> bool:
        return PRESETS[self.preset].interpoint if self.interpoint is None else self.interpoint


@dataclass(frozen=True)
class Volume:
    prelim_pages: list[list[str]]
    body_pages: list[list[str]]
    first_body_number: int

    @property
    def pages(self) -> list[list[str]]:
        return self.prelim_pages + self.body_pages


@dataclass(frozen=True)
class Composed:
    table: str
    volumes: list[Volume]
    duplex: bool

    @property
    def prelim_pages(self) -> list[list[str]]:
        return self.volumes[0].prelim_pages

    @property
    def body_pages(self) -> list[list[str]]:
        return [page for volume in self.volumes for page in volume.body_pages]

    @property
    def pages(self) -> list[list[str]]:
        return [page for volume in self.volumes for page in volume.pages]


@dataclass(frozen=True)
class _Setting:
    doc: Document
    options: BrailleOptions
    translator: Translator
    preset: Preset
    geometry: Geometry

    def paginator(self, current_print: int | None = None) -> Paginator:
        rows = self.options.lines - self.preset.reserved_lines()
        left = (
            self.options.lines
            if (self.options.duplex and self.preset.right_hand_only and self.preset.number_at_top)
            else None
        )
        return Paginator(
            rows,
            self.options.cells,
            self.preset,
            duplex=self.options.duplex,
            rows_left=left,
            current_print=current_print,
        )


def running_heads(doc: Document, translator: Translator) -> list[str]:
    """Running heads best first: the short title from front matter, the title, and the title
    before its colon or dash (a transcriber shortens "Annual Review 2025: Working Together"
    to "Annual Review 2025"); layout drops words from the end of the last when none fits."""
    meta = doc.meta
    heads = [meta.short_title] if meta.short_title else []
    heads.append(meta.title)
    for mark in (":", " - ", " – ", " — "):
        if mark in meta.title:
            heads.append(meta.title.split(mark)[0])
            break
    return [translator.text(head.strip()) for head in heads if head.strip()]


def compose(doc: Document, options: BrailleOptions, page_map: PageMap | None = None) -> Composed:
    """The whole braille edition as volumes of pages of Unicode braille lines."""
    table = resolve_table(options.table, doc.meta.language, options.grade)
    translator = Translator(table, doc.meta.language)
    preset = PRESETS[options.preset]
    setting = _Setting(doc, options, translator, preset, Geometry(options.cells, options.lines))
    heads = running_heads(doc, translator)
    units = reading_order(doc, notes="section")
    blocks = BodyBuilder(translator, preset, options.cells, page_map).build(units)
    whole = setting.paginator()
    whole.place_all(blocks)
    whole.pad_to_sheet()
    pages_per_volume = options.sheets_per_volume * (2 if options.duplex else 1)
    parts = [blocks]
    if len(whole.pages) + _prelim_estimate(setting, whole) > pages_per_volume:
        parts = split_into_volumes(setting, blocks, pages_per_volume)
    volumes: list[Volume] = []
    number, current_print = 1, None
    for index, part in enumerate(parts, start=1):
        body = setting.paginator(current_print)
        body.place_all(part)
        body.pad_to_sheet()
        current_print = body.current_print
        prelim = _prelims(setting, body, number, index, len(parts))
        volumes.append(
            Volume(
                frame(prelim.pages, setting.geometry, preset, heads, prelim=True, duplex=options.duplex),
                frame(
                    body.pages,
                    setting.geometry,
                    preset,
                    heads,
                    prelim=False,
                    first_number=number,
                    duplex=options.duplex,
                ),
                number,
            )
        )
        number += len(body.pages)
    return Composed(table, volumes, options.duplex)


def _prelims(setting: _Setting, body: Paginator, first_number: int, volume: int, volumes: int) -> Paginator:
    """The volume's title page and the contents of this volume (braille page numbers)."""
    translator, options = setting.translator, setting.options
    prelim = setting.paginator()
    prelim.place_all(
        title_blocks(
            setting.doc,
            translator,
            options.cells,
            volume=volume,
            volumes=volumes,
            transcriber=options.transcriber,
        )
    )
    if options.contents and body.toc:
        entries = [(level, cells, number_cells(page + first_number)) for level, cells, page in body.toc]
        blocks = contents_blocks(entries, translator, options.cells)
        blocks[0].new_page = True
        prelim.place_all(blocks)
    prelim.pad_to_sheet()  # the body starts on a right-hand page
    return prelim


def _prelim_estimate(setting: _Setting, body: Paginator) -> int:
    return len(_prelims(setting, body, 1, 1, 2).pages)


def split_into_volumes(
    setting: _Setting, blocks: list[LayoutBlock], pages_per_volume: int
) -> list[list[LayoutBlock]]:
    """Volumes that each stay within the limit, broken before headings of the highest level
    (1, then 2...) that makes that possible; failing every level, before any block."""
    headings = [(i, b.heading_level) for i, b in enumerate(blocks) if b.heading_level]
    for level in sorted({lvl for _, lvl in headings}) + [None]:
        if level is None:  # no heading level fits: any block may begin a volume
            allowed = list(range(1, len(blocks)))
        else:
            allowed = [i for i, lvl in headings if lvl <= level]
        parts = _greedy(setting, blocks, [i for i in allowed if i > 0], pages_per_volume)
        if parts is not None:
            return parts
    raise StageFailed(
        f"braille: a single block is longer than a volume of {setting.options.sheets_per_volume} sheets"
    )


def _greedy(
    setting: _Setting, blocks: list[LayoutBlock], breaks: list[int], pages_per_volume: int
) -> list[list[LayoutBlock]] | None:
    """Fill each volume with as many break-to-break stretches as fit, measuring each volume
    as it would be laid out (its own title page and contents included)."""
    parts: list[list[LayoutBlock]] = []
    start = 0
    points = breaks + [len(blocks)]
    position = 0
    while start < len(blocks):

        def fits_to(index: int, start: int = start) -> bool:
            return _fits(setting, blocks[start : points[index]], pages_per_volume)

        best = _furthest_true(fits_to, position, len(points) - 1)
        if best is None:
            return None
        parts.append(_starting_fresh(blocks[start : points[best]]))
        start, position = points[best], best + 1
    return parts


def _furthest_true(holds: Callable[[int], bool], low: int, high: int) -> int | None:
    """The last index in [low, high] where `holds` is true, for a test that is true up to some
    index and false after it (a volume's pages grow with its stretch); None if not even at low.
    Gallops from low (low+1, low+3, low+7...), then halves what is left: a binary search over
    the whole rest of the book laid out half a book at its first probe, for every volume,
    which made a long book's braille grow faster than its length."""
    if low > high or not holds(low):
        return None
    best, step = low, 1
    while best < high:
        probe = min(best + step, high)
        if not holds(probe):
            high = probe - 1
            break
        best, step = probe, step * 2
    while best < high:  # the answer is in [best, high]
        middle = (best + high + 1) // 2
        if holds(middle):
            best = middle
        else:
            high = middle - 1
    return best


def _fits(setting: _Setting, part: list[LayoutBlock], pages_per_volume: int) -> bool:
    body = setting.paginator()
    body.place_all(_starting_fresh(part), page_limit=pages_per_volume)
    body.pad_to_sheet()
    if len(body.pages) >= pages_per_volume:
        return False
    return len(body.pages) + _prelim_estimate(setting, body) <= pages_per_volume


def _starting_fresh(part: list[LayoutBlock]) -> list[LayoutBlock]:
    """A volume's blocks: a page break that would only open it is dropped."""
    if part and part[0].new_page and not part[0].lines:
        return part[1:]
    return part


def build(doc: Document, options: BrailleOptions, out_dir: Path, ctx: BuildContext) -> list[Path]:
    ctx.progress(0, 3, "translating and laying out")
    try:
        composed = compose(doc, options, ctx.page_map)
    except TableError as error:
        raise StageFailed(f"braille for {ctx.source}: {error}") from None
    paths: list[Path] = []
    eight_dot = is_eight_dot(composed.table)
    if not eight_dot:  # BRF is 6-dot Braille ASCII; 8-dot braille is PEF only
        ctx.progress(1, 3, "writing BRF")
        paths.append(write_brf(composed.pages, out_dir / f"{ctx.slug}.brf"))
        if len(composed.volumes) > 1:
            for number, volume in enumerate(composed.volumes, start=1):
                paths.append(write_brf(volume.pages, out_dir / f"{ctx.slug}-volume-{number}.brf"))
    ctx.progress(2, 3, "writing PEF")
    meta = doc.meta
    pef = write_pef(
        [[volume.prelim_pages, volume.body_pages] for volume in composed.volumes],
        out_dir / f"{ctx.slug}.pef",
        meta=PefMeta(
            identifier=meta.identifier or f"urn:accessible-formats:{ctx.slug}",
            title=meta.title,
            creator="; ".join(meta.authors),
            language=meta.language,
            date=meta.date,
            publisher=meta.publisher,
            description=meta.description,
        ),
        cols=options.cells,
        rows=options.lines,
        duplex=composed.duplex,
    )
    paths.append(pef)
    ctx.progress(3, 3, "done")
    return paths


def check(doc: Document, options: BrailleOptions, paths: list[Path], ctx: BuildContext) -> CheckResult:
    from ...checks.braille import BrailleExpectations, check_braille  # only when checking

    whole = [p for p in paths if p.suffix == ".brf" and "-volume-" not in p.name]
    volume_brfs = sorted(
        (p for p in paths if p.suffix == ".brf" and "-volume-" in p.name),
        key=lambda p: int(p.stem.rsplit("-", 1)[1]),
    )
    pef = next(p for p in paths if p.suffix == ".pef")
    table = resolve_table(options.table, doc.meta.language, options.grade)
    reliable = reads_back_reliably(table)
    preset = PRESETS[options.preset]
    expect = BrailleExpectations(
        cells=options.cells,
        lines=options.lines,
        number_at_top=preset.number_at_top,
        duplex=options.duplex,
        right_hand_only=preset.right_hand_only,
        table=table,
        uncontracted_table=address_table(table),
        min_recall=0.98 if reliable else 0.9,
        recall_is_error=reliable,
        sheets_per_volume=options.sheets_per_volume,
        eight_dot=is_eight_dot(table),
        part_tables=_part_tables(doc, table),
    )
    return check_braille(doc, whole[0] if whole else None, pef, expect, volume_brfs if volume_brfs else None)


def _part_tables(doc: Document, table: str) -> tuple[tuple[str, str, float, bool], ...]:
    """(language, table, least recall, below is an error) for each other language a whole
    block of the report is written in: UEB reads back reliably, other tables less so."""
    translator = Translator(table, doc.meta.language)
    found = {}
    for block in doc.blocks:
        language = runs_language(runs_of(getattr(block, "inlines", ()) or ()))
        partner = translator.partner(language) if language else None
        if language and partner is not None:
            reliable = reads_back_reliably(partner.table)
            found[language.split("-")[0].lower()] = (partner.table, 0.98 if reliable else 0.9, reliable)
    return tuple((language, *rest) for language, rest in sorted(found.items()))


STAGES = [
    Stage(
        name="braille",
        version="3",
        options=BrailleOptions,
        build=build,
        check=check,
        media_types={".brf": "application/x-brf", ".pef": "application/x-pef+xml"},
        uses_page_map=True,
        uses_images=False,  # figures are read as their alt text only
        tool_versions=lambda: {"liblouis": louis.version()},
    )
]
