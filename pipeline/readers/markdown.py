"""Read a Markdown report into the document model, checking it as we go.

The parser is markdown-it-py (CommonMark) with GFM tables and three mdit-py-plugins: front matter,
footnotes and attributes. Every problem found is collected with its file:line and a fix, and all of
them are raised together in one SourceError, so a person fixes a report in one pass.

The source format
-----------------
Front matter (YAML between ``---`` lines at the top)::

    title: Our 2023 impact report          # required
    subtitle: ...
    authors: [A. Writer, B. Writer]        # or `author:`; a string or a list
    publisher: ...
    date: 2024-03-01                       # YYYY, YYYY-MM or YYYY-MM-DD, kept as written
    language: en-GB                        # BCP 47; default en-GB
    description: ...
    contact: formats@example.org
    version: "1.2"                         # kept exactly as written (1.10 stays 1.10)
    identifier: 978-...                    # optional ISBN (checked) or urn:...
    aliases: [annual review, 2023 report]  # other names people use, for email requests
    keywords: [co-production]
    pronunciations: {NHS: N H S}           # word -> how to say it, for speech

Scalars are read as written (no YAML type guessing), so dates and versions are never reinterpreted.

Body: CommonMark blocks and inlines, plus

- GFM tables. A caption is a paragraph right after the table (after a blank line) that starts with
  ``: `` or ``Table: ``. If the table's first column heads its rows, end the caption with
  ``{.row-headers}``: ``Table: People reached {.row-headers}``.
- ``{#id}`` at the end of a heading gives it that id; other headings get a unique slug of their text.
- ``[text]{lang=cy}`` marks a span in another language (``{lang=cy}`` after a link works too).
- An image alone in its paragraph is a figure: ``![alt text](chart.png "caption")``; add
  ``{.decorative}`` after it for an image that carries no information (its alt text is dropped).
- Footnotes: ``[^label]`` with ``[^label]: text`` anywhere; numbered in order of first reference
  and collected into one Footnotes block at the end. Inline notes ``^[text]`` work too.
- A page break is a paragraph holding only ``\\newpage`` (or ``\\pagebreak``), as Pandoc users write.
- A block quote's attribution is its last paragraph when that starts with a dash:
  ``> — A workshop participant`` (an em dash, en dash or ``--``).
- Fenced or indented code becomes a paragraph of code lines (the model has no code block).
- HTML comments are allowed and dropped; any other raw HTML is a problem (it cannot reach braille,
  audio or Word).
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode
from mdit_py_plugins.attrs import attrs_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin
from PIL import Image

from pipeline.document import (
    Block,
    BulletList,
    Code,
    Document,
    Emphasis,
    Figure,
    Footnote,
    Footnotes,
    Heading,
    Inline,
    LineBreak,
    Link,
    Metadata,
    NoteRef,
    OrderedList,
    PageBreak,
    Paragraph,
    Quote,
    Span,
    Strong,
    Table,
    TableCell,
    Text,
    ThematicBreak,
    inline_text,
)
from pipeline.errors import Problem, SourceError
from pipeline.limits import (
    MAX_IMAGE_PIXELS,
    MAX_NESTING_DEPTH,
    MAX_SOURCE_BYTES,
    MAX_TABLE_COLUMNS,
    link_is_allowed,
    megabytes,
)
from pipeline.readers.account import SourceAccount
from pipeline.readers.front_matter import CONTROL_CHARACTERS, LONE_SURROGATE, read_front_matter
from pipeline.readers.front_matter import language_problem as _language_problem

PAGE_BREAK_MARKERS = {r"\newpage", r"\pagebreak"}
ATTRIBUTION_DASH = re.compile(r"^(—|―|–|--)\s*")
CAPTION_START = re.compile(r"^(?:Table)?:\s+")
TRAILING_ATTRIBUTES = re.compile(r"\s*\{([^{}]*)\}\s*$")
FOOTNOTE_LOOKALIKE = re.compile(r"\[\^([\w-]*)(\])?")
# Formats every stage can embed (Word and ReportLab both take these); others must be converted.
IMAGE_FORMATS = {"PNG", "JPEG", "GIF"}
HTML_COMMENTS_ONLY = re.compile(r"(\s*<!--.*?-->\s*)+", re.S)


def read_markdown(path: Path) -> Document:
    """Read `path` into a Document, or raise SourceError listing every problem in it."""
    path = Path(path)
    reader = _open_reader(path)
    document = reader.read()
    if reader.problems:
        raise SourceError(sorted(reader.problems, key=lambda p: p.line or 0))
    return document


def markdown_account(path: Path) -> SourceAccount:
    """How much of the source reached the document: every line is text, markup or a problem."""
    reader = _open_reader(Path(path))
    reader.read()
    return reader.account


def _open_reader(path: Path) -> _Reader:
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    if size > MAX_SOURCE_BYTES:
        raise SourceError(
            [
                Problem(
                    path,
                    None,
                    f"the report is {megabytes(size)}, more than the "
                    f"{megabytes(MAX_SOURCE_BYTES)} a source may be",
                    "split it into several reports (one per volume or part), or check it is the right file",
                )
            ]
        )
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SourceError(
            [
                Problem(
                    path,
                    None,
                    "the report file does not exist",
                    "check the path; a report is sources/<name>.md or sources/<name>/<name>.md.",
                )
            ]
        ) from None
    except UnicodeDecodeError as error:
        raise SourceError(
            [
                Problem(
                    path,
                    None,
                    f"the file is not UTF-8 text ({error.reason})",
                    "save it as UTF-8 (in most editors: Save As, encoding UTF-8).",
                )
            ]
        ) from None
    except OSError as error:  # a folder, no permission, a disk error
        raise SourceError(
            [
                Problem(
                    path,
                    None,
                    f"the report file cannot be read ({error.strerror})",
                    "check that it is a readable file",
                )
            ]
        ) from None
    return _Reader(path, text)


# markdown-it stops reading at its nesting limit and skips the rest of the input without a word;
# its limit is set well above ours (each list level is two token levels), so anything deeper than
# MAX_NESTING_DEPTH is still parsed and reported, and the line accounting catches the rest.
PARSER_MAX_NESTING = 4 * MAX_NESTING_DEPTH + 8
CONTAINERS = {"bullet_list_open", "ordered_list_open", "blockquote_open"}
# Blocks whose source lines are the document's text (their maps cover every line they read).
LEAF_BLOCKS = {
    "paragraph_open",
    "heading_open",
    "fence",
    "code_block",
    "html_block",
    "hr",
    "table_open",
    "front_matter",
}
# Lines that are only markup: list markers, quote markers, blank, link reference definitions.
MARKUP_ONLY = re.compile(r"^[\s>]*(?:(?:[-*+]|\d{1,9}[.)])[\s>]*)*$")
REFERENCE_DEFINITION = re.compile(r"^[\s>]{0,8}\[[^\]]+\]:\s*\S+")
# C0/C1 control characters other than tab, newline and carriage return, and U+FFFE/U+FFFF:
# invisible, unspeakable, and refused by XML (EPUB, Word, PDF tags), so a source problem.


def _parser() -> MarkdownIt:
    parser = (
        MarkdownIt("commonmark", {"maxNesting": PARSER_MAX_NESTING})
        .enable("table")
        .use(front_matter_plugin)
        .use(footnote_plugin)
        .use(attrs_plugin, spans=True)
    )
    # markdown-it quietly turns javascript:/vbscript:/file:/data: links back into literal text;
    # every link is let through instead, so Reader.link reports the unsafe ones by name
    # (limits.link_is_allowed) rather than leaving "[text](javascript:...)" in the report.
    # markdown-it documents replacing validateLink on the instance; its types call it a method.
    parser.validateLink = lambda url: True  # type: ignore[method-assign]
    return parser


# ------------------------------------------------------------------ front matter


def _read_front_matter(
    path: Path, token_content: str | None, first_line: int, problems: list[Problem]
) -> Metadata:
    """Metadata from the YAML text between the fences, which start at 1-based `first_line`
    (read by the front-matter reader the Word sidecar uses too)."""
    return read_front_matter(path, token_content, first_line, problems).metadata()


# ------------------------------------------------------------------ body


@dataclass(frozen=True)
class _Attributes:
    id: str = ""
    classes: tuple[str, ...] = ()
    values: dict = field(default_factory=dict)


_LARGE_IMAGE = re.compile(r"\{large=([^\s{}\"']+)\}")


def _parse_attributes(inside_braces: str) -> _Attributes:
    """Attributes from Pandoc-style `{#id .class key=value}` text (for headings and captions)."""
    ident, classes, values = "", [], {}
    for part in inside_braces.split():
        if part.startswith("#"):
            ident = part[1:]
        elif part.startswith("."):
            classes.append(part[1:])
        elif "=" in part:
            key, value = part.split("=", 1)
            values[key] = value.strip("\"'")
    return _Attributes(ident, tuple(classes), values)


def slugify(text: str) -> str:
    """A heading's anchor: lower case words joined by hyphens (letters of any script kept).

    Accents are folded to their base letter ("caniatâd" -> "caniatad"): an id travels into URL
    fragments, PDF destinations and SMIL references, where "â" is percent-encoded by some tools
    and not by others, so a link and its target would stop matching."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = unicodedata.normalize("NFKC", "".join(c for c in text if not unicodedata.combining(c)))
    text = re.sub(r"[^\w\s-]", "", text)
    return re.sub(r"[\s_-]+", "-", text).strip("-")


