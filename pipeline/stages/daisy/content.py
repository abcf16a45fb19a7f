"""The text of a talking book, built from the narration so every sentence has the id its clip uses.

The narration's items are the reader's sentences in reading order (the source's words, tied to
their blocks); this module lays them out as headings, paragraphs and lists, one element per
reading unit, with an id on every sentence: on the element itself when the unit is one sentence,
on a span inside it otherwise. Printed page numbers from the PDF's page map go in before the
first sentence of their page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ...narration import NarratedSection, Narration, TimedItem
from ...stage_api import PageMap


@dataclass(frozen=True)
class Unit:
    """One element of the content document: a heading, a paragraph, a list item..."""

    items: tuple[TimedItem, ...]
    section: NarratedSection

    @property
    def first(self) -> TimedItem:
        return self.items[0]


def units(narration: Narration) -> list[Unit]:
    out: list[Unit] = []
    for section in narration.sections:
        current: list[TimedItem] = []
        for item in section.items:
            if item.unit_start and current:
                out.append(Unit(tuple(current), section))
                current = []
            current.append(item)
        if current:
            out.append(Unit(tuple(current), section))
    return out


def page_starts(page_map: PageMap | None, narration: Narration) -> dict[str, list[int]]:
    """Item id -> printed pages that start at it (the first item from a block on that page or
    after it)."""
    if page_map is None:
        return {}
    ordered = [item for section in narration.sections for item in section.items if item.block >= 0]
    starts: dict[str, list[int]] = {}
    for page in page_map.pages:
        target = next((item for item in ordered if item.block >= page.block_index), None)
        if target is not None:
            starts.setdefault(target.id, []).append(page.page)
    return starts


def tag_for(item: TimedItem) -> str:
    if item.kind == "title":
        return "h1"
    if item.kind == "heading":
        return f"h{min(max(item.level, 1), 6)}"
    if item.kind == "list-item":
        return "li"
    return "p"


def item_ids(narration: Narration) -> Iterable[str]:
    for section in narration.sections:
        for item in section.items:
            yield item.id
