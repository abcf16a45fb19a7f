"""Footnotes and endnotes: both become the model's notes, numbered in order of first reference.

Word numbers footnotes and endnotes separately (1, 2... and i, ii...); the accessible formats have
one list of notes, so both kinds share one sequence, and ids are prefixed ("fn3", "en1") because
Word's footnote 3 and endnote 3 are different notes.
"""

from __future__ import annotations

from ...document import Block, Footnote, NoteRef
from .xml import attr, parse_part, q

_FOOTNOTES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes"
_ENDNOTES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/endnotes"
_SKIPPED_TYPES = {"separator", "continuationSeparator", "continuationNotice"}


class NoteStore:
    def __init__(self, document_part):
        self._parts = {}
        self._elements: dict[tuple[str, str], object] = {}
        for rel in document_part.rels.values():
            kind = {_FOOTNOTES: "footnote", _ENDNOTES: "endnote"}.get(rel.reltype)
            if kind is None or rel.is_external:
                continue
            part = rel.target_part
            self._parts[kind] = part
            root = parse_part(part.blob)
            for note in root.findall(q(f"w:{kind}")):
                if attr(note, "w:type") not in _SKIPPED_TYPES:
                    self._elements[(kind, attr(note, "w:id"))] = note
        self._refs: dict[tuple[str, str], NoteRef] = {}
        self._notes: list[Footnote] = []
        self.read_note = None  # set by the reader: (part, element, line) -> blocks

    def reference(self, kind: str, note_id: str | None, line: int | None) -> NoteRef | None:
        key = (kind, note_id or "")
        if key not in self._elements:
            return None
        if key in self._refs:
            return self._refs[key]
        ref = NoteRef(f"{'fn' if kind == 'footnote' else 'en'}{note_id}", len(self._refs) + 1)
        self._refs[key] = ref
        blocks: tuple[Block, ...] = tuple(self.read_note(self._parts[kind], self._elements[key], line))
        self._notes.append(Footnote(ref.note_id, ref.number, blocks))
        return ref

    def notes(self) -> tuple[Footnote, ...]:
        return tuple(sorted(self._notes, key=lambda note: note.number))
