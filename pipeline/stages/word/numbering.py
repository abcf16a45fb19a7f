"""Real Word numbering for lists: one bullet and one decimal definition with nine levels, and a
fresh w:num per list so each numbered list starts where the source says (its own count).

Typed bullets ("• " in the text) would read as "bullet" to a screen reader and give no list
structure; w:numPr paragraphs are announced as list items with their level.
"""

from __future__ import annotations

from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from lxml import etree

from .layout import Layout
from .ooxml import run_properties, twips, w

# Solid markers at every level: a hollow "◦" is too faint for many low-vision readers (RNIB
# Clear Print asks for clear, solid bullets); nesting is shown by the indent instead.
BULLETS = ("•", "■", "▪")  # all in Arial, Verdana, Liberation Sans


class Numbering:
    def __init__(self, document: DocxDocument, layout: Layout):
        self.root: etree._Element = document.part.numbering_part.element
        self.layout = layout
        abstract_ids = [int(a.get(qn("w:abstractNumId"))) for a in self.root.findall(qn("w:abstractNum"))]
        num_ids = [int(n.get(qn("w:numId"))) for n in self.root.findall(qn("w:num"))]
        self._next_num_id = max(num_ids, default=0) + 1
        base = max(abstract_ids, default=-1) + 1
        self.bullet_abstract = self._add_abstract(base, ordered=False)
        self.ordered_abstract = self._add_abstract(base + 1, ordered=True)

    def indent(self, level: int) -> tuple[float, float]:
        """(left, hanging) in points for list level 0..8: room for "10." at the body size."""
        step = self.layout.body_size * 2
        return step * (level + 1), step

    def new_list(self, ordered: bool, level: int, start: int = 1) -> int:
        """A w:num for one list; an ordered list restarts at `start` on its level."""
        num_id = self._next_num_id
        self._next_num_id += 1
        num = w("num", numId=num_id)
        num.append(w("abstractNumId", val=self.ordered_abstract if ordered else self.bullet_abstract))
        if ordered:
            override = w("lvlOverride", ilvl=level)
            override.append(w("startOverride", val=start))
            num.append(override)
        cleanup = self.root.find(qn("w:numIdMacAtCleanup"))
        if cleanup is not None:
            cleanup.addprevious(num)
        else:
            self.root.append(num)
        return num_id

    def _add_abstract(self, abstract_id: int, ordered: bool) -> int:
        abstract = w("abstractNum", abstractNumId=abstract_id)
        abstract.append(w("multiLevelType", val="multilevel"))
        for level in range(9):
            left, hanging = self.indent(level)
            lvl = w("lvl", ilvl=level)
            lvl.append(w("start", val=1))
            lvl.append(w("numFmt", val="decimal" if ordered else "bullet"))
            lvl.append(w("lvlText", val=f"%{level + 1}." if ordered else BULLETS[level % 3]))
            lvl.append(w("lvlJc", val="left"))
            ppr = w("pPr")
            ppr.append(w("ind", left=twips(left), hanging=twips(hanging)))
            lvl.append(ppr)
            # The marker at the body size and font, so large print never shows a small bullet.
            lvl.append(
                run_properties(
                    font=self.layout.font_family, size=self.layout.body_size, bold=False, italic=False
                )
            )
            abstract.append(lvl)
        existing = self.root.findall(qn("w:abstractNum"))
        if existing:
            existing[-1].addnext(abstract)
        else:
            self.root.insert(0, abstract)
        return abstract_id


__all__ = ["Numbering"]
