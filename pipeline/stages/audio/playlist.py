"""The .m3u8 playlist of per-section files, for players that ignore ID3 chapters.

Extended M3U, UTF-8: `#EXTM3U`, then for each file `#EXTINF:<seconds>,<title>` and the file's
path relative to the playlist. Written by hand: the format is three kinds of line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Entry:
    seconds: int
    title: str
    location: str  # relative to the playlist


def write_playlist(path: Path, title: str, entries: list[Entry]) -> None:
    lines = ["#EXTM3U", f"#PLAYLIST:{title}"]
    for entry in entries:
        lines.append(f"#EXTINF:{entry.seconds},{entry.title}")
        lines.append(entry.location)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def read_playlist(path: Path) -> list[Entry]:
    """Entries of an extended M3U; raises ValueError naming the line when it is malformed."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or lines[0].strip() != "#EXTM3U":
        raise ValueError(f"{path.name} line 1: expected #EXTM3U")
    entries = []
    pending: tuple[int, str] | None = None
    for number, line in enumerate(lines[1:], start=2):
        line = line.strip()
        if line.startswith("#EXTINF:"):
            duration, _, title = line[len("#EXTINF:") :].partition(",")
            try:
                pending = (int(float(duration)), title.strip())
            except ValueError:
                raise ValueError(f"{path.name} line {number}: bad duration '{duration}'") from None
        elif line and not line.startswith("#"):
            if pending is None:
                raise ValueError(f"{path.name} line {number}: '{line}' has no #EXTINF before it")
            entries.append(Entry(pending[0], pending[1], line))
            pending = None
    return entries


def whole_seconds(seconds: float) -> int:
    return max(1, round(seconds))
