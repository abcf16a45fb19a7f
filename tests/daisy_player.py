"""Drive Debian's daisy-player headless: a real DAISY player opening our book (TOOLING.md "DAISY").

daisy-player insists on a sound card: it reads /proc/asound/cards (absent in a container), so an
LD_PRELOAD library built here with gcc hands it /dev/null for that one path; ALSA's default
device becomes a `file` plugin over the `null` device, piping each stream it plays into its own
WAV file. It runs inside a detached tmux session (it is a curses program); the screen is read with
`tmux capture-pane`. Nothing here is committed as a binary: the shim is compiled per session.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

SHIM_C = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
static FILE *(*real_fopen)(const char *, const char *);
FILE *fopen(const char *path, const char *mode) {
    if (!real_fopen) real_fopen = dlsym(RTLD_NEXT, "fopen");
    if (path && strcmp(path, "/proc/asound/cards") == 0) return real_fopen("/dev/null", mode);
    return real_fopen(path, mode);
}
FILE *fopen64(const char *path, const char *mode) { return fopen(path, mode); }
"""

ALSA_CONF = """pcm.!default {{
    type file
    slave.pcm "null"
    file "|{recorder}"
    format "wav"
}}
"""

RECORDER = """#!/bin/sh
exec cat > "{clips}/clip-$(date +%s%N)-$$.wav"
"""


def missing_tools() -> list[str]:
    return [tool for tool in ("daisy-player", "tmux", "gcc") if shutil.which(tool) is None]


@dataclass
class Player:
    work: Path
    session: str

    @property
    def clips(self) -> Path:
        return self.work / "clips"

    def screen(self) -> str:
        return subprocess.run(
            ["tmux", "capture-pane", "-p", "-t", self.session], capture_output=True, text=True, timeout=10
        ).stdout

    def keys(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.session, *keys], check=True, timeout=10)

    def wait_for(self, text: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.3)
        raise AssertionError(f"daisy-player never showed {text!r}; screen:\n{self.screen()}")

    def played_seconds(self) -> list[float]:
        """Durations of the streams played, in order (a piped WAV has no length in its header:
        the size says it)."""
        out = []
        for path in sorted(self.clips.glob("clip-*.wav"), key=lambda p: int(p.stem.split("-")[1])):
            data = path.read_bytes()
            if len(data) < 44:
                continue
            channels = int.from_bytes(data[22:24], "little")
            rate = int.from_bytes(data[24:28], "little")
            width = int.from_bytes(data[34:36], "little") // 8
            out.append((len(data) - 44) / (rate * channels * width))
        return out

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.session], capture_output=True, timeout=10)


def open_book(book: Path, work: Path) -> Player:
    """Start daisy-player on `book` (a folder with ncc.html) in a tmux session of its own."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "shim.c").write_text(SHIM_C)
    subprocess.run(
        ["gcc", "-shared", "-fPIC", "-O2", "-o", str(work / "shim.so"), str(work / "shim.c"), "-ldl"],
        check=True,
        timeout=60,
    )
    (work / "clips").mkdir(exist_ok=True)
    recorder = work / "record.sh"
    recorder.write_text(RECORDER.format(clips=work / "clips"))
    recorder.chmod(0o755)
    (work / "asound.conf").write_text(ALSA_CONF.format(recorder=recorder))
    session = f"daisy-test-{work.name}-{time.monotonic_ns()}"
    command = (
        f"env LD_PRELOAD={work / 'shim.so'} "
        f"ALSA_CONFIG_PATH=/usr/share/alsa/alsa.conf:{work / 'asound.conf'} "
        f"HOME={work} daisy-player {book} -i -T -d default:alsa 2>{work / 'stderr.txt'}; "
        f"echo PLAYER-EXITED $?; sleep 120"
    )
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", "110", "-y", "60", command], check=True, timeout=10
    )
    return Player(work, session)


def listed_items(screen: str) -> list[tuple[int, str]]:
    """(level, title) of each line of daisy-player's navigation list: it indents three spaces
    per level and pads titles with dots."""
    items = []
    for line in screen.splitlines()[2:]:
        if not line.strip() or "PLAYER-EXITED" in line:
            continue
        indent = len(line) - len(line.lstrip(" "))
        title = line.strip().split(" . ")[0].split("  ")[0].strip().rstrip(" .")
        items.append((1 + (indent - 2) // 3, title))
    return items