class _Reader:
    def __init__(self, path: Path, text: str):
        self.path = path
        self.folder = path.resolve().parent
        self.problems: list[Problem] = []
        text = self.check_characters(text)
        self.lines = source_lines(text)
        self.text = text
        self.env: dict = {}
        self.tokens = _parser().parse(text, self.env)
        self.account = SourceAccount(path, "lines")
        self.heading_ids: set[str] = set()
        self.reserved_ids = self._explicit_heading_ids()
        self.previous_heading_level = 0
        self.internal_links: list[tuple[str, int | None]] = []
        self.note_ref_lines: dict[int, int | None] = {}

    # -- what the source holds, before and after parsing

    def check_characters(self, text: str) -> str:
        """Control characters and lone surrogates, each a problem at its line; the text read on
        has them replaced by U+FFFD so the rest of the report is still checked in one pass."""
        if not (CONTROL_CHARACTERS.search(text) or LONE_SURROGATE.search(text)):
            return text
        for number, line in enumerate(source_lines(text), 1):
            found = CONTROL_CHARACTERS.search(line) or LONE_SURROGATE.search(line)
            if found:
                code = f"U+{ord(found.group()):04X}"
                kind = (
                    "half of a character (a lone surrogate)"
                    if LONE_SURROGATE.match(found.group())
                    else "an invisible control character"
                )
                self.problem(
                    number,
                    f"this line holds {kind}, {code}, at column {found.start() + 1}",
                    "delete it (it is invisible in most "
                    "editors: retype the words around it), or paste the text again "
                    "as plain text",
                )
        return LONE_SURROGATE.sub("\ufffd", CONTROL_CHARACTERS.sub("\ufffd", text))

    def check_nesting(self) -> None:
        """Lists and quotes deeper than MAX_NESTING_DEPTH: a problem at the first line of each."""
        depth = 0
        reported_until = -1
        for token in self.tokens:
            if token.type in CONTAINERS:
                depth += 1
                if depth > MAX_NESTING_DEPTH and token.map and token.map[0] > reported_until:
                    self.problem(
                        token.map[0] + 1,
                        f"lists or quotes are nested {depth} levels "
                        f"deep here, more than the {MAX_NESTING_DEPTH} a reader can "
                        "follow",
                        "flatten the nesting: make the deeper levels "
                        "paragraphs or a new list under a heading",
                    )
                    reported_until = token.map[1]
            elif token.type.endswith("_close") and token.type.replace("_close", "_open") in CONTAINERS:
                depth -= 1

    def account_for_lines(self) -> None:
        """Every source line is text (inside a leaf block), markup, or a problem: a line that is
        none of these was skipped by the parser, and is reported instead of silently lost."""
        covered = bytearray(len(self.lines))
        for token in self.tokens:
            if token.type in LEAF_BLOCKS and token.map:
                start, end = token.map
                covered[start:end] = b"\x01" * (min(end, len(self.lines)) - start)
        unread: list[int] = []
        account = self.account
        account.total = len(self.lines)
        for number, line in enumerate(self.lines):
            if covered[number]:
                account.read += 1
            elif MARKUP_ONLY.match(line) or REFERENCE_DEFINITION.match(line):
                account.markup += 1
            else:
                unread.append(number + 1)
        for first, last in _runs(unread):
            account.lost.append(f"lines {first}-{last}" if last > first else f"line {first}")
            self.problem(
                first,
                f"{'lines ' + str(first) + '-' + str(last) if last > first else 'this line'}"
                f" could not be read (the text from here would be missing from every "
                f"format)",
                "this follows lists or quotes nested too deeply, or "
                "unbalanced markup above it: simplify the lines just before",
            )

    # -- helpers

    def problem(self, line: int | None, message: str, fix: str) -> None:
        self.problems.append(Problem(self.path, line, message, fix))

    @staticmethod
    def start_line(node: SyntaxTreeNode) -> int | None:
        return node.map[0] + 1 if node.map else None

    def line_containing(self, needle: str, node: SyntaxTreeNode | None) -> int | None:
        """The 1-based line inside node's source range where `needle` first appears."""
        if node is None or not node.map:
            return None
        start, end = node.map
        for number in range(start, min(end, len(self.lines))):
            if needle and needle in self.lines[number]:
                return number + 1
        return start + 1

    def _explicit_heading_ids(self) -> set[str]:
        ids = set()
        for before, token in zip(self.tokens, self.tokens[1:]):
            if before.type == "heading_open" and token.type == "inline":
                match = TRAILING_ATTRIBUTES.search(token.content)
                if match:
                    ids.add(_parse_attributes(match.group(1)).id)
        return ids - {""}

    # -- the whole document

    def read(self) -> Document:
        front = next((t for t in self.tokens if t.type == "front_matter"), None)
        meta = _read_front_matter(
            self.path,
            front.content if front else None,
            front.map[0] + 1 if front and front.map else 1,
            self.problems,
        )
        root = SyntaxTreeNode(self.tokens)
        body = [n for n in root.children if n.type not in {"front_matter", "footnote_block"}]
        blocks = self.blocks(body)
        note_block = next((n for n in root.children if n.type == "footnote_block"), None)
        if note_block is not None:
            blocks.append(self.footnotes(note_block))
        self.check_internal_links()
        self.check_footnote_definitions()
        self.check_nesting()
        self.account_for_lines()
        self.account.problems = len(self.problems)
        return Document(meta, tuple(blocks), source=self.path.resolve())

    # -- blocks

    def blocks(self, nodes: list[SyntaxTreeNode]) -> list[Block]:
        result: list[Block] = []
        index = 0
        while index < len(nodes):
            node = nodes[index]
            if node.type == "table":
                following = nodes[index + 1] if index + 1 < len(nodes) else None
                caption_node = following if self.is_caption(following) else None
                result.append(self.table(node, caption_node))
                index += 2 if caption_node else 1
                continue
            block = self.block(node)
            if block is not None:
                result.append(block)
            index += 1
        return result

    def block(self, node: SyntaxTreeNode) -> Block | None:
        line = self.start_line(node)
        kind = node.type
        if kind == "heading":
            return self.heading(node)
        if kind == "paragraph":
            return self.paragraph(node)
        if kind == "bullet_list":
            return BulletList(self.list_items(node), line=line)
        if kind == "ordered_list":
            start = int(node.attrs.get("start", 1))
            return OrderedList(self.list_items(node), start=start, line=line)
        if kind == "blockquote":
            return self.quote(node)
        if kind == "hr":
            return ThematicBreak(line=line)
        if kind in {"fence", "code_block"}:
            return self.code(node)
        if kind == "html_block":
            self.raw_html(node.content, line)
            return None
        if kind == "table":  # a table nested where blocks() was not used
            return self.table(node, None)
        self.problem(
            line,
            f"unsupported Markdown ({kind})",
            "rewrite it as ordinary paragraphs, lists, tables or headings.",
        )
        return None

    def heading(self, node: SyntaxTreeNode) -> Heading:
        line = self.start_line(node)
        level = int(node.tag[1])
        inline = node.children[0]
        children: list[SyntaxTreeNode | _TextStandIn] = list(inline.children)
        explicit_id = ""
        if children and children[-1].type == "text":
            match = TRAILING_ATTRIBUTES.search(children[-1].content)
            if match:
                explicit_id = _parse_attributes(match.group(1)).id
                children[-1] = _TextStandIn(children[-1].content[: match.start()].rstrip())
        inlines = self.inlines(children, inline)
        self.check_heading_level(level, line)
        return Heading(level, inlines, self.heading_id(explicit_id, inlines, line), line=line)

    def check_heading_level(self, level: int, line: int | None) -> None:
        previous = self.previous_heading_level
        if previous == 0 and level != 1:
            self.problem(
                line,
                f"the first heading is level {level}",
                "start with a level 1 heading ('# Chapter'); the title comes from the front matter.",
            )
        elif level > previous + 1 and previous:
            self.problem(
                line,
                f"this heading skips from level {previous} to level {level}",
                f"make it level {previous + 1} ('{'#' * (previous + 1)} ...') so screen "
                "reader users do not think a section is missing.",
            )
        self.previous_heading_level = level

    def heading_id(self, explicit: str, inlines: tuple[Inline, ...], line: int | None) -> str:
        if explicit:
            if explicit in self.heading_ids:
                self.problem(
                    line, f"the heading id '#{explicit}' is used twice", "give each heading its own id."
                )
            self.heading_ids.add(explicit)
            return explicit
        base = slugify(inline_text(inlines)) or "section"
        candidate, suffix = base, 2
        while candidate in self.heading_ids or candidate in self.reserved_ids:
            candidate, suffix = f"{base}-{suffix}", suffix + 1
        self.heading_ids.add(candidate)
        return candidate

    def paragraph(self, node: SyntaxTreeNode) -> Block | None:
        line = self.start_line(node)
        inline = next(c for c in node.children if c.type == "inline")
        if inline.content.strip() in PAGE_BREAK_MARKERS:
            return PageBreak(line=line)
        if self.looks_like_broken_table(node):
            return None
        meaningful = [
            c
            for c in inline.children
            if not (c.type == "softbreak" or (c.type == "text" and not c.content.strip()))
        ]
        if len(meaningful) == 1 and meaningful[0].type == "image":
            return self.figure(meaningful[0], inline)
        # {large=chart-large.png}: markdown-it's attrs plugin takes an unquoted value only
        # without dots, so a file name stays text after the image; read it here.
        if (
            len(meaningful) == 2
            and meaningful[0].type == "image"
            and meaningful[1].type == "text"
            and (large := _LARGE_IMAGE.fullmatch(meaningful[1].content.strip()))
        ):
            return self.figure(meaningful[0], inline, large=large.group(1))
        return Paragraph(self.inlines(inline.children, inline), line=line)

    def figure(self, image: SyntaxTreeNode, inline: SyntaxTreeNode, large: str = "") -> Figure | None:
        raw_src = str(image.attrs.get("src", ""))
        line = self.line_containing(raw_src, inline) or self.start_line(inline)
        alt = inline_text(self.inlines(image.children, inline)).strip()
        decorative = "decorative" in str(image.attrs.get("class", "")).split()
        title = str(image.attrs.get("title", "") or "")
        src = self.image_path(str(raw_src), line)
        if not alt and not decorative:
            self.problem(
                line,
                f"the image {raw_src} has no alt text",
                f"add alt text inside the brackets: ![a chart of ...]({raw_src}), or mark "
                "the image {.decorative} if it carries no information.",
            )
        elif not decorative and src is not None and alt.lower() in {src.name.lower(), src.stem.lower()}:
            self.problem(
                line,
                f"the alt text of {raw_src} is just its file name",
                "describe what the image shows, e.g. ![Bar chart: talks reached 1,482 people](chart.png).",
            )
        if src is None:
            return None
        caption = (Text(title),) if title else ()
        # {large=chart-large.png}: the same image drawn with bigger text, for large print.
        large_raw = str(image.attrs.get("large", "") or large)
        large_src = self.image_path(large_raw, line) if large_raw else None
        return Figure(src, "" if decorative else alt, caption, decorative, large_src=large_src, line=line)

    def image_path(self, raw_src: str, line: int | None) -> Path | None:
        """The image's absolute path, or None (with a problem recorded) if it cannot be used."""
        if urlparse(raw_src).scheme:
            self.problem(
                line,
                f"the image {raw_src} is not a file beside the report",
                f"download it into {self.folder.name}/ and refer to it by file name.",
            )
            return None
        candidate = (self.folder / unquote(raw_src)).resolve()
        if not candidate.is_relative_to(self.folder):
            self.problem(
                line,
                f"the image {raw_src} is outside the report's folder",
                f"copy it into {self.folder} and refer to it by its name there.",
            )
            return None
        if not candidate.is_file():
            self.problem(
                line,
                f"the image file {raw_src} does not exist",
                f"check the spelling (names are case sensitive) or add the file to {self.folder}.",
            )
            return None
        try:
            with warnings.catch_warnings():
                # Pillow warns from 89 megapixels and refuses from 179 at open: our own, lower
                # limit below is the one a person is told about, with the picture's size.
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                picture = Image.open(candidate)  # reads the header, decodes nothing
        except Image.DecompressionBombError:
            self.problem(
                line,
                f"the image {raw_src} has more than the "
                f"{MAX_IMAGE_PIXELS // 1_000_000} million pixels an image may have "
                "(decoding it would take gigabytes of memory)",
                "save a smaller copy (2000 pixels across is plenty for print) and use that",
            )
            return None
        except Exception as error:  # Pillow raises several kinds for damaged or foreign files
            self.problem(
                line,
                f"the image {raw_src} cannot be read as an image ({type(error).__name__})",
                "save it again as a PNG or JPEG file.",
            )
            return None
        try:
            with picture:
                picture_format = picture.format
                width, height = picture.size
                if width * height > MAX_IMAGE_PIXELS:
                    self.problem(
                        line,
                        f"the image {raw_src} is {width} x {height} pixels, more "
                        f"than the {MAX_IMAGE_PIXELS // 1_000_000} million an image may "
                        "have (decoding it would take gigabytes of memory)",
                        "save a smaller copy (2000 pixels across is plenty for print) and use that",
                    )
                    return None
                picture.verify()
        except Exception as error:  # Pillow raises several kinds for damaged or foreign files
            self.problem(
                line,
                f"the image {raw_src} cannot be read as an image ({type(error).__name__})",
                "save it again as a PNG or JPEG file.",
            )
            return None
        if picture_format not in IMAGE_FORMATS:
            self.problem(
                line,
                f"the image {raw_src} is a {picture_format} file, which not every format can embed",
                "save it as a PNG (charts) or JPEG (photographs).",
            )
            return None
        return candidate

    def list_items(self, node: SyntaxTreeNode) -> tuple[tuple[Block, ...], ...]:
        return tuple(tuple(self.blocks(list(item.children))) for item in node.children)

    def quote(self, node: SyntaxTreeNode) -> Quote:
        blocks = self.blocks(list(node.children))
        attribution: tuple[Inline, ...] = ()
        last = blocks[-1] if blocks else None
        if (
            len(blocks) > 1
            and isinstance(last, Paragraph)
            and last.inlines
            and isinstance(last.inlines[0], Text)
            and ATTRIBUTION_DASH.match(last.inlines[0].text)
        ):
            first = Text(ATTRIBUTION_DASH.sub("", last.inlines[0].text, count=1))
            attribution = tuple(i for i in (first, *last.inlines[1:]) if i != Text(""))
            blocks = blocks[:-1]
        return Quote(tuple(blocks), attribution, line=self.start_line(node))

    def code(self, node: SyntaxTreeNode) -> Paragraph:
        inlines: list[Inline] = []
        for number, text in enumerate(node.content.rstrip("\n").split("\n")):
            if number:
                inlines.append(LineBreak())
            inlines.append(Code(text))
        return Paragraph(tuple(inlines), line=self.start_line(node))

    def raw_html(self, html: str, line: int | None) -> None:
        if HTML_COMMENTS_ONLY.fullmatch(html):
            return  # an author's comment: invisible by intent
        snippet = html.strip().splitlines()[0][:40]
        self.problem(
            line,
            f"raw HTML ({snippet}) is not supported: it cannot be carried into braille, audio, Word or PDF",
            "write it in Markdown instead: **bold**, "
            "*italic*, a backslash at the end of a line for a line break, a table with "
            "| pipes |; or remove it.",
        )

    # -- tables

    def is_caption(self, node: SyntaxTreeNode | None) -> bool:
        if node is None or node.type != "paragraph":
            return False
        inline = node.children[0]
        return bool(CAPTION_START.match(inline.content))

    def table(self, node: SyntaxTreeNode, caption_node: SyntaxTreeNode | None) -> Table:
        line = self.start_line(node)
        self.check_table_rows(node)
        caption: tuple[Inline, ...] = ()
        row_headers = False
        if caption_node is not None:
            inline = caption_node.children[0]
            children: list[SyntaxTreeNode | _TextStandIn] = list(inline.children)
            if children and children[0].type == "text":
                children[0] = _TextStandIn(CAPTION_START.sub("", children[0].content, count=1))
            if children and children[-1].type == "text":
                match = TRAILING_ATTRIBUTES.search(children[-1].content)
                if match:
                    row_headers = "row-headers" in _parse_attributes(match.group(1)).classes
                    children[-1] = _TextStandIn(children[-1].content[: match.start()].rstrip())
            caption = self.inlines(children, inline)
        sections = {child.type: child for child in node.children}
        header = tuple(self.row(tr) for tr in sections["thead"].children) if "thead" in sections else ()
        body = tuple(self.row(tr) for tr in sections["tbody"].children) if "tbody" in sections else ()
        return Table(caption, header, body, row_headers, line=line)

    def row(self, tr: SyntaxTreeNode) -> tuple[TableCell, ...]:
        cells = []
        for cell in tr.children:
            inline = cell.children[0] if cell.children else None
            inlines = self.inlines(inline.children, inline) if inline is not None else ()
            cells.append(TableCell((Paragraph(inlines, line=self.start_line(tr)),) if inlines else ()))
        return tuple(cells)

    @staticmethod
    def cell_count(source_line: str) -> int:
        """Cells in one GFM table row as written (markdown-it pads or drops them silently)."""
        row = re.sub(r"^[\s>]*", "", source_line).strip()
        row = row.removeprefix("|")
        if row.endswith("|") and not row.endswith("\\|"):
            row = row[:-1]
        return len(re.split(r"(?<!\\)\|", row))

    def check_table_rows(self, node: SyntaxTreeNode) -> None:
        if not node.map:
            return
        start, end = node.map
        expected = self.cell_count(self.lines[start])
        if expected > MAX_TABLE_COLUMNS:
            self.problem(
                start + 1,
                f"this table has {expected} columns, more than the "
                f"{MAX_TABLE_COLUMNS} that fit a page in any format (large print and "
                "braille included)",
                "split it into two or more tables, each repeating "
                "the first column, or turn it round so the many items are rows",
            )
        for number in range(start + 2, min(end, len(self.lines))):
            source = self.lines[number]
            if not source.strip():
                continue
            found = self.cell_count(source)
            if CAPTION_START.match(re.sub(r"^[\s>]*", "", source)):
                self.problem(
                    number + 1,
                    "this table caption is read as a row of the table",
                    "put a blank line between the table and its caption.",
                )
            elif found != expected:
                self.problem(
                    number + 1,
                    f"this table row has {_cells(found)} but the header has {_cells(expected)}",
                    "give every row the same number of | separated cells "
                    "(leave a cell empty with | |, or escape a pipe in text as \\|).",
                )

    def looks_like_broken_table(self, node: SyntaxTreeNode) -> bool:
        """A paragraph that was meant as a table but whose delimiter row does not match."""
        if not node.map or node.map[1] - node.map[0] < 2:
            return False
        first, second = (self.lines[node.map[0]].strip(), self.lines[node.map[0] + 1].strip())
        if not (first.startswith("|") and re.fullmatch(r"\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?", second)):
            return False
        self.problem(
            node.map[0] + 1,
            f"this table's header has {_cells(self.cell_count(first))} but "
            f"the line under it has {_cells(self.cell_count(second))}, so it is not read as a table",
            "give the |---| line under the header one entry per header cell.",
        )
        return True

    # -- footnotes

    def footnotes(self, node: SyntaxTreeNode) -> Footnotes:
        notes = []
        for note in node.children:
            number = note.meta["id"] + 1
            blocks = self.blocks([c for c in note.children if c.type != "footnote_anchor"])
            line = next((b.line for b in blocks if getattr(b, "line", None)), self.note_ref_lines.get(number))
            blocks = [self.with_line(b, line) for b in blocks]
            notes.append(Footnote(self.note_id(note.meta.get("label"), number), number, tuple(blocks)))
        first_line = next((b.line for n in notes for b in n.blocks if b.line), None)
        return Footnotes(tuple(notes), line=first_line)

    @staticmethod
    def with_line(block: Block, line: int | None) -> Block:
        """Inline notes (^[...]) have no source range of their own: use their reference's line."""
        if getattr(block, "line", None) is None and line is not None:
            return type(block)(**{**block.__dict__, "line": line})
        return block

    @staticmethod
    def note_id(label: str | None, number: int) -> str:
        return label if label else f"note-{number}"

    def check_footnote_definitions(self) -> None:
        refs = self.env.get("footnotes", {}).get("refs", {})
        for key, note_id in refs.items():
            if note_id != -1:
                continue
            label = key[1:]
            line = next(
                (
                    n + 1
                    for n, text in enumerate(self.lines)
                    if re.match(rf"^\s*\[\^{re.escape(label)}\]:", text)
                ),
                None,
            )
            self.problem(
                line,
                f"the footnote [^{label}] is never referred to, so it would be lost",
                f"add [^{label}] in the text where the note belongs, or delete the note.",
            )

    def check_footnote_lookalikes(self, text: str, inline: SyntaxTreeNode | None) -> None:
        for match in FOOTNOTE_LOOKALIKE.finditer(text):
            label, closed = match.group(1), match.group(2)
            line = self.line_containing(match.group(0), inline)
            if closed:
                self.problem(
                    line,
                    f"the footnote reference [^{label}] has no note",
                    f"add a line '[^{label}]: the note text' after the paragraph, "
                    "or check the label's spelling.",
                )
            else:
                self.problem(
                    line,
                    f"the footnote reference [^{label} is not closed",
                    f"write it as [^{label}] with a closing bracket.",
                )

    # -- inlines

    def inlines(self, nodes, inline: SyntaxTreeNode | None) -> tuple[Inline, ...]:
        result: list[Inline] = []
        for node in nodes:
            result.extend(self.inline(node, inline))
        return _merge_text(result)

    def inline(self, node, inline: SyntaxTreeNode | None) -> list[Inline]:
        kind = node.type
        if kind == "text":
            self.check_footnote_lookalikes(node.content, inline)
            return [Text(node.content)]
        if kind == "softbreak":
            return [Text(" ")]
        if kind == "hardbreak":
            return [LineBreak()]
        if kind == "code_inline":
            return [Code(node.content)]
        if kind == "em":
            return [Emphasis(self.inlines(node.children, inline))]
        if kind == "strong":
            return [Strong(self.inlines(node.children, inline))]
        if kind == "link":
            return self.link(node, inline)
        if kind == "span":
            return self.span(node, inline)
        if kind == "footnote_ref":
            number = node.meta["id"] + 1
            self.note_ref_lines.setdefault(number, self.start_line(inline) if inline else None)
            return [NoteRef(self.note_id(node.meta.get("label"), number), number)]
        if kind == "html_inline":
            self.raw_html(node.content, self.line_containing(node.content, inline))
            return []
        if kind == "image":
            src = node.attrs.get("src", "")
            self.problem(
                self.line_containing(str(src), inline),
                f"the image {src} is inside a line of text",
                "put the image in a paragraph of its own (blank lines "
                "before and after) so it becomes a figure with its alt text.",
            )
            return []
        self.problem(
            self.start_line(inline) if inline else None,
            f"unsupported Markdown ({kind})",
            "rewrite it as plain text.",
        )
        return []

    def link(self, node, inline) -> list[Inline]:
        url = str(node.attrs.get("href", ""))
        children = self.inlines(node.children, inline)
        line = self.line_containing(url, inline)
        if not inline_text(children).strip():
            self.problem(
                line,
                f"the link to {url} has no text",
                f"put words saying where it goes inside the brackets: [our guidance]({url}).",
            )
        if not link_is_allowed(url):
            written = unquote(url)  # markdown-it percent-encodes; name it as written
            line = self.line_containing(written[:30], inline) or line
            self.problem(
                line,
                f"the link to '{written[:80]}' is not a web, email or telephone address",
                "link only to https://..., mailto:..., tel:... or a heading "
                "in this report (#its-id); or remove the link and keep its words",
            )
            return list(children)
        if url.startswith("#"):
            self.internal_links.append((url, line))
        link: list[Inline] = [Link(url, children)]
        lang = node.attrs.get("lang")
        return self.in_language(link, str(lang), line) if lang else link

    def span(self, node, inline) -> list[Inline]:
        children = self.inlines(node.children, inline)
        lang = node.attrs.get("lang")
        if not lang:
            return list(children)  # a span with only classes adds no meaning
        first_text = inline_text(children)[:20]
        return self.in_language(list(children), str(lang), self.line_containing(first_text, inline))

    def in_language(self, inlines: list[Inline], lang: str, line: int | None) -> list[Inline]:
        problem = _language_problem(lang)
        if problem:
            self.problem(line, problem[0], problem[1])
            return inlines
        return [Span(tuple(inlines), lang)]

    def check_internal_links(self) -> None:
        for url, line in self.internal_links:
            if url[1:] not in self.heading_ids:
                self.problem(
                    line,
                    f"the link {url} points to no heading",
                    "use the id of a heading: add {#an-id} at the end of the heading and link to #an-id.",
                )


