"""What the site says about each format, in plain words and the report's language.

Known formats get their own wording (who it is for, how to open it, what each file is); any
other format in a manifest (a stage added later, such as `daisy`) is shown with generic wording,
so it appears on the site as soon as the build makes it. Every string is a gettext message id
(pipeline/i18n.py); `_` is `words_for(report language)`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.units import format_unit

from ..i18n import Words
from .facts import FormatFacts, OutputFile

# The order readers meet the formats on the accessible-versions page (the order the charity's
# own list uses); formats not named here follow in the manifest's order.
READER_ORDER = ("html", "pdf", "word", "large-print", "audio", "daisy", "epub", "braille")


@dataclass(frozen=True)
class FormatWords:
    label: str  # "Large print Word document (18 point)"
    who_for: str  # who it is for, in plain words
    how_to_open: str


def format_words(_: Words, facts: FormatFacts) -> FormatWords:
    name, options = facts.name, facts.options
    if name == "html":
        return FormatWords(
            _("Web page"),
            _(
                "For reading in any web browser, on a phone or a computer. It works with screen "
                "readers, zoom and dark mode, and needs nothing installed."
            ),
            _(
                "Open it in your web browser. It is one file, so you can save it and read it "
                "without an internet connection."
            ),
        )
    if name == "pdf":
        return FormatWords(
            _("Screen reader friendly PDF"),
            _(
                "For reading on screen with a screen reader or magnifier, or for printing. The PDF "
                "is tagged, so screen readers find its headings, image descriptions and tables."
            ),
            _("Open it with a PDF reader such as Adobe Acrobat Reader, or in your web browser."),
        )
    if name == "word":
        return FormatWords(
            _("Screen reader friendly Word document"),
            _(
                "For screen reader users, and for anyone who wants to change the text size, font "
                "or colours, or copy the text."
            ),
            _("Open it with Microsoft Word, LibreOffice Writer, Google Docs or Apple Pages."),
        )
    if name == "large-print":
        size = options.get("font_size", 18)
        return FormatWords(
            _("Large print Word document ({size} point)", size=size),
            _(
                "For people with low vision who read print: {size} point text with extra space "
                "between the lines. Print it on A4 paper or read it on screen.",
                size=size,
            ),
            _("Open it with Microsoft Word, LibreOffice Writer, Google Docs or Apple Pages."),
        )
    if name == "audio":
        return FormatWords(
            _("Audio (MP3)"),
            _(
                "For people who would rather listen. The whole report is read aloud by a computer "
                "voice, with a chapter for each section."
            ),
            _(
                "Play it on any phone, computer or MP3 player. Players that show chapters let you "
                "jump to a section. There is also a file for each section, with a playlist."
            ),
        )
    if name == "daisy":
        return FormatWords(
            _("DAISY talking book"),
            _(
                "For people who use a DAISY player or app: move by heading and listen to the "
                "report read aloud."
            ),
            _(
                "Open it with a DAISY player or app, such as Dolphin EasyReader or Thorium Reader. "
                "Some players need the file unzipped first."
            ),
        )
    if name == "epub":
        return FormatWords(
            _("EPUB e-book"),
            _(
                "For reading on an e-reader, phone or tablet. You can change the text size and "
                "colours, and many apps can read it aloud."
            ),
            _(
                "Open it with Apple Books, Google Play Books, Thorium Reader or a Kobo e-reader. "
                "For a Kindle, send it with Amazon's Send to Kindle."
            ),
        )
    if name == "braille":
        cells, lines = options.get("cells", 40), options.get("lines", 25)
        return FormatWords(
            _("Braille"),
            _(
                "For braille readers. The BRF file is for a braille display, a note-taker or an "
                "embosser; the PEF file is for embossers and braille software that read PEF."
            ),
            _(
                "Send the BRF file to your braille display or note-taker, or emboss it on paper "
                "of {cells} cells by {lines} lines.",
                cells=cells,
                lines=lines,
            ),
        )
    kind = _main_kind(facts)
    return FormatWords(
        _("{format} version", format=name.replace("-", " ").capitalize()),
        _("Another version of the report, in the {kind} format.", kind=kind),
        _("Download the file and open it with an app that reads {kind} files.", kind=kind),
    )


def _main_kind(facts: FormatFacts) -> str:
    files = facts.reader_files()
    suffix = PurePosixPath(files[0].path).suffix if files else ""
    return suffix.lstrip(".").upper() or facts.name


# The file a format is mainly downloaded as, listed first and sized on its own.
PRIMARY_SUFFIXES = {"audio": ".mp3", "braille": ".brf"}


def primary_first(facts: FormatFacts) -> list[OutputFile]:
    """The reader files of a format, its main file first, section files (in folders) last."""
    wanted = PRIMARY_SUFFIXES.get(facts.name, "")
    files = facts.reader_files()
    return sorted(files, key=lambda f: ("/" in f.path, not (wanted and f.path.endswith(wanted))))


def file_kind(record: OutputFile) -> str:
    """'MP3', 'PDF', 'BRF': what a file is, as people name it."""
    return PurePosixPath(record.path).suffix.lstrip(".").upper() or record.path


def file_label(_: Words, facts: FormatFacts, record: OutputFile, section_titles: dict[str, str]) -> str:
    """What one downloadable file is, in words (its kind and size are added beside it)."""
    path = PurePosixPath(record.path)
    suffix = path.suffix.lower()
    if facts.name == "audio":
        if suffix == ".mp3" and len(path.parts) == 1:
            return _("The whole report, with chapters")
        if suffix == ".mp3":
            title = section_titles.get(path.name)
            return _("Section: {title}", title=title) if title else _("Section file {name}", name=path.name)
        if suffix == ".m3u8":
            return _("Playlist of the section files")
        if suffix == ".txt":
            return _("The words the voice reads, as text")
    if suffix == ".brf":
        return _("Braille ready file")
    if suffix == ".pef":
        return _("Portable embosser file")
    return format_words(_, facts).label


def file_size(_: Words, size: int) -> str:
    """'5.4 MB', '124 kB' in the report's locale (decimal units, as file managers show)."""
    locale = _locale(_)
    if size >= 1_000_000:
        return format_unit(round(size / 1_000_000, 1), "digital-megabyte", length="short", locale=locale)
    return format_unit(max(1, round(size / 1000)), "digital-kilobyte", length="short", locale=locale)


