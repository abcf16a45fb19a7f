"""Word's list numbering: which paragraphs are bullets or numbers, and what number each shows.

A numbered paragraph names a numbering instance (w:numId) and a level (w:ilvl). Instances share an
abstract definition; Word keeps one counter per abstract definition, so a second instance of the
same definition continues the count ("continue numbering") unless it overrides the start
("restart numbering", w:lvlOverride/w:startOverride). A deeper level restarts after each item of a
shallower level.
"""

from __future__ import annotations

from dataclasses import dataclass

from .xml import attr, q, val


@dataclass(frozen=True)
class ListLevel:
    ordered: bool
    start: int


@dataclass(frozen=True)
class ListMark:
    """One list paragraph's place: which list (num_id), how deep, bullet or number, its number."""

    num_id: str
    level: int
    ordered: bool
    number: int


class Numbering:
    def __init__(self, numbering_element):
        self._abstract_levels: dict[str, dict[int, ListLevel]] = {}
        self._instances: dict[str, tuple[str, dict[int, int]]] = {}
        self._counters: dict[str, dict[int, int]] = {}
        self._restarted: set[tuple[str, int]] = set()
        if numbering_element is None:
            return
        for abstract in numbering_element.findall(q("w:abstractNum")):
            levels = {}
            for lvl in abstract.findall(q("w:lvl")):
                fmt = val(lvl, "w:numFmt", "decimal")
                levels[int(attr(lvl, "w:ilvl", "0"))] = ListLevel(
                    ordered=fmt not in ("bullet", "none"), start=int(val(lvl, "w:start", "1") or 1)
                )
            self._abstract_levels[attr(abstract, "w:abstractNumId")] = levels
        for num in numbering_element.findall(q("w:num")):
            overrides = {}
            for override in num.findall(q("w:lvlOverride")):
                start = val(override, "w:startOverride")
                if start is not None:
                    overrides[int(attr(override, "w:ilvl", "0"))] = int(start)
            self._instances[attr(num, "w:numId")] = (val(num, "w:abstractNumId"), overrides)

    def mark(self, num_id: str | None, level: int) -> ListMark | None:
        """Advance the counters for one list paragraph; None when it is not a list paragraph."""
        if not num_id or num_id == "0" or num_id not in self._instances:
            return None
        abstract_id, overrides = self._instances[num_id]
        levels = self._abstract_levels.get(abstract_id, {})
        definition = levels.get(level, ListLevel(ordered=False, start=1))
        counters = self._counters.setdefault(abstract_id, {})
        if level in overrides and (num_id, level) not in self._restarted:
            self._restarted.add((num_id, level))
            counters[level] = overrides[level]
        elif level in counters:
            counters[level] += 1
        else:
            counters[level] = definition.start
        for deeper in [key for key in counters if key > level]:
            del counters[deeper]
        return ListMark(num_id, level, definition.ordered, counters[level])
