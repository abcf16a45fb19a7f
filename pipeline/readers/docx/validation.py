"""Accessibility problems in the Word file, told in the author's terms and Word's menus.

Each problem names the paragraph number and quotes the paragraph's first words, because Word
shows no line numbers: the words are what an author searches for (Ctrl+F).
"""

from __future__ import annotations

import re
from pathlib import Path

from ...document import Document, Heading, inline_text
from ...document import headings as document_headings
from ...errors import Problem

_WORDS_QUOTED = 5
_HEADING_LIKE_MAX_WORDS = 12
_HEADING_LIKE_MAX_CHARS = 100


def first_words(text: str, count: int = _WORDS_QUOTED) -> str:
    words = text.split()
    if len(words) > count:
        return " ".join(words[:count]) + "..."
    return " ".join(words)


def _after(before: str) -> str:
    return f"after '{first_words(before)}'" if before.strip() else "at the start of the document"


def _style_display(name: str) -> str:
    return " ".join(word.capitalize() for word in name.split()) or "Normal"


class Validator:
    def __init__(self, path: Path):
        self.path = path
        self.problems: list[Problem] = []
        self._bold_paragraphs: list = []

    def _add(self, line: int | None, message: str, fix: str) -> None:
        self.problems.append(Problem(self.path, line, message, fix))

    # ---------------------------------------------------------------- found while reading

    def unsafe_link(self, line, url: str, before: str) -> None:
        self._add(
            line,
            f"the link {_after(before)} goes to '{url[:80]}', which is not a web, email or telephone address",
            "right-click the link > Edit Hyperlink and give "
            "an address starting https://, mailto: or tel:, or a place in this document; "
            "or remove the link (Remove Hyperlink) and keep the words",
        )

    def table_too_wide(self, line, before: str, columns: int) -> None:
        from ...limits import MAX_TABLE_COLUMNS

        self._add(
            line,
            f"the table {_after(before)} has {columns} columns, more than the "
            f"{MAX_TABLE_COLUMNS} that fit a page in any format (large print and braille "
            "included)",
            "split it into two or more tables, each repeating the first "
            "column, or turn it round so the many items are rows",
        )

    def alt_chunk(self, line, name: str, before: str) -> None:
        self._add(
            line,
            f"the document embeds another file ({name}) {_after(before)}, which "
            "Word merges only when it opens the document; its text was not read",
            "open the document in Word and save it again (Word then merges the embedded "
            "text into the document), or paste that text in directly",
        )

    def picture_without_alt(self, line, before: str) -> None:
        self._add(
            line,
            f"the picture {_after(before)} has no alt text",
            "right-click the picture > Edit Alt Text, and describe it, or tick 'Mark as decorative'",
        )

    def picture_linked(self, line, before: str) -> None:
        self._add(
            line,
            f"the picture {_after(before)} is linked to a file outside the "
            f"document instead of being inserted in it",
            "delete it and insert the picture itself with Insert > Pictures > This Device",
        )

    def picture_unusable(self, line, before: str, detail: str) -> None:
        self._add(
            line,
            f"the picture {_after(before)} is in a format the accessible formats cannot show ({detail})",
            "right-click the picture > Save as Picture... > PNG, then use "
            "Insert > Pictures to put the PNG in its place",
        )

    def table_without_header(self, line, before: str) -> None:
        self._add(
            line,
            f"the table {_after(before)} has no header row",
            "click in the table's first row, then Table Design > tick 'Header Row', "
            "and Layout > Repeat Header Rows",
        )

    def heading_too_deep(self, item) -> None:
        text = first_words(inline_text(item.inlines))
        self._add(
            item.line,
            f"the heading '{text}' uses Heading {item.level}, but the "
            f"accessible formats have six heading levels",
            "use Heading 6 or a higher level for it (Home > Styles)",
        )

    def bold_paragraph(self, item) -> None:
        text = inline_text(item.inlines).strip()
        if (
            len(text.split()) <= _HEADING_LIKE_MAX_WORDS
            and len(text) <= _HEADING_LIKE_MAX_CHARS
            and "\n" not in text
            and re.search(r"[^\W\d_]", text)
            and not re.search(r"[.!?:;,]$", text)
        ):
            self._bold_paragraphs.append(item)

    # ---------------------------------------------------------------- after reading

    def finish(self, doc: Document, title_sources: tuple[str, ...]) -> None:
        headings = document_headings(doc)
        self._check_bold_paragraphs(headings)
        self._check_heading_levels(headings)
        if not doc.meta.title.strip():
            self._add(
                None,
                "the document has no title",
                "type the title at the top of the document in the Title style "
                "(Home > Styles > Title), or fill in File > Info > Properties > Title",
            )
        self.problems.sort(key=lambda problem: problem.line or 0)

    def _check_bold_paragraphs(self, headings: list[Heading]) -> None:
        for item in self._bold_paragraphs:
            above = [
                h for h in headings if h.line is not None and item.line is not None and h.line < item.line
            ]
            level = min(above[-1].level + 1, 6) if above else 1
            self._add(
                item.line,
                f"the paragraph '{first_words(inline_text(item.inlines))}' looks like a "
                f"heading (bold text on a line of its own) but uses the "
                f"{_style_display(item.style_name)} style",
                f"click in it and choose a heading style on Home > Styles (for example "
                f"Heading {level}), so screen reader users can find it; if it is not a "
                f"heading, remove the bold",
            )

    def _check_heading_levels(self, headings: list[Heading]) -> None:
        previous: Heading | None = None
        for heading in headings:
            text = first_words(inline_text(heading.inlines))
            if previous is None and heading.level > 1:
                self._add(
                    heading.line,
                    f"the first heading, '{text}', is Heading {heading.level}, so heading levels are skipped",
                    "make it Heading 1 (Home > Styles > Heading 1); the report's "
                    "own title uses the Title style",
                )
            elif previous is not None and heading.level > previous.level + 1:
                self._add(
                    heading.line,
                    f"the heading '{text}' is Heading {heading.level}, but the heading "
                    f"before it, '{first_words(inline_text(previous.inlines))}', is "
                    f"Heading {previous.level}, so a level is skipped",
                    f"make it Heading {previous.level + 1} (Home > Styles), or change "
                    f"the headings so that no level is skipped",
                )
            previous = heading
