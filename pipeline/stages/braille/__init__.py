"""The braille stage: formatted UEB (or any liblouis code) as BRF and PEF.

translate.py turns text into cells with liblouis, layout.py lays the cells out in pages (UKAAF or
BANA), brf.py and pef.py write the same pages in the two file formats, and
pipeline/checks/braille.py reads them back.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import louis

from ...checks.braille import BrailleExpectations, check_braille
from ...document import Document
from ...errors import StageFailed
from ...reading import reading_order
from ...stage_api import BuildContext, CheckResult, PageMap, Stage
from .brf import write_brf
from .layout import (PRESETS, BodyBuilder, Geometry, PageText, Paginator, contents_blocks,
                     frame, title_blocks)
from .pef import PefMeta, write_pef
from .translate import (TableError, Translator, check_table, is_table_name, is_ueb,
                        number_cells, resolve_table, table_for_language)

CELLS_RANGE = (20, 80)            # narrow displays to wide embosser paper
LINES_RANGE = (10, 50)            # room for page information lines and a title page


@dataclass(frozen=True)
class BrailleOptions:
    table: str = "en-ueb-g2.ctb"  # a liblouis table, a language tag ("cy"), or "auto"
    cells: int = 40
    lines: int = 25
    preset: str = "ukaaf"         # "ukaaf" or "bana"
    interpoint: bool = False      # duplex: embossed on both sides of the paper
    contents: bool = True         # a contents page after the title page

    def __post_init__(self) -> None:
        for name, (low, high) in (("cells", CELLS_RANGE), ("lines", LINES_RANGE)):
            value = getattr(self, name)
            if not isinstance(value, int) or not low <= value <= high:
                raise ValueError(f"braille {name} must be a whole number from {low} to {high}, "
                                 f"not {value!r}")
        if self.preset not in PRESETS:
            raise ValueError(f"unknown braille preset '{self.preset}': use "
                             f"{' or '.join(PRESETS)}")
        table = self.table.strip()
        if table.lower() != "auto":      # 'auto' is resolved against the report's language
            if is_table_name(table):
                check_table(table)       # TableError is a ValueError with a clear message
            else:
                table_for_language(table)


@dataclass(frozen=True)
class Composed:
    table: str
    prelim_pages: list[list[str]]
    body_pages: list[list[str]]

    @property
    def pages(self) -> list[list[str]]:
        return self.prelim_pages + self.body_pages


def compose(doc: Document, options: BrailleOptions, page_map: PageMap | None = None
            ) -> Composed:
    """The whole braille edition as pages of Unicode braille lines."""
    table = resolve_table(options.table, doc.meta.language)
    translator = Translator(table, doc.meta.language)
    preset = PRESETS[options.preset]
    geometry = Geometry(options.cells, options.lines)
    rows = options.lines - preset.reserved_lines()
    running_head = translator.text(doc.meta.title)

    units = reading_order(doc, notes="section")
    body = Paginator(rows, options.cells, preset)
    body.place_all(BodyBuilder(translator, preset, options.cells, page_map).build(units))
    body_pages = frame(body.pages, geometry, preset, running_head, prelim=False)

    prelim = Paginator(rows, options.cells, preset)
    prelim.place_all(title_blocks(doc, translator, options.cells))
    if options.contents and body.toc:
        entries = [(level, cells, number_cells(page + 1)) for level, cells, page in body.toc]
        blocks = contents_blocks(entries, translator, options.cells)
        blocks[0].new_page = True
        prelim.place_all(blocks)
    if options.interpoint and len(prelim.pages) % 2:
        prelim.pages.append(PageText())   # the body starts on a right-hand page
    prelim_pages = frame(prelim.pages, geometry, preset, running_head, prelim=True)
    return Composed(table, prelim_pages, body_pages)


def build(doc: Document, options: BrailleOptions, out_dir: Path, ctx: BuildContext
          ) -> list[Path]:
    ctx.progress(0, 3, "translating and laying out")
    try:
        composed = compose(doc, options, ctx.page_map)
    except TableError as error:
        raise StageFailed(f"braille for {ctx.source}: {error}") from None
    ctx.progress(1, 3, "writing BRF")
    brf = write_brf(composed.pages, out_dir / f"{ctx.slug}.brf")
    ctx.progress(2, 3, "writing PEF")
    meta = doc.meta
    pef = write_pef([composed.prelim_pages, composed.body_pages], out_dir / f"{ctx.slug}.pef",
                    meta=PefMeta(identifier=meta.identifier or f"urn:accessible-formats:{ctx.slug}",
                                 title=meta.title, creator="; ".join(meta.authors),
                                 language=meta.language, date=meta.date,
                                 publisher=meta.publisher, description=meta.description),
                    cols=options.cells, rows=options.lines, duplex=options.interpoint)
    ctx.progress(3, 3, "done")
    return [brf, pef]


def check(doc: Document, options: BrailleOptions, paths: list[Path], ctx: BuildContext
          ) -> CheckResult:
    by_suffix = {path.suffix: path for path in paths}
    table = resolve_table(options.table, doc.meta.language)
    ueb = is_ueb(table)
    expect = BrailleExpectations(
        cells=options.cells, lines=options.lines,
        number_at_top=PRESETS[options.preset].number_at_top, duplex=options.interpoint,
        table=table, min_recall=0.98 if ueb else 0.9, recall_is_error=ueb)
    return check_braille(doc, by_suffix[".brf"], by_suffix[".pef"], expect)


STAGES = [Stage(
    name="braille", version="1", options=BrailleOptions, build=build, check=check,
    media_types={".brf": "application/x-brf", ".pef": "application/x-pef+xml"},
    uses_page_map=True, uses_images=False,       # figures are read as their alt text only
    tool_versions=lambda: {"liblouis": louis.version()},
)]
