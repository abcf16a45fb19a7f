"""ID3v2.3 tags: title, artist, album, year, language, comment; chapters as CTOC + CHAP in time order.

mutagen orders frames by "importance", then by size, when it writes a tag, so CHAP frames land
out of time order, and ffmpeg-based players list chapters in frame order. `TimeOrderedID3` writes
the other frames as mutagen would, then the table of contents, then the chapters by start time.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import langcodes
from mutagen.id3 import (CHAP, COMM, CTOC, ID3, TALB, TCON, TDRC, TIT2, TLAN, TLEN, TPE1, TRCK,
                         CTOCFlags)
from mutagen.id3._tags import save_frame   # mutagen's own frame serialiser (private, stable)

from ...document import Metadata

# mutagen's "importance" order for the frames it puts first.
_FIRST_FRAMES = ["TIT2", "TPE1", "TRCK", "TALB", "TPOS", "TDRC", "TCON"]
NO_OFFSET = 0xFFFFFFFF            # CHAP byte offsets "not used": times only


@dataclass(frozen=True)
class Chapter:
    title: str
    start_ms: int
    end_ms: int


class TimeOrderedID3(ID3):
    """An ID3 tag whose CTOC and CHAP frames are written after the others, chapters by time."""

    def _write(self, config):  # type: ignore[override]
        frames = list(self.values())
        chapters = sorted((f for f in frames if f.FrameID == "CHAP"),
                          key=lambda f: (f.start_time, f.element_id))
        tocs = [f for f in frames if f.FrameID == "CTOC"]
        others = sorted((f for f in frames if f.FrameID not in ("CHAP", "CTOC")),
                        key=lambda f: (_FIRST_FRAMES.index(f.FrameID)
                                       if f.FrameID in _FIRST_FRAMES else len(_FIRST_FRAMES),
                                       f.HashKey))
        return bytearray().join(save_frame(f, config=config) for f in others + tocs + chapters)


def iso639_2(language: str) -> str:
    """'en-GB' -> 'eng' (ID3 TLAN and COMM want ISO 639-2)."""
    try:
        return langcodes.Language.get(language).to_alpha3()
    except (LookupError, ValueError):
        return "eng"


def common_frames(meta: Metadata, duration_ms: int) -> list:
    language = iso639_2(meta.language)
    frames = [TIT2(encoding=1, text=[meta.title]),
              TALB(encoding=1, text=[meta.title]),
              TCON(encoding=1, text=["Speech"]),
              TLAN(encoding=1, text=[language]),
              TLEN(encoding=1, text=[str(duration_ms)])]
    artist = meta.publisher or ", ".join(meta.authors)
    if artist:
        frames.append(TPE1(encoding=1, text=[artist]))
    if meta.date[:4].isdigit():
        frames.append(TDRC(encoding=1, text=[meta.date[:4]]))
    comment = f"Audio version of {meta.title}, spoken by a synthetic voice."
    if meta.contact:
        comment += f" For this report in another format, contact {meta.contact}."
    frames.append(COMM(encoding=1, lang=language, desc="", text=[comment]))
    return frames


def write_book_tags(path: Path, meta: Metadata, chapters: list[Chapter], duration_ms: int) -> None:
    tag = TimeOrderedID3()
    for frame in common_frames(meta, duration_ms):
        tag.add(frame)
    ids = [f"chp{index}" for index in range(len(chapters))]
    tag.add(CTOC(element_id="toc", flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                 child_element_ids=ids, sub_frames=[TIT2(encoding=1, text=[meta.title])]))
    for element_id, chapter in zip(ids, chapters):
        tag.add(CHAP(element_id=element_id, start_time=chapter.start_ms, end_time=chapter.end_ms,
                     start_offset=NO_OFFSET, end_offset=NO_OFFSET,
                     sub_frames=[TIT2(encoding=1, text=[chapter.title])]))
    tag.save(str(path), v2_version=3)


def write_track_tags(path: Path, meta: Metadata, title: str, number: int, total: int,
                     duration_ms: int) -> None:
    tag = ID3()
    for frame in common_frames(meta, duration_ms):
        if frame.FrameID != "TIT2":
            tag.add(frame)
    tag.add(TIT2(encoding=1, text=[title]))
    tag.add(TRCK(encoding=1, text=[f"{number}/{total}"]))
    tag.save(str(path), v2_version=3)
