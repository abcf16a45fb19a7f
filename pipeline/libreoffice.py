"""LibreOffice laying a Word document out as PDF: shared by the Word stages (page numbers for
the contents, figures fitted to their pages) and the site's Word previews.

Each run gets a user profile of its own (LibreOffice cannot share one between concurrent runs,
and one left locked makes soffice exit silently). Two things make a run cheap:

- The profile is copied from one a finished run made, kept in the user's cache folder
  (`ProfileTemplate`), so LibreOffice does not build it again: about 0.2 s a run here.
- The profile says this LibreOffice version has run before (`ooSetupLastVersion`). Without it
  LibreOffice counts every start as the first after an upgrade and runs its graphics render
  tests (writing GraphicsRenderTests.log), which took about 1 s of every 1.7 s run here. A
  headless run never records the version itself: that is done by the start centre's "what's
  new" bar, which a headless run never shows.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from .user_cache import user_cache_folder

SETTINGS_FILE = "registrymodifications.xcu"
_SETTINGS_END = "</oor:items>"
_EMPTY_SETTINGS = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
    'xmlns:xs="http://www.w3.org/2001/XMLSchema" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n' + _SETTINGS_END + "\n"
)
_LOCKS = shutil.ignore_patterns(".lock", ".~lock*", "*.log")


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@functools.lru_cache(maxsize=1)
def installed_version() -> str | None:
    """'7.4', as LibreOffice compares versions."""
    return _shipped_default("ooSetupVersion")


def _shipped_default(name: str) -> str | None:
    """A setting from the defaults LibreOffice ships beside its program (no start needed)."""
    program = soffice()
    if program is None:
        return None
    defaults = Path(program).resolve().parent.parent / "share" / "registry" / "main.xcd"
    try:
        text = _read_defaults(defaults)
    except OSError:
        return None
    found = re.search(rf'<prop oor:name="{name}">\s*<value>([0-9.]+)</value>', text)
    return found.group(1) if found else None


@functools.lru_cache(maxsize=1)
def _read_defaults(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


@functools.lru_cache(maxsize=1)
def installed_build() -> str | None:
    """'7.4.7.2': which LibreOffice a kept profile was made by."""
    return _shipped_default("ooSetupVersionAboutBox")


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
    """A profile a finished run made, kept in the user's cache folder for this LibreOffice
    build and copied for every later run, in this process or any other: each build is a new
    process, and a template kept only in memory was made again by the first layout of each."""

    def folder(self) -> Path | None:
        build = installed_build()
        return user_cache_folder("libreoffice") / build / "profile" if build else None

    def fill(self, profile: Path) -> None:
        """Copy the template (if there is one yet) into `profile`, an empty folder."""
        template = self.folder()
        if template is None or not (template / "user").is_dir():
            return
        try:
            shutil.copytree(template, profile, dirs_exist_ok=True, ignore=_LOCKS)
        except OSError:  # half gone or unreadable: this run makes its own profile
            shutil.rmtree(profile, ignore_errors=True)
            profile.mkdir(exist_ok=True)

    def keep(self, profile: Path) -> None:
        """After a successful run: its profile becomes the template, if there is none yet. It
        is copied beside the template's place and renamed into it, so a run in another process
        never copies half a template; when two runs race, the first rename wins. A template
        folder left empty (its files cleared away) is filled again: renaming onto an empty
        folder replaces it."""
        template = self.folder()
        if template is None or (template / "user").is_dir() or not (profile / "user").is_dir():
            return
        try:
            template.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix="profile-", dir=template.parent))
        except OSError:
            return  # a cache this user cannot write: every run makes its own profile
        try:
            shutil.copytree(profile, staging, dirs_exist_ok=True, ignore=_LOCKS)
            os.rename(staging, template)
        except OSError:  # another run's template got there first
            shutil.rmtree(staging, ignore_errors=True)


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
