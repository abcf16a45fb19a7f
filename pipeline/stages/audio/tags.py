"""ID3v2.3 tags: title, artist, album, year, language, comment; chapters as a nested CTOC tree
over CHAP frames in time order.

The tree follows the ID3v2 chapter addendum: a top-level, ordered CTOC lists the top-level
chapters (the opening and each top-level section); a chapter that has sections is followed in
its parent's list by a child CTOC (titled like the chapter) listing those sections, and so on
down the levels. Players that understand hierarchies show it; ffprobe and most players list the
CHAP frames flat, in stored order, which is time order here.

mutagen orders frames by "importance", then by size, when it writes a tag, so CHAP frames land
out of time order, and ffmpeg-based players list chapters in frame order. `TimeOrderedID3` writes
the other frames as mutagen would, then the table of contents, then the chapters by start time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import langcodes
from mutagen.id3 import CHAP, COMM, CTOC, ID3, TALB, TCON, TDRC, TIT2, TLAN, TLEN, TPE1, TRCK, CTOCFlags
from mutagen.id3._tags import save_frame  # mutagen's own frame serialiser (private, stable)

from ...document import Metadata
from ...i18n import words_for

# mutagen's "importance" order for the frames it puts first.
_FIRST_FRAMES = ["TIT2", "TPE1", "TRCK", "TALB", "TPOS", "TDRC", "TCON"]
NO_OFFSET = 0xFFFFFFFF  # CHAP byte offsets "not used": times only


@dataclass(frozen=True)
class Chapter:
    title: str
    start_ms: int
    end_ms: int
    depth: int = 1  # 1: top level; 2: a section of the chapter before it; ...


def chapter_tree(chapters: list[Chapter]) -> list[tuple[str, str, list[str]]]:
    """(CTOC element id, title, child element ids) for the top-level table of contents and for
    every chapter with sections, in tree order. Chapter i has element id "chp<i>"."""
    top: list[str] = []
    tocs: dict[int, list[str]] = {}
    stack: list[tuple[int, int]] = []  # (depth, chapter index) of the open ancestors
    for index, chapter in enumerate(chapters):
        while stack and stack[-1][0] >= chapter.depth:
            stack.pop()
        if stack:
            parent = stack[-1][1]
            if parent not in tocs:
                tocs[parent] = []
                siblings = tocs[stack[-2][1]] if len(stack) > 1 else top
                siblings.append(f"toc{parent}")
            tocs[parent].append(f"chp{index}")
        else:
            top.append(f"chp{index}")
        stack.append((chapter.depth, index))
    tree = [("toc", "", top)]
    tree += [(f"toc{parent}", chapters[parent].title, children) for parent, children in sorted(tocs.items())]
    return tree


class TimeOrderedID3(ID3):
    """An ID3 tag whose CTOC and CHAP frames are written after the others, chapters by time."""

    def _write(self, config):
        frames = list(self.values())
        chapters = sorted(
            (f for f in frames if f.FrameID == "CHAP"), key=lambda f: (f.start_time, f.element_id)
        )
        tocs = sorted(
            (f for f in frames if f.FrameID == "CTOC"),  # the top level first
            key=lambda f: (
                f.element_id != "toc",
                int(f.element_id[3:] or 0) if f.element_id[3:].isdigit() else 0,
            ),
        )
        others = sorted(
            (f for f in frames if f.FrameID not in ("CHAP", "CTOC")),
            key=lambda f: (
                _FIRST_FRAMES.index(f.FrameID) if f.FrameID in _FIRST_FRAMES else len(_FIRST_FRAMES),
                f.HashKey,
            ),
        )
        return bytearray().join(save_frame(f, config=config) for f in others + tocs + chapters)


def iso639_2(language: str) -> str:
    """'en-GB' -> 'eng' (ID3 TLAN and COMM want ISO 639-2)."""
    try:
        return langcodes.Language.get(language).to_alpha3()
    except (LookupError, ValueError):
        return "eng"


def common_frames(meta: Metadata, duration_ms: int) -> list:
    language = iso639_2(meta.language)
    frames = [
        TIT2(encoding=1, text=[meta.title]),
        TALB(encoding=1, text=[meta.title]),
        TCON(encoding=1, text=["Speech"]),
        TLAN(encoding=1, text=[language]),
        TLEN(encoding=1, text=[str(duration_ms)]),
    ]
    artist = meta.publisher or ", ".join(meta.authors)
    if artist:
        frames.append(TPE1(encoding=1, text=[artist]))
    if meta.date[:4].isdigit():
        frames.append(TDRC(encoding=1, text=[meta.date[:4]]))
    _ = words_for(meta.language)  # a player shows the comment: in the report's language
    comment = _("Audio version of {title}, spoken by a synthetic voice.", title=meta.title)
    if meta.contact:
        comment += " " + _("For this report in another format, contact {contact}.", contact=meta.contact)
    frames.append(COMM(encoding=1, lang=language, desc="", text=[comment]))
    return frames


def write_book_tags(path: Path, meta: Metadata, chapters: list[Chapter], duration_ms: int) -> None:
    tag = TimeOrderedID3()
    for frame in common_frames(meta, duration_ms):
        tag.add(frame)
    ids = [f"chp{index}" for index in range(len(chapters))]
    for element_id, title, children in chapter_tree(chapters):
        flags = CTOCFlags.ORDERED | (CTOCFlags.TOP_LEVEL if element_id == "toc" else 0)
        tag.add(
            CTOC(
                element_id=element_id,
                flags=flags,
                child_element_ids=children,
                sub_frames=[TIT2(encoding=1, text=[title or meta.title])],
            )
        )
    for element_id, chapter in zip(ids, chapters):
        tag.add(
            CHAP(
                element_id=element_id,
                start_time=chapter.start_ms,
                end_time=chapter.end_ms,
                start_offset=NO_OFFSET,
                end_offset=NO_OFFSET,
                sub_frames=[TIT2(encoding=1, text=[chapter.title])],
            )
        )
    tag.save(str(path), v2_version=3)


def write_track_tags(
    path: Path, meta: Metadata, title: str, number: int, total: int, duration_ms: int
) -> None:
    tag = ID3()
    for frame in common_frames(meta, duration_ms):
        if frame.FrameID != "TIT2":
            tag.add(frame)
    tag.add(TIT2(encoding=1, text=[title]))
    tag.add(TRCK(encoding=1, text=[f"{number}/{total}"]))
    tag.save(str(path), v2_version=3)
