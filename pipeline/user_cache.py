"""The user's cache folder for what the pipeline derives from installed tools and keeps between
runs (the Welsh braille read-back tables, a ready LibreOffice profile): XDG_CACHE_HOME, else
~/.cache. Not the temporary folder: during a build that is the running stage's own, removed when
the stage ends, so anything kept there was made again by every stage that needed it."""

from __future__ import annotations

import os
from pathlib import Path


def user_cache_folder(name: str) -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "accessible-formats" / name
