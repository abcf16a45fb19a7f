"""Runs of text with their formatting -> the model's nested inlines.

The paragraph walker (body.py) flattens Word's runs into Pieces, each carrying its formatting and
the link it sits in; `build_inlines` regroups equal neighbours into Link > Span > Strong >
Emphasis > Text, so "bold, then bold italic" becomes Strong[Text, Emphasis[Text]] as an author
would expect, and adjacent runs split only by Word's spell-checker marks join again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from ...document import Code, Emphasis, Inline, LineBreak, Link, NoteRef, Span, Strong, Text


@dataclass(frozen=True)
class Piece:
    text: str = ""
    kind: str = "text"  # text, break, note, code
    bold: bool = False
    italic: bool = False
    lang: str | None = None  # only when it differs from the document's language
    link: str | None = None
    note: NoteRef | None = None


def build_inlines(pieces: list[Piece]) -> tuple[Inline, ...]:
    return tuple(_group_links(_trim(pieces)))


def _trim(pieces: list[Piece]) -> list[Piece]:
    """Drop leading/trailing spaces and breaks of a paragraph; collapse runs of spaces."""
    pieces = [p for p in pieces if p.kind != "text" or p.text]
    while pieces and (pieces[0].kind == "break" or (pieces[0].kind == "text" and not pieces[0].text.strip())):
        pieces.pop(0)
    while pieces and (
        pieces[-1].kind == "break" or (pieces[-1].kind == "text" and not pieces[-1].text.strip())
    ):
        pieces.pop()
    if pieces and pieces[0].kind == "text":
        pieces[0] = replace(pieces[0], text=pieces[0].text.lstrip())
    if pieces and pieces[-1].kind == "text":
        pieces[-1] = replace(pieces[-1], text=pieces[-1].text.rstrip())
    return pieces


Key = TypeVar("Key")


def _runs_of(pieces: list[Piece], key: Callable[[Piece], Key]) -> list[tuple[Key, list[Piece]]]:
    groups: list[tuple[Key, list[Piece]]] = []
    for piece in pieces:
        value = key(piece)
        if groups and groups[-1][0] == value:
            groups[-1][1].append(piece)
        else:
            groups.append((value, [piece]))
    return groups


def _group_links(pieces: list[Piece]) -> list[Inline]:
    out: list[Inline] = []
    for url, group in _runs_of(pieces, lambda p: p.link):
        inner = _group_langs(group)
        out.extend([Link(url, tuple(inner))] if url else inner)
    return out


def _group_langs(pieces: list[Piece]) -> list[Inline]:
    out: list[Inline] = []
    for lang, group in _runs_of(pieces, lambda p: p.lang):
        inner = _group_strong(group)
        out.extend([Span(tuple(inner), lang)] if lang else inner)
    return out


def _group_strong(pieces: list[Piece]) -> list[Inline]:
    out: list[Inline] = []
    for bold, group in _runs_of(pieces, _bold_or_neutral(pieces)):
        inner = _group_emphasis(group)
        out.extend([Strong(tuple(inner))] if bold else inner)
    return out


def _bold_or_neutral(pieces: list[Piece]):
    """Spaces between two bold runs count as bold, so 'bold, space, bold' is one Strong."""
    flags = [p.bold for p in pieces]
    for index, piece in enumerate(pieces):
        if piece.kind == "text" and not piece.text.strip() and not piece.bold:
            before = flags[index - 1] if index else False
            after = flags[index + 1] if index + 1 < len(flags) else False
            flags[index] = before and after
    lookup = {id(p): f for p, f in zip(pieces, flags)}
    return lambda p: lookup[id(p)]


def _group_emphasis(pieces: list[Piece]) -> list[Inline]:
    out: list[Inline] = []
    for italic, group in _runs_of(pieces, lambda p: p.italic):
        inner = _leaves(group)
        out.extend([Emphasis(tuple(inner))] if italic else inner)
    return out


def _leaves(pieces: list[Piece]) -> list[Inline]:
    out: list[Inline] = []
    for piece in pieces:
        if piece.kind == "break":
            out.append(LineBreak())
        elif piece.kind == "note" and piece.note is not None:
            out.append(piece.note)
        elif piece.kind == "code":
            if out and isinstance(out[-1], Code):
                out[-1] = Code(out[-1].text + piece.text)
            else:
                out.append(Code(piece.text))
        elif out and isinstance(out[-1], Text):
            out[-1] = Text(out[-1].text + piece.text)
        else:
            out.append(Text(piece.text))
    return out
