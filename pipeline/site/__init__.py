"""`make site`: outputs/site/, a static, accessible web site made from the manifests and the
outputs (never by rebuilding a format), that staff can upload anywhere.

    outputs/site/index.html                      every report: title, date, language, cover
    outputs/site/site.css
    outputs/site/<slug>/index.html               the accessible-versions page
    outputs/site/<slug>/build-report.html        the build report for staff
    outputs/site/<slug>/files/...                the outputs, hard-linked (copied across disks)
    outputs/site/<slug>/previews/...             page images and their record (previews.json)

Like the stages it is incremental: previews are reused while their input files' hashes are
unchanged, a download is relinked only when its output was replaced, and a page is written only
when its bytes change. `SiteResult` says what was done, so tests assert on work, not time.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..i18n import primary_language
from .css import SITE_CSS
from .facts import ReportFacts, find_reports, read_report
from .offer import request_address
from .pages import (
    BUILD_PAGE,
    CSS_NAME,
    FILES_FOLDER,
    PREVIEWS_FOLDER,
    VERSIONS_PAGE,
    FixHint,
    IndexEntry,
    build_page,
    index_page,
    versions_page,
    write_if_changed,
)
from .previews import PreviewRun, update_previews

__all__ = ["SiteResult", "build_site", "request_address"]

SITE_MARKER = ".accessible-formats-site"  # marks folders this code may clean up


@dataclass
class SiteResult:
    site_dir: Path
    reports: list[str] = field(default_factory=list)
    previews: PreviewRun = field(default_factory=PreviewRun)
    pages_written: list[str] = field(default_factory=list)
    pages_unchanged: list[str] = field(default_factory=list)
    files_linked: list[str] = field(default_factory=list)
    files_unchanged: int = 0
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "site": str(self.site_dir),
            "reports": self.reports,
            "previews": {
                "rendered": self.previews.rendered,
                "reused": self.previews.reused,
                "failed": self.previews.failed,
            },
            "pages": {"written": self.pages_written, "unchanged": self.pages_unchanged},
            "files": {"linked": self.files_linked, "unchanged": self.files_unchanged},
            "warnings": self.warnings,
        }


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def build_site(
    outputs: Path = Path("outputs"),
    site_dir: Path | None = None,
    *,
    address: str | None = None,
    language: str | None = None,
) -> SiteResult:
    """Make or update the site for every report built in `outputs`."""
    site_dir = site_dir or outputs / "site"
    site_dir.mkdir(parents=True, exist_ok=True)
    (site_dir / SITE_MARKER).touch()
    result = SiteResult(site_dir)
    address = request_address(address)
    if not address:
        result.warnings.append(
            "no request address: set ACCESSIBLE_FORMATS_FROM or give "
            "--request-address, so readers know where to ask"
        )
    reports = []
    for folder in find_reports(outputs):
        if folder.resolve() == site_dir.resolve():
            continue
        try:
            reports.append(read_report(folder))
        except Exception as error:  # one unreadable report never stops the others
            result.warnings.append(
                f"{folder.name}: left out of the site, its manifest or "
                f"outputs could not be read ({type(error).__name__}: {error})"
            )
    entries = []
    for report in reports:
        result.reports.append(report.slug)
        entries.append(_report_site(report, site_dir / report.slug, address, result))
    _remove_gone_reports(site_dir, {r.slug for r in reports})
    site_language = language or _common_language(reports)
    _write(site_dir / CSS_NAME, SITE_CSS.encode("utf-8"), result, site_dir)
    _write(site_dir / VERSIONS_PAGE, index_page(entries, site_language), result, site_dir)
    for warning in result.warnings:
        say(f"site: warning: {warning}")
    say(
        f"site: {len(reports)} report(s); previews rendered {len(result.previews.rendered)}, "
        f"reused {len(result.previews.reused)}; pages written {len(result.pages_written)}, "
        f"unchanged {len(result.pages_unchanged)}; files linked {len(result.files_linked)}, "
        f"unchanged {result.files_unchanged} -> {site_dir}/{VERSIONS_PAGE}"
    )
    return result


def _report_site(report: ReportFacts, folder: Path, address: str, result: SiteResult) -> IndexEntry:
    folder.mkdir(parents=True, exist_ok=True)
    _link_files(report, folder / FILES_FOLDER, result)
    previews = update_previews(report, folder / PREVIEWS_FOLDER, result.previews)
    for label, error in result.previews.failed.items():
        if label.startswith(f"{report.slug}/"):
            result.warnings.append(f"{label}: {error}")
    for name, facts in report.formats.items():
        if not facts.offered:
            why = facts.error or facts.unreadable or "checks failed or files changed"
            result.warnings.append(f"{report.slug}: {name} is not offered to readers ({why})")
    titles = _section_titles(report)
    _write(folder / VERSIONS_PAGE, versions_page(report, address, titles), result, folder.parent)
    _write(folder / BUILD_PAGE, build_page(report, previews, fix_hints(report)), result, folder.parent)
    cover = previews.get("cover", {}).get("files") or []
    return IndexEntry(report, f"{report.slug}/{PREVIEWS_FOLDER}/{cover[0]}" if cover else None)


def _write(path: Path, data: bytes, result: SiteResult, root: Path) -> None:
    label = path.relative_to(root).as_posix()
    (result.pages_written if write_if_changed(path, data) else result.pages_unchanged).append(label)


# ---------------------------------------------------------------- downloads


def _link_files(report: ReportFacts, folder: Path, result: SiteResult) -> None:
    """Every offered format's files under files/, hard-linked (no copy, no extra disk) or
    copied when outputs and site are on different file systems; others are removed."""
    wanted: set[Path] = set()
    for facts in report.formats.values():
        if not facts.offered:
            continue
        for record in facts.files:
            source = report.out_dir / record.path
            target = folder / record.path
            wanted.add(target)
            if _same_file(source, target):
                result.files_unchanged += 1
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            temp = target.with_name(f".{target.name}.tmp")
            temp.unlink(missing_ok=True)
            try:
                os.link(source, temp)
            except OSError:
                shutil.copy2(source, temp)  # keeps the time _same_file compares
            os.replace(temp, target)
            result.files_linked.append(f"{report.slug}/{record.path}")
    if folder.is_dir():
        for path in sorted(folder.rglob("*"), reverse=True):
            if path.is_file() and path not in wanted:
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()


def _same_file(source: Path, target: Path) -> bool:
    """The site copy is this output: the same inode (a hard link), or a copy of equal size and
    modification time (a copy across file systems keeps the time: see copystat below)."""
    try:
        if os.path.samefile(source, target):
            return True
        a, b = source.stat(), target.stat()
    except OSError:
        return False
    return a.st_size == b.st_size and a.st_mtime_ns == b.st_mtime_ns


def _section_titles(report: ReportFacts) -> dict[str, str]:
    """Section file name -> its title, from the audio's M3U playlist (#EXTINF:secs,title)."""
    facts = report.formats.get("audio")
    titles: dict[str, str] = {}
    if facts is None or not facts.intact:
        return titles
    for record in facts.files:
        if not record.path.endswith(".m3u8"):
            continue
        pending = ""
        for line in (report.out_dir / record.path).read_text(encoding="utf-8").splitlines():
            if line.startswith("#EXTINF:"):
                pending = line.partition(",")[2].strip()
            elif line and not line.startswith("#"):
                titles[Path(line).name] = pending
                pending = ""
    return titles


