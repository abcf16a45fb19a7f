"""Inline content -> w:r / w:hyperlink elements.

Inlines are flattened with the shared `reading.runs_of`, so emphasis, language and links reach the
text the same way in every format; here each Run becomes a Word run with its properties.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import groupby

from docx.opc.constants import RELATIONSHIP_TYPE
from docx.opc.part import Part
from lxml import etree

from ... import reading
from .layout import MONOSPACE_FAMILY, Layout
from .ooxml import el, run_properties, text_run, w, word_language
from .styles import FOOTNOTE_REFERENCE, HYPERLINK

NoteWriter = Callable[[int], int]  # model note number -> Word footnote id


@dataclass(frozen=True)
class RunStyle:
    """Run properties coming from the block around the text (a header cell is bold)."""

    bold: bool = False


class RunWriter:
    def __init__(
        self, layout: Layout, language: str, style_ids: dict[str, str], bookmark_name: Callable[[str], str]
    ):
        self.layout = layout
        self.language = language
        self.style_ids = style_ids
        self.bookmark_name = bookmark_name

    def runs(
        self, runs: reading.Runs, part: Part, notes: NoteWriter | None, base: RunStyle = RunStyle()
    ) -> list[etree._Element]:
        """Elements for a run sequence; consecutive runs of one link share a w:hyperlink."""
        out: list[etree._Element] = []
        for link, grouped in groupby(runs, key=lambda run: run.link):
            group = list(grouped)
            elements = [e for run in group for e in self._run(run, notes, base)]
            if link is None:
                out.extend(elements)
            else:
                out.append(self._hyperlink(link, part, elements))
                address = self._printed_address(link, "".join(run.text for run in group))
                if address:
                    out.append(text_run(f" ({address})"))
        return out

    def _printed_address(self, url: str, words: str) -> str:
        """The address printed after a link on paper (large print by default), unless the
        link's words already are the address, or it leads inside the document."""
        if not self.layout.link_addresses or url.startswith("#"):
            return ""
        address = url.removeprefix("mailto:").removeprefix("tel:")
        return "" if " ".join(words.split()) in (address, url) else address

    def _hyperlink(self, url: str, part: Part, children: list[etree._Element]) -> etree._Element:
        if url.startswith("#"):
            link = w("hyperlink", anchor=self.bookmark_name(url[1:]), history=1)
        else:
            r_id = part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
            link = el("w:hyperlink", {"r:id": r_id, "w:history": "1"})
        for child in children:
            link.append(child)
        return link

    def properties(self, run: reading.Run, base: RunStyle) -> etree._Element:
        large = self.layout.large_print
        # Large print: emphasis is bold only (UKAAF); italic is hard to read at any size.
        bold = True if (run.strong or base.bold or (run.emphasis and large)) else None
        italic = True if (run.emphasis and not large) else None
        lang = word_language(run.lang) if run.lang else ""
        if lang == self.language:
            lang = ""
        return run_properties(
            style=self.style_ids[HYPERLINK] if run.link else "",
            font=MONOSPACE_FAMILY if run.code else "",
            bold=bold,
            italic=italic,
            lang=lang,
        )

    def _run(self, run: reading.Run, notes: NoteWriter | None, base: RunStyle) -> list[etree._Element]:
        if run.note is not None:
            return self._note_reference(run.note, notes)
        out: list[etree._Element] = []
        for index, piece in enumerate(run.text.split("\n")):
            if index:
                out.append(el("w:r", None, self.properties(run, base), w("br")))
            if piece:
                out.append(text_run(_visible(piece), self.properties(run, base)))
        return out

    def _note_reference(self, number: int, notes: NoteWriter | None) -> list[etree._Element]:
        if notes is None:  # a reference inside a note or contents entry: number only
            return [text_run(f"[{number}]")]
        note_id = notes(number)
        reference = el(
            "w:r",
            None,
            run_properties(style=self.style_ids[FOOTNOTE_REFERENCE]),
            w("footnoteReference", id=note_id),
        )
        if self.layout.large_print:
            # A full-size number in brackets instead of a small superscript.
            return [text_run("["), reference, text_run("]")]
        return [reference]

    def note_mark(self) -> list[etree._Element]:
        """The number at the start of a footnote's text (Word fills in the reference's number)."""
        mark = el("w:r", None, run_properties(style=self.style_ids[FOOTNOTE_REFERENCE]), w("footnoteRef"))
        # No brackets here: LibreOffice replaces footnoteRef with its own number, which would
        # leave "[]" behind; the note's number at full size (large print) is enough.
        return [mark, text_run(" ")]


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _visible(text: str) -> str:
    """XML 1.0 cannot hold control characters; a tab in text is shown as a space."""
    return _CONTROL.sub("", text.replace("\t", " "))
