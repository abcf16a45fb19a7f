"""Read a Word .docx report into the Document model, and tell the author what to fix in Word.

`read_docx(path)` is the entry point: it returns a Document, or raises SourceError listing every
problem at once. `parse_docx(path)` returns the Document *and* the problems without raising, for
tools (and tests) that want to see what was read despite the problems.

Why python-docx plus its XML rather than mammoth: mammoth converts to HTML with its own
simplifications (no tracked-change control, no row/column spans, no decorative flag, no paragraph
positions), so the model would be rebuilt from lossy HTML. python-docx opens the package and
resolves relationships and core properties; the reader walks the WordprocessingML itself.

Modules: package (zip safety), styles, numbering, body (paragraphs, tables, lists, quotes,
captions, pictures, fields), inlines (runs -> nested inlines), notes, images (extraction to the
content-addressed cache), metadata (core properties, sidecar YAML, language), validation.

Paragraph numbers (Problem.line, block.line) count every w:p of the body in document order,
including paragraphs in tables and text boxes, starting at 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from ...document import Document, Footnotes, Inline, inline_text
from ...errors import Problem, SourceError
from ..account import SourceAccount
from .body import RawParagraph, StoryReader
from .images import ImageStore
from .links import resolve_internal_links
from .metadata import build_metadata, normalise_language, read_sidecar, sidecar_path
from .notes import NoteStore
from .numbering import Numbering
from .package import PackageProblem, open_package
from .styles import StyleSheet
from .validation import Validator
from .xml import parse_part, q

__all__ = ["DocxReading", "parse_docx", "read_docx"]


@dataclass(frozen=True)
class DocxReading:
    document: Document | None  # None only when the file could not be opened at all
    problems: tuple[Problem, ...]
    account: SourceAccount | None = None  # how much of the body's text was read


def read_docx(path: Path) -> Document:
    """The Document of a .docx file; SourceError with all problems if there are any.

    Pictures are extracted to `<tempfile.gettempdir()>/accessible-formats-docx/<sha256 of the
    .docx>/<name>`, not beside the source: Figure.src must be a real file, sources/ is the staff's
    folder, and a content-addressed folder is reused by repeated reads and keeps builds
    reproducible (see images.py).
    """
    reading = parse_docx(path)
    if reading.problems:
        raise SourceError(list(reading.problems))
    assert reading.document is not None
    return reading.document


def parse_docx(path: Path) -> DocxReading:
    path = Path(path).resolve()
    try:
        opened = open_package(path)
    except PackageProblem as problem:
        return DocxReading(None, (Problem(path, None, problem.message, problem.fix),))
    try:
        return _read(path, opened)
    except PackageProblem as problem:
        return DocxReading(None, (Problem(path, None, problem.message, problem.fix),))
    except etree.XMLSyntaxError as error:  # a damaged part python-docx did not parse itself
        return DocxReading(
            None,
            (
                Problem(
                    path,
                    None,
                    f"the Word file is damaged and cannot be read ({error})",
                    "open it in Word, which offers to repair damaged files, and save it again",
                ),
            ),
        )
    except Exception as error:
        # Anything python-docx or lxml raises on a package we did not foresee is still a problem
        # with this file: it is reported as one, so every other report builds.
        return DocxReading(
            None,
            (
                Problem(
                    path,
                    None,
                    f"the Word file could not be read ({type(error).__name__}: {error})",
                    "open it in Word and save it again as a Word Document "
                    "(.docx); if that does not help, send the file to the "
                    "formats team",
                ),
            ),
        )


class DocumentContext:
    """What every story reader of one document shares: styles, counters, notes, problems."""

    def __init__(self, path: Path, document, sha256: str):
        part = document.part
        self.main_part = part
        self.path = path
        self.styles = StyleSheet(_part_root(part, "styles"))
        self.numbering = Numbering(_part_root(part, "numbering"))
        self.images = ImageStore(sha256)
        self.notes = NoteStore(part)
        self.notes.read_note = self._read_note
        body = part.element.find(q("w:body"))
        self.body = body
        # Keeping the element list alive keeps lxml's proxies (the dict keys) stable.
        self._paragraphs = list(body.iter(q("w:p"))) if body is not None else []
        self.paragraph_numbers = {p: number for number, p in enumerate(self._paragraphs, 1)}
        self.language: str | None = None
        self.last_text = ""
        self.validator = Validator(path)
        self.shown_metadata: dict[str, list[str]] = {}
        self._heading_ids: set[str] = set()
        self.headings: list[tuple[int | None, str]] = []  # (line, id) in order
        self.bookmarks: list[tuple[str, int | None]] = []
        # Reader fidelity (SourceAccount): w:t runs read, and what was skipped, by name.
        self.text_runs_read = 0
        self.skipped_runs: dict[str, int] = {}
        self.reported_links: set[tuple[int | None, str]] = set()

    def skip(self, what: str, element) -> None:
        """Leave out `element` on purpose: its w:t runs are counted under this name."""
        self.skipped_runs[what] = self.skipped_runs.get(what, 0) + sum(1 for _ in element.iter(q("w:t")))

    def skipped_alt_chunk(self, part, rel_id: str | None, before: str) -> None:
        rel = part.rels.get(rel_id) if rel_id else None
        name = str(rel.target_ref) if rel is not None else f"relationship {rel_id}"
        self.skipped_runs[f"embedded file {name} (altChunk)"] = 0
        self.validator.alt_chunk(None, name, before)

    # -- language: runs in another language than the document's become Spans
    def foreign_language(self, tag: str | None) -> str | None:
        lang = normalise_language(tag)
        if not lang or not self.language:
            return None
        # Only a different *language* counts: Word marks runs en-US inside an en-GB document
        # whenever the keyboard changes, and a screen reader should not switch voice for that.
        if lang.split("-")[0].lower() == self.language.split("-")[0].lower():
            return None
        return lang

    # -- things found while reading
    def _read_note(self, note_part, element, line):
        saved = self.last_text
        blocks = StoryReader(self, note_part, top_level=False, note_line=line).read_blocks(element)
        self.last_text = saved
        return blocks

    def take_metadata_paragraph(self, kind: str, inlines: tuple[Inline, ...]) -> None:
        self.shown_metadata.setdefault(kind, []).append(inline_text(inlines).strip())

    def heading_id(self, text: str) -> str:
        base = pandoc_identifier(text)
        candidate, suffix = base, 0
        while candidate in self._heading_ids:
            suffix += 1
            candidate = f"{base}-{suffix}"
        self._heading_ids.add(candidate)
        return candidate

    def record_heading(self, heading_id: str, item: RawParagraph) -> None:
        self.headings.append((item.line, heading_id))

    def record_bookmarks(self, names: list[str], line: int | None) -> None:
        self.bookmarks.extend((name, line) for name in names)

    # -- problems (delegated, so the wording lives in one module)
    def problem_no_alt(self, line, before):
        self.validator.picture_without_alt(line, before)

    def problem_picture_linked(self, line, before):
        self.validator.picture_linked(line, before)

    def problem_picture_unusable(self, line, before, detail):
        self.validator.picture_unusable(line, before, detail)

    def problem_table_without_header(self, line, before):
        self.validator.table_without_header(line, before)

    def problem_heading_too_deep(self, item: RawParagraph):
        self.validator.heading_too_deep(item)

    def note_bold_paragraph(self, item: RawParagraph):
        self.validator.bold_paragraph(item)


def _read(path: Path, opened) -> DocxReading:
    document = opened.document
    context = DocumentContext(path, document, opened.sha256)
    sidecar, sidecar_problems = read_sidecar(path)
    declared_language = sidecar.language
    context.language = (
        normalise_language(declared_language)
        or normalise_language(document.core_properties.language)
        or normalise_language(context.styles.default_lang)
        or "en-GB"
    )
    if context.body is None:
        raise PackageProblem("the Word file has no body text", "open it in Word and save it again")
    blocks = StoryReader(context, document.part, top_level=True).read_blocks(context.body)
    notes = context.notes.notes()
    if notes:
        blocks.append(Footnotes(notes))
    blocks = resolve_internal_links(blocks, context.headings, context.bookmarks)
    meta = build_metadata(
        document.core_properties, context.shown_metadata, sidecar, context.styles.default_lang
    )
    doc = Document(meta, tuple(blocks), source=path)
    validator = context.validator
    validator.finish(
        doc,
        title_sources=(f"{sidecar_path(path).name} 'title'", "the Title style", "File > Info > Properties"),
    )
    problems = list(sidecar_problems)  # a bad sidecar language is one of them
    problems.extend(validator.problems)
    account = _account(path, context)
    if account.lost:
        problems.append(
            Problem(
                path,
                None,
                f"{account.lost[0]} of the document's text did not "
                f"reach the reading (only {account.read} of {account.total} "
                f"text runs did)",
                "open it in Word and save it again; if text "
                "is still missing, send the file to the formats team",
            )
        )
    return DocxReading(doc, tuple(problems), account)


def _account(path: Path, context: DocumentContext) -> SourceAccount:
    """Every w:t of the body: read, or skipped under a name; any other is lost text."""
    account = SourceAccount(path, "text runs")
    body = context.body
    # mc:Fallback repeats its Choice for older readers: never read, and never text of its own.
    fallback = sum(1 for node in body.iter(q("mc:Fallback")) for _ in node.iter(q("w:t")))
    account.total = sum(1 for _ in body.iter(q("w:t"))) - fallback
    account.read = context.text_runs_read
    account.skipped = [
        f"{name}: {count} text runs" if count else name for name, count in context.skipped_runs.items()
    ]
    account.skipped += _parts_not_read(context.main_part)
    skipped = sum(context.skipped_runs.values())
    missing = account.total - account.read - skipped
    if missing > 0:
        account.lost.append(f"{missing} text run{'s' if missing != 1 else ''}")
    return account


# Parts of the package that are not the report's reading text, named in the account with how
# much text they hold: running headers and footers repeat on every page (page furniture, not
# content), and comments are notes between co-authors.
_PARTS_NOT_READ = {"header": "running header", "footer": "running footer", "comments": "comments"}


def _parts_not_read(document_part) -> list[str]:
    named = []
    for rel in document_part.rels.values():
        kind = rel.reltype.rsplit("/", 1)[-1]
        if kind not in _PARTS_NOT_READ or rel.is_external:
            continue
        try:
            root = parse_part(rel.target_part.blob)
        except Exception:
            continue
        runs = sum(1 for _ in root.iter(q("w:t"))) if root is not None else 0
        if runs:
            named.append(f"{_PARTS_NOT_READ[kind]} {rel.target_ref}: {runs} text runs")
    return named


def _part_root(document_part, reltype_suffix: str):
    for rel in document_part.rels.values():
        if rel.reltype.endswith(f"/{reltype_suffix}") and not rel.is_external:
            return parse_part(rel.target_part.blob)
    return None


def pandoc_identifier(text: str) -> str:
    """Pandoc's auto_identifiers: drop up to the first letter, keep letters, digits and _-.,
    spaces to hyphens, lower case; 'section' when nothing is left."""
    kept = []
    started = False
    for char in " ".join(text.split()):
        if not started and not char.isalpha():
            continue
        started = True
        if char.isalnum() or char in "_-.":
            kept.append(char.lower())
        elif char.isspace():
            kept.append("-")
    identifier = "".join(kept)
    return identifier or "section"