def duration_words(_: Words, seconds: float) -> str:
    """'14 minutes 57 seconds', '1 hour 2 minutes' (CLDR's plural forms, Welsh mutations)."""
    locale = _locale(_)
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(format_unit(hours, "duration-hour", length="long", locale=locale))
    if minutes:
        parts.append(format_unit(minutes, "duration-minute", length="long", locale=locale))
    if secs and not hours:
        parts.append(format_unit(secs, "duration-second", length="long", locale=locale))
    return " ".join(parts) or format_unit(0, "duration-second", length="long", locale=locale)


def clock(seconds: float) -> str:
    """'0:29', '14:57', '1:02:03': how players show a time."""
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def language_name(_: Words, tag: str) -> str:
    """'English', 'Welsh' / 'Saesneg', 'Cymraeg': the language's name in the page's language."""
    try:
        return Locale.parse(tag.replace("-", "_").split("_")[0]).get_display_name(_locale(_)) or tag
    except (UnknownLocaleError, ValueError):
        return tag


def when_words(_: Words, timestamp: str) -> str:
    """A build time '2026-12-02T03:59:10Z' as '2 December 2026 at 03:59 UTC'."""
    try:
        moment = dt.datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return timestamp
    return _("{date} at {time} UTC", date=_.date(moment.date()), time=moment.strftime("%H:%M"))


def _locale(_: Words) -> Any:
    return _._locale or "en_GB"
