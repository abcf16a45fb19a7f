"""What each Word style means for the model: heading level, title, quote, caption, list, code.

Styles are matched by their *name* (e.g. "heading 1"), never their id: a German Word calls the
id "berschrift1" but keeps the built-in name "heading 1". A custom style counts as what it is
based on ("My Heading" based on "heading 2" is a level-2 heading), as Word's navigation pane does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .xml import attr, child, on, q, val

_HEADING = re.compile(r"^heading (\d)$")
_QUOTE_NAMES = {"quote", "intense quote", "block text", "block quote"}
_CODE_CHAR_NAMES = {"verbatim char", "html code", "source code", "code", "html typewriter"}
_MONOSPACE_FONTS = {
    "courier new",
    "courier",
    "consolas",
    "menlo",
    "monaco",
    "lucida console",
    "source code pro",
    "dejavu sans mono",
    "liberation mono",
}
_CAPTION_NAMES = {"caption", "image caption", "table caption"}


@dataclass(frozen=True)
class ParagraphStyle:
    kind: str  # heading, title, subtitle, author, date, abstract, quote, caption,
    # definition-term, definition, normal
    level: int = 0  # heading level (may be 7..9: Word has them, the model does not)
    num_id: str | None = None  # numbering from the style itself (e.g. "List Number")
    ilvl: int = 0
    name: str = ""
    indent: int = 0  # the style's own left indent minus hanging, in twips


@dataclass(frozen=True)
class RunStyle:
    bold: bool | None = None
    italic: bool | None = None
    code: bool = False
    lang: str | None = None


class StyleSheet:
    def __init__(self, styles_element):
        self._by_id: dict[str, object] = {}
        self._default_para_id = None
        self._paragraph_cache: dict[str | None, ParagraphStyle] = {}
        if styles_element is None:
            return
        for style in styles_element.findall(q("w:style")):
            style_id = attr(style, "w:styleId")
            if style_id:
                self._by_id[style_id] = style
            if attr(style, "w:type") == "paragraph" and attr(style, "w:default") in ("1", "true"):
                self._default_para_id = style_id
        self.default_lang = val(styles_element, "w:docDefaults/w:rPrDefault/w:rPr/w:lang")

    default_lang: str | None = None

    def name(self, style_id: str | None) -> str:
        style = self._by_id.get(style_id or "")
        return (
            (val(style, "w:name") or style_id or "").strip().lower()
            if style is not None
            else (style_id or "").lower()
        )

    def _chain(self, style_id: str | None):
        """The style and the styles it is based on, nearest first (cycles cut)."""
        seen: set[str] = set()
        while style_id and style_id not in seen and style_id in self._by_id:
            seen.add(style_id)
            style = self._by_id[style_id]
            yield style
            style_id = val(style, "w:basedOn")

    def paragraph(self, style_id: str | None) -> ParagraphStyle:
        style_id = style_id or self._default_para_id
        if style_id not in self._paragraph_cache:
            self._paragraph_cache[style_id] = self._classify(style_id)
        return self._paragraph_cache[style_id]

    def _classify(self, style_id: str | None) -> ParagraphStyle:
        classified = self._classify_kind(style_id)
        return ParagraphStyle(
            classified.kind,
            classified.level,
            classified.num_id,
            classified.ilvl,
            classified.name,
            self._indent(style_id),
        )

    def _indent(self, style_id: str | None) -> int:
        for style in self._chain(style_id):
            ind = child(style, "w:pPr/w:ind")
            if ind is not None:
                return indent_twips(ind)
        return 0

    def _classify_kind(self, style_id: str | None) -> ParagraphStyle:
        num_id, ilvl = None, 0
        outline = None
        for style in self._chain(style_id):
            name = (val(style, "w:name") or "").strip().lower()
            if num_id is None:
                num_id = val(style, "w:pPr/w:numPr/w:numId")
                ilvl = int(val(style, "w:pPr/w:numPr/w:ilvl", "0") or 0)
            level = val(style, "w:pPr/w:outlineLvl") if outline is None else None
            if level is not None:
                outline = int(level)
            kind = self._kind_of_name(name)
            if kind is not None and not (kind[0] == "normal" and outline is not None):
                return ParagraphStyle(kind[0], kind[1], num_id, ilvl, name)
            if kind is not None:
                break
        if outline is not None and outline < 9:
            return ParagraphStyle("heading", outline + 1, num_id, ilvl, self.name(style_id))
        return ParagraphStyle("normal", 0, num_id, ilvl, self.name(style_id))

    @staticmethod
    def _kind_of_name(name: str) -> tuple[str, int] | None:
        match = _HEADING.match(name)
        if match:
            return ("heading", int(match.group(1)))
        if name in ("title", "subtitle", "author", "date", "abstract"):
            return (name, 0)
        if name in _QUOTE_NAMES:
            return ("quote", 0)
        if name in _CAPTION_NAMES:
            return ("caption", 0)
        if name == "definition term":
            return ("definition-term", 0)
        if name == "definition":
            return ("definition", 0)
        if name in ("normal", "list paragraph", "body text", "first paragraph", "compact"):
            return ("normal", 0)
        return None

    def run(self, style_id: str | None) -> RunStyle:
        """Bold, italic, code and language a character style gives its runs."""
        bold = italic = lang = None
        code = False
        for style in self._chain(style_id):
            name = (val(style, "w:name") or "").strip().lower()
            code = code or name in _CODE_CHAR_NAMES
            rpr = child(style, "w:rPr")
            bold = on(rpr, "w:b") if bold is None else bold
            italic = on(rpr, "w:i") if italic is None else italic
            lang = val(rpr, "w:lang") if lang is None else lang
            font = attr(child(rpr, "w:rFonts"), "w:ascii")
            code = code or (font or "").lower() in _MONOSPACE_FONTS
        return RunStyle(bold, italic, code, lang)


def is_monospace(font: str | None) -> bool:
    return (font or "").lower() in _MONOSPACE_FONTS


def indent_twips(ind) -> int:
    """Left (or start) indent minus hanging indent, in twips; 0 when unreadable."""
    left = attr(ind, "w:left") or attr(ind, "w:start") or "0"
    hanging = attr(ind, "w:hanging") or "0"
    try:
        return int(float(left)) - int(float(hanging))
    except ValueError:
        return 0