@dataclass(frozen=True)
class _TextStandIn:
    """A text node with attributes trimmed off (SyntaxTreeNode content is read-only)."""

    content: str
    type: str = "text"


def source_lines(text: str) -> list[str]:
    """Lines as markdown-it and editors count them (\\n, \\r\\n or \\r). Not str.splitlines(),
    which also breaks at U+0085, U+2028, form feeds and other separators, so its line numbers
    drift from the parser's (found by tests/test_fuzz.py)."""
    lines = re.split(r"\r\n|\r|\n", text)
    return lines[:-1] if lines and lines[-1] == "" else lines


def _runs(numbers: list[int]) -> list[tuple[int, int]]:
    """[3, 4, 5, 9] -> [(3, 5), (9, 9)]."""
    runs: list[tuple[int, int]] = []
    for number in numbers:
        if runs and runs[-1][1] == number - 1:
            runs[-1] = (runs[-1][0], number)
        else:
            runs.append((number, number))
    return runs


def _cells(count: int) -> str:
    return f"{count} cell" if count == 1 else f"{count} cells"


def _merge_text(inlines: list[Inline]) -> tuple[Inline, ...]:
    """Join neighbouring Text nodes (soft breaks arrive as separate ones) and drop empty ones."""
    merged: list[Inline] = []
    for node in inlines:
        if isinstance(node, Text):
            if not node.text:
                continue
            if merged and isinstance(merged[-1], Text):
                merged[-1] = Text(merged[-1].text + node.text)
                continue
        merged.append(node)
    return tuple(merged)
