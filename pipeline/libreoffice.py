"""LibreOffice laying a Word document out as PDF: shared by the Word stages (page numbers for
the contents, figures fitted to their pages) and the site's Word previews.

Each run gets a user profile of its own (LibreOffice cannot share one between concurrent runs,
and one left locked makes soffice exit silently). Two things make a run cheap:

- The profile is copied from one a finished run made (`ProfileTemplate`), so LibreOffice does
  not build it again: about 0.1-0.15 s a run here.
- The profile says this LibreOffice version has run before (`ooSetupLastVersion`). Without it
  LibreOffice counts every start as the first after an upgrade and runs its graphics render
  tests (writing GraphicsRenderTests.log), which took about 1 s of every 1.7 s run here. A
  headless run never records the version itself: that is done by the start centre's "what's
  new" bar, which a headless run never shows.
"""

from __future__ import annotations

import atexit
import functools
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

SETTINGS_FILE = "registrymodifications.xcu"
_SETTINGS_END = "</oor:items>"
_EMPTY_SETTINGS = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
    'xmlns:xs="http://www.w3.org/2001/XMLSchema" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n' + _SETTINGS_END + "\n"
)
# LibreOffice's version in the defaults it ships (share/registry/main.xcd), as it compares it.
_VERSION_IN_DEFAULTS = re.compile(r'<prop oor:name="ooSetupVersion">\s*<value>([0-9.]+)</value>')
_LOCKS = shutil.ignore_patterns(".lock", ".~lock*", "*.log")


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@functools.lru_cache(maxsize=1)
def installed_version() -> str | None:
    """'7.4': read from LibreOffice's shipped defaults, beside the program (no start needed)."""
    program = soffice()
    if program is None:
        return None
    defaults = Path(program).resolve().parent.parent / "share" / "registry" / "main.xcd"
    try:
        found = _VERSION_IN_DEFAULTS.search(defaults.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return None
    return found.group(1) if found else None


def seed_profile(profile: Path) -> None:
    """Record in the profile that this LibreOffice version has run (see the module's note).
    Any settings already there (a copied template's) are kept."""
    version = installed_version()
    if version is None:
        return  # an unusual installation: runs are slower, not wrong
    settings = profile / "user" / SETTINGS_FILE
    text = settings.read_text(encoding="utf-8") if settings.is_file() else _EMPTY_SETTINGS
    if '"ooSetupLastVersion"' in text or _SETTINGS_END not in text:
        return
    item = (
        '<item oor:path="/org.openoffice.Setup/Product"><prop oor:name="ooSetupLastVersion" '
        f'oor:op="fuse"><value>{escape(version)}</value></prop></item>\n'
    )
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(text.replace(_SETTINGS_END, item + _SETTINGS_END), encoding="utf-8")


class ProfileTemplate:
    """A profile made by the first run of this process, copied for every later one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._folder: Path | None = None

    def fill(self, profile: Path) -> None:
        """Copy the template (if there is one yet) into `profile`, an empty folder. The template
        lives in the temporary folder of the stage that made it, which the build removes when
        that stage is done; a later stage in the same worker process then makes its own."""
        with self._lock:
            if self._folder is None:
                return
            try:
                shutil.copytree(self._folder, profile, dirs_exist_ok=True, ignore=_LOCKS)
            except OSError:  # removed under us: the next successful run makes another
                self._folder = None
                shutil.rmtree(profile, ignore_errors=True)
                profile.mkdir(exist_ok=True)

    def keep(self, profile: Path) -> None:
        """After a successful run: its profile becomes the template, if there is none yet."""
        with self._lock:
            if self._folder is not None or not (profile / "user").is_dir():
                return
            folder = Path(tempfile.mkdtemp(prefix="lo-profile-template-"))
            shutil.copytree(profile, folder, dirs_exist_ok=True, ignore=_LOCKS)
            atexit.register(shutil.rmtree, folder, True)
            self._folder = folder


PROFILES = ProfileTemplate()


@dataclass(frozen=True)
class Layout:
    """What one run left: the PDF (None if LibreOffice wrote none) and what it printed."""

    pdf: Path | None
    stderr: str


class LayoutTimeout(Exception):
    pass


@contextmanager
def prepared_profile() -> Iterator[Path]:
    """A profile folder for one run: the template's copy, seeded; removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as folder:
        profile = Path(folder)
        PROFILES.fill(profile)
        seed_profile(profile)
        yield profile


def lay_out_as_pdf(program: str, document: Path, out_dir: Path, timeout: float) -> Layout:
    """LibreOffice's PDF of `document` in `out_dir`; LayoutTimeout if it takes too long."""
    with prepared_profile() as profile:
        try:
            # Absolute paths: the temporary folder is relative when the outputs folder is
            # ("outputs/..."), and LibreOffice waits forever on a "file://outputs/..." profile.
            done = subprocess.run(
                [
                    program,
                    f"-env:UserInstallation={profile.resolve().as_uri()}",
                    "--headless",
                    "--norestore",
                    "--convert-to",
                    "pdf",
                    "--outdir",
                    str(out_dir.resolve()),
                    str(document.resolve()),
                ],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise LayoutTimeout(
                f"LibreOffice took more than {timeout:g} s to lay out {document.name}"
            ) from None
        pdf = out_dir / f"{document.stem}.pdf"
        if not pdf.is_file():
            return Layout(None, done.stderr)
        PROFILES.keep(profile)
        return Layout(pdf, done.stderr)