# ---------------------------------------------------------------- where to fix a finding

QUOTED = re.compile(
    r"'([^']{4,120})'|\u2018([^\u2019]{4,120})\u2019|\"([^\"]{4,120})\""
    r"|\u201c([^\u201d]{4,120})\u201d"
)


def fix_hints(report: ReportFacts) -> dict[tuple[str, int], FixHint]:
    """For findings that quote a passage, the line of the source it is on (Markdown sources;
    a Word source has no lines, so the passage itself is the pointer)."""
    hints: dict[tuple[str, int], FixHint] = {}
    source = Path(report.source_path) if report.source_path else None
    lines: list[str] = []
    if source is not None and source.suffix == ".md" and source.is_file():
        lines = source.read_text(encoding="utf-8", errors="replace").splitlines()
    for name, facts in report.formats.items():
        for number, finding in enumerate(facts.findings):
            quote = _first_quote(finding.message)
            if not quote:
                continue
            line = next((i for i, text in enumerate(lines, 1) if quote.lower() in text.lower()), None)
            hints[(name, number)] = FixHint(line, quote)
    return hints


def _first_quote(message: str) -> str:
    match = QUOTED.search(message)
    return next((g for g in match.groups() if g), "") if match else ""


# ---------------------------------------------------------------- housekeeping


def _remove_gone_reports(site_dir: Path, slugs: set[str]) -> None:
    """A report no longer in outputs/ leaves the site (only folders the site made)."""
    for folder in site_dir.iterdir():
        if (
            folder.is_dir()
            and folder.name not in slugs
            and (folder / VERSIONS_PAGE).is_file()
            and (folder / BUILD_PAGE).is_file()
        ):
            shutil.rmtree(folder)


def _common_language(reports: list[ReportFacts]) -> str:
    """The index is in the reports' language when they share one, else British English."""
    languages = Counter(primary_language(r.meta.language) for r in reports)
    if len(languages) == 1:
        return reports[0].meta.language
    return "en-GB"
