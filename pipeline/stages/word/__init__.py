"""Word: a clear-print document for screen-reader users (`word`) and a UKAAF large-print
document (`large-print`), from one writer with two sets of defaults.

Modules: options (the two option sets), layout (sizes and margins), styles, numbering,
footnotes, runs (inlines), tables (grids, landscape sections, rows as blocks), writer (blocks),
front (title, contents, statement, properties), pages (LibreOffice's layout: contents page
numbers), fitting (figures shrunk to fit a page), pdfview (reading LibreOffice's PDF). The
read-back check is pipeline/checks/word.py.
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

from ...document import Document
from ...errors import StageFailed
from ...stage_api import BuildContext, CheckResult, Stage
from .layout import Layout, layout_for
from .options import LargePrintOptions, WordOptions

# python-docx, pikepdf (pages.py), the modules built on them and checks/word are imported inside
# the functions that write and check, not here: the build imports every stage to compute its
# key, and a no-op build should not pay for them.
if TYPE_CHECKING:
    from ...checks import word as word_check

VERSION = "5"  # 5: figures fitted to the page, landscape sections for wide tables;
# 4: the footer in the report's language; 3: a TOC field with page numbers;
# 2: solid bullets at every list level
DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def write_docx(
    doc: Document,
    options: WordOptions | LargePrintOptions,
    path: Path,
    progress=None,
    *,
    author_copy: bool = False,
) -> Path:
    """Write the Word document. author_copy leaves out what the pipeline adds for readers (the
    contents list and the accessibility statement), giving the file an author would have
    written: scripts/make_sample_docx.py uses it to make the sample Word source."""
    import docx

    from ... import sections
    from ...sections import words as report_words
    from . import fitting, front, pages, styles
    from .ooxml import word_language
    from .writer import Writer

    layout = layout_for(options)
    language = word_language(doc.meta.language)
    document = docx.Document()
    body = document.element.body
    for paragraph in body.findall(f"{{{body.nsmap['w']}}}p"):  # the template's empty paragraph
        body.remove(paragraph)
    styles.configure(document, layout, language)
    styles.configure_page(document, layout, report_words(doc)("Page {page} of {pages}"))
    styles.configure_background(document, layout)
    statement_id = sections.statement_id(doc)
    writer = Writer(document, doc, layout, language, extra_heading_ids=[statement_id], progress=progress)
    front.write_title_block(writer, byline=not author_copy)  # an author's byline is metadata
    contents = [] if author_copy else front.write_contents(writer, statement_id)
    writer.write_document_blocks()
    if not author_copy:
        front.write_statement(writer, statement_id, layout.font_family, layout.body_size)
    front.set_properties(document, doc, language)
    document.save(str(path))
    if contents:
        if progress:
            progress(0, 1, "page numbers for the contents (LibreOffice layout)")
        figures = None
        if options.fit_figures:
            figures = pages.FigureFitting(
                body=body,
                caption_style_id=writer.style_id(styles.CAPTION),
                keeping_style_ids=frozenset(
                    writer.style_id(styles.heading_style(level)) for level in range(1, 7)
                ),
                gap=layout.paragraph_gap,
                slack=layout.body_size * (layout.line_spacing - 1),
                min_scale=(
                    fitting.LARGE_PRINT_MIN_SCALE if layout.large_print else fitting.CLEAR_PRINT_MIN_SCALE
                ),
            )
        proof = pages.ContentsProof(placeholder=front.PAGE_PLACEHOLDER, room=layout.body_size)
        pages.fill_contents_pages(path, contents, lambda: document.save(str(path)), proof, figures)
    return path


def rules_for(doc: Document, options: WordOptions | LargePrintOptions) -> word_check.WordRules:
    from ...checks import word as word_check
    from .ooxml import word_language

    layout: Layout = layout_for(options)
    large = isinstance(options, LargePrintOptions)
    return word_check.WordRules(
        large_print=large,
        body_size=layout.body_size,
        minimum_size=layout.body_size if large else 12,
        language=word_language(doc.meta.language),
        text_colour=layout.text_colour,
        background=layout.background,
    )


def _build(name: str, suffix: str):
    def build(doc: Document, options, out_dir: Path, ctx: BuildContext) -> list[Path]:
        path = out_dir / f"{ctx.slug}{suffix}"
        try:
            write_docx(doc, options, path, ctx.progress)
        except StageFailed:
            raise
        except OSError as error:
            raise StageFailed(f"{name}: could not write {path}: {error.strerror}") from None
        return [path]

    return build


def _check(doc: Document, options, paths: list[Path], ctx: BuildContext) -> CheckResult:
    from ...checks import word as word_check

    return word_check.check(doc, rules_for(doc, options), paths)


def tool_versions() -> dict[str, str]:
    # From the installed packages' metadata (the same strings as docx.__version__ and
    # lxml.__version__), so computing the key imports neither.
    return {"python-docx": version("python-docx"), "lxml": version("lxml")}


STAGES = [
    Stage(
        name="word",
        version=VERSION,
        options=WordOptions,
        build=_build("word", ".docx"),
        check=_check,
        media_types={".docx": DOCX_MEDIA_TYPE},
        tool_versions=tool_versions,
    ),
    Stage(
        name="large-print",
        version=VERSION,
        options=LargePrintOptions,
        build=_build("large-print", "-large-print.docx"),
        check=_check,
        media_types={".docx": DOCX_MEDIA_TYPE},
        tool_versions=tool_versions,
    ),
]
