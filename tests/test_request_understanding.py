"""Request emails as people write them: 77 emails, each run through the whole service.

Each row is one email (English or Welsh, plain or HTML, quoted replies, negations, two formats,
an option, ambiguous reports, a year) with what it must produce: the report(s), the formats
and options, the files attached, the reply's language and words it must say. Every row is
parsed from real RFC 5322 bytes, understood, converted with the real stages of a small
library, and its reply (written to an outbox as an .eml) is read back. Audio is built only for
the few rows that ask for it (the report is a few sentences long).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from test_requests import READER, STAFF, US, make_message

from pipeline import stages
from pipeline.errors import StageUnavailable
from pipeline.requests.catalogue import load_catalogue
from pipeline.requests.ledger import Ledger
from pipeline.requests.parse import parse_bytes
from pipeline.requests.process import Processor, Settings
from pipeline.requests.reply import OutboxTransport, ReplySettings
from pipeline.requests.understand import understand

# ------------------------------------------------------------------ the library
# Six short reports: one whose aliases are generic ("annual review", "impact report"), a
# series with a title that shares one of those names, and two that share an alias.
REPORTS = {
    "doing-it-together": (
        "Doing It Together",
        "Kettle and Compass impact report 2023",
        "2024-03-15",
        ["annual review", "impact report", "2023 report"],
    ),
    "annual-review-2025": ("Annual Review 2025", "", "2025-06-01", []),
    "annual-review-2024": ("Annual Review 2024", "", "2024-06-01", []),
    "volunteering-with-us": ("Volunteering With Us", "", "2024-01-10", ["the guide"]),
    "reading-with-us": ("Reading With Us", "", "2024-02-10", ["the guide"]),
}
BODY = """# {title}

Every volunteer gave their time to readers across the country this year.

## Our work

We trained twelve groups and answered every letter within a week.
"""


def write_library(root: Path) -> Path:
    sources = root / "sources"
    for slug, (title, subtitle, date, aliases) in REPORTS.items():
        folder = sources / slug
        folder.mkdir(parents=True)
        front = [f"title: {title}", "author: Kettle and Compass", "language: en-GB", f"date: {date}"]
        if subtitle:
            front.append(f"subtitle: {subtitle}")
        if aliases:
            front.append(f"aliases: [{', '.join(aliases)}]")
        (folder / f"{slug}.md").write_text(
            "---\n" + "\n".join(front) + "\n---\n" + BODY.format(title=title), encoding="utf-8"
        )
    return sources


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    root = tmp_path_factory.mktemp("library")
    write_library(root)
    return root


def has_stage(name: str) -> bool:
    try:
        stages.get(name)
    except StageUnavailable:
        return False
    return True


# ------------------------------------------------------------------ the table

DIT, AR25, AR24, VOL, READ = (
    "doing-it-together",
    "annual-review-2025",
    "annual-review-2024",
    "volunteering-with-us",
    "reading-with-us",
)
G1, G2 = "en-ueb-g1.ctb", "en-ueb-g2.ctb"
COMP8 = "en-gb-comp8.ctb"


@dataclass(frozen=True)
class Row:
    id: str
    body: str = ""
    subject: str = "A request"
    html: str | None = None
    kind: str = "ok"
    reports: tuple[str, ...] = ()
    formats: tuple[tuple[str, dict], ...] = ()
    files: tuple[str, ...] = ()  # attachment names, in any order
    language: str = "en"
    says: tuple[str, ...] = ()  # words the reply's text must contain
    tracks: bool = False
    candidates: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)


def braille(slug):
    return (f"{slug}.brf", f"{slug}.pef")


ROWS = [
    # --- which report: title beats alias, no year means the newest, a year picks, ask if tied
    Row(
        "title-beats-alias-newest",
        "Could I have the annual review in braille?",
        reports=(AR25,),
        formats=(("braille", {}),),
        files=braille(AR25),
        says=("newest: Annual Review 2025",),
    ),
    Row(
        "year-named",
        "The annual review 2024 in braille please.",
        reports=(AR24,),
        formats=(("braille", {}),),
        files=braille(AR24),
    ),
    Row(
        "alias-with-year",
        "Could I have the 2023 report as a Word document?",
        reports=(DIT,),
        formats=(("word", {}),),
        files=(f"{DIT}.docx",),
    ),
    Row(
        "misspelt-with-year",
        "anual reveiw 2024 in braille",
        reports=(AR24,),
        formats=(("braille", {}),),
        files=braille(AR24),
    ),
    Row(
        "subtitle",
        "The Kettle and Compass impact report 2023 as a web page",
        reports=(DIT,),
        formats=(("html", {}),),
        files=(f"{DIT}.html",),
    ),
    Row(
        "shared-alias-asks",
        "Could I have the guide in braille?",
        kind="which-report",
        candidates=(VOL, READ),
        formats=(("braille", {}),),
        says=("More than one of our reports", "Volunteering With Us", "Reading With Us"),
    ),
    Row(
        "shared-alias-both",
        "The guide in braille, both of them please.",
        reports=(VOL, READ),
        formats=(("braille", {}),),
        files=braille(VOL) + braille(READ),
    ),
    Row(
        "two-reports",
        "Could I have the impact report and Annual Review 2024 in braille?",
        reports=(DIT, AR24),
        formats=(("braille", {}),),
        files=braille(DIT) + braille(AR24),
    ),
    Row(
        "the-report-asks",
        "Could I have the report in braille?",
        kind="which-report",
        candidates=(AR25, AR24, DIT, VOL, READ),
        formats=(("braille", {}),),
        says=("More than one of our reports", "Doing It Together (Kettle and Compass impact report 2023)"),
    ),
    Row(
        "latest-report",
        "Could I have your latest report in large print?",
        reports=(AR25,),
        formats=(("large-print", {}),),
        files=(f"{AR25}-large-print.docx",),
    ),
    Row(
        "unknown-report",
        "The gardening newsletter in braille please.",
        kind="unknown-report",
        formats=(("braille", {}),),
        says=("couldn't find the report",),
    ),
    Row(
        "unclear",
        "Hello, can you help? My eyes are not what they were.",
        kind="unclear",
        says=("couldn't tell which report", "Annual Review 2025"),
    ),
    Row(
        "report-but-no-format",
        "Could I have the annual review 2024?",
        kind="unclear",
        reports=(AR24,),
        says=("Which format would you like?",),
    ),
    # --- a description of a person is not a request; negation and preference
    Row(
        "person-described-epub-asked",
        "My colleague uses a screen reader. Could she have Doing It Together as an EPUB?",
        reports=(DIT,),
        formats=(("epub", {}),),
        files=(f"{DIT}.epub",),
    ),
    Row(
        "need-only",
        "I use JAWS. Could I have the annual review 2024?",
        reports=(AR24,),
        formats=(("word", {}),),
        files=(f"{AR24}.docx",),
    ),
    Row(
        "prefer-not-pdf-word",
        "I'd prefer not to get a PDF. Word please. It's the impact report.",
        reports=(DIT,),
        formats=(("word", {}),),
        files=(f"{DIT}.docx",),
    ),
    Row(
        "not-braille-audio",
        "Not braille, audio please: the impact report.",
        reports=(DIT,),
        formats=(("audio", {}),),
        files=(f"{DIT}.mp3",),
    ),
    Row(
        "instead-of",
        "Word instead of PDF for the impact report",
        reports=(DIT,),
        formats=(("word", {}),),
        files=(f"{DIT}.docx",),
    ),
    Row(
        "rather-than",
        "I'd rather have a PDF than Word. Annual Review 2025.",
        reports=(AR25,),
        formats=(("pdf", {}),),
        files=(f"{AR25}.pdf",),
    ),
    Row(
        "cannot-read-pdf",
        "I can't read PDFs, so the impact report as a web page please",
        reports=(DIT,),
        formats=(("html", {}),),
        files=(f"{DIT}.html",),
    ),
    Row(
        "difficulty-is-not-a-request",
        "Please may I have the annual review 2024 in Word "
        "format, not PDF, as my screen reader struggles with PDFs.",
        reports=(AR24,),
        formats=(("word", {}),),
        files=(f"{AR24}.docx",),
    ),
    Row(
        "find-pdfs-hard",
        "I'm dyslexic and find PDFs hard. Could I have the impact report in large print on cream paper?",
        reports=(DIT,),
        formats=(("large-print", {"paper_colour": "cream"}),),
        files=(f"{DIT}-large-print.docx",),
    ),
    Row(
        "hear-it",
        "I would like to hear Annual Review 2025",
        reports=(AR25,),
        formats=(("audio", {}),),
        files=(f"{AR25}.mp3",),
    ),
    # --- braille grades
    Row(
        "not-the-shortened-kind",
        "The impact report in braille, but not the shortened kind",
        reports=(DIT,),
        formats=(("braille", {"table": G1}),),
        files=braille(DIT),
        says=("grade 1, uncontracted",),
    ),
    Row(
        "not-contracted",
        "impact report braille, not contracted",
        reports=(DIT,),
        formats=(("braille", {"table": G1}),),
        files=braille(DIT),
    ),
    Row(
        "no-contractions",
        "Impact report in braille with no contractions please",
        reports=(DIT,),
        formats=(("braille", {"table": G1}),),
        files=braille(DIT),
    ),
    Row(
        "contracted",
        "The impact report in contracted braille",
        reports=(DIT,),
        formats=(("braille", {"table": G2}),),
        files=braille(DIT),
        says=("grade 2, contracted",),
    ),
    Row(
        "welsh-braille-code",
        "Volunteering With Us in Welsh braille",
        reports=(VOL,),
        formats=(("braille", {"table": "cy-cy-g2.ctb"}),),
        files=braille(VOL),
    ),
    # --- the words people use for each format
    Row(
        "read-out-to-me",
        "Could you read the impact report out to me?",
        reports=(DIT,),
        formats=(("audio", {}),),
        files=(f"{DIT}.mp3",),
    ),
    Row(
        "bigger-size",
        "The impact report in a bigger size please",
        reports=(DIT,),
        formats=(("large-print", {}),),
        files=(f"{DIT}-large-print.docx",),
    ),
    Row(
        "easier-print",
        "Do you have print that's easier to read? The impact report.",
        reports=(DIT,),
        formats=(("large-print", {}),),
        files=(f"{DIT}-large-print.docx",),
    ),
    Row(
        "text-only",
        "impact report, text only please",
        reports=(DIT,),
        formats=(("word", {}),),
        files=(f"{DIT}.docx",),
        says=("text-only version",),
    ),
    Row(
        "daisy-version",
        "Is there a DAISY version of the impact report?",
        reports=(DIT,),
        formats=(("daisy", {}),),
        files=("doing-it-together-daisy.zip",),
        says=("DAISY talking book",),
    ),
    Row(
        "talking-book",
        "A talking book of Annual Review 2024 for my Daisy player please",
        reports=(AR24,),
        formats=(("daisy", {}),),
        files=("annual-review-2024-daisy.zip",),
    ),
    Row(
        "kindle",
        "Can you send the impact report as a Kindle book?",
        reports=(DIT,),
        formats=(("epub", {}),),
        files=(f"{DIT}.epub",),
        says=("Send to Kindle",),
    ),
    Row(
        "mobi",
        "The impact report in MOBI please",
        reports=(DIT,),
        formats=(("epub", {}),),
        files=(f"{DIT}.epub",),
        says=("MOBI is a retired format",),
    ),
    Row(
        "french-large-print",
        "L'impact report en gros caractères, s'il vous plaît",
        reports=(DIT,),
        formats=(("large-print", {}),),
        files=(f"{DIT}-large-print.docx",),
    ),
    Row(
        "moon",
        "the impact report in Moon type",
        reports=(DIT,),
        says=("We can't make Moon", "We can send the braille instead"),
    ),
    Row(
        "cd-gets-the-mp3",
        "Please can I have the 2024 annual review? An audio CD would be ideal",
        reports=(AR24,),
        formats=(("audio", {}),),
        files=(f"{AR24}.mp3",),
        says=("We can't make CDs or tapes: we no longer post CDs or tapes.",),
        extra={"not_said": "We can send the audio (MP3) instead"},
    ),
    # --- options, and two formats at once
    Row(
        "two-formats",
        "Annual Review 2024 as an EPUB and an MP3",
        reports=(AR24,),
        formats=(("epub", {}), ("audio", {})),
        files=(f"{AR24}.epub", f"{AR24}.mp3"),
    ),
    Row(
        "two-formats-each-an-option",
        "Impact report: braille grade 1 and large print 20 point",
        reports=(DIT,),
        formats=(("braille", {"table": G1}), ("large-print", {"font_size": "20"})),
        files=braille(DIT) + (f"{DIT}-large-print.docx",),
        says=("20 point",),
    ),
    Row(
        "tracks",
        "The impact report as MP3 tracks for my player",
        reports=(DIT,),
        formats=(("audio", {}),),
        tracks=True,
        files=(f"{DIT}-tracks.zip",),
    ),
    Row(
        "slower",
        "The impact report as audio, read a bit slower please",
        reports=(DIT,),
        formats=(("audio", {"rate": "140"}),),
        files=(f"{DIT}.mp3",),
        says=("read more slowly, at 140 words a minute",),
    ),
    Row(
        "size-colour-year",
        "Annual Review 2024 in large print, 18 point, on cream paper",
        reports=(AR24,),
        formats=(("large-print", {"font_size": "18", "paper_colour": "cream"}),),
        files=(f"{AR24}-large-print.docx",),
        says=("cream paper",),
    ),
    Row(
        "high-contrast",
        "Impact report large print, high contrast please",
        reports=(DIT,),
        formats=(("large-print", {"high_contrast": "true"}),),
        files=(f"{DIT}-large-print.docx",),
    ),
    # --- HTML mail, quoted replies, subjects
    Row(
        "html",
        html="<html><body><p>Please send the <b>Annual Review 2024</b> as a web page."
        "</p><blockquote type='cite'>Can I have it in braille?</blockquote></body></html>",
        reports=(AR24,),
        formats=(("html", {}),),
        files=(f"{AR24}.html",),
    ),
    Row(
        "html-gmail-quote",
        html="<div>The impact report as a PDF please</div><div "
        "class='gmail_quote'>On Tue, Formats wrote: braille? audio?</div>",
        reports=(DIT,),
        formats=(("pdf", {}),),
        files=(f"{DIT}.pdf",),
    ),
    Row(
        "quoted-reply",
        "Large print please, the impact report, 20 point.\n\nOn Tue, 2 Jan "
        "2024, Formats wrote:\n> Which format would you like? braille, audio\n",
        reports=(DIT,),
        formats=(("large-print", {"font_size": "20"}),),
        files=(f"{DIT}-large-print.docx",),
    ),
    Row(
        "subject-names-report",
        "In braille please",
        subject="Re: Annual Review 2025",
        reports=(AR25,),
        formats=(("braille", {}),),
        files=braille(AR25),
    ),
    # --- Welsh: understood, and answered in Welsh
    Row(
        "cy-braille",
        "A allwn i gael yr adroddiad effaith mewn braille?",
        reports=(DIT,),
        formats=(("braille", {}),),
        files=braille(DIT),
        language="cy",
        says=("Dyma Doing It Together", "boglynnu"),
    ),
    Row(
        "cy-print-bras",
        "Print bras o'r adroddiad effaith, os gwelwch yn dda",
        reports=(DIT,),
        formats=(("large-print", {}),),
        files=(f"{DIT}-large-print.docx",),
        language="cy",
        says=("Print bras:",),
    ),
    Row(
        "cy-fersiwn-sain",
        "Oes fersiwn sain o'r adroddiad effaith? Diolch",
        reports=(DIT,),
        formats=(("audio", {}),),
        files=(f"{DIT}.mp3",),
        language="cy",
        says=("Sain (MP3):", "wedi'i ddarllen yn uchel"),
    ),
    Row(
        "cy-size",
        "Hoffwn gael yr adroddiad effaith mewn print bras, 24 pwynt",
        reports=(DIT,),
        formats=(("large-print", {"font_size": "24"}),),
        files=(f"{DIT}-large-print.docx",),
        language="cy",
        says=("24 pwynt",),
    ),
    Row(
        "cy-heb-gyfangiadau",
        "A allwn i gael yr adroddiad effaith mewn braille heb gyfangiadau?",
        reports=(DIT,),
        formats=(("braille", {"table": G1}),),
        files=braille(DIT),
        language="cy",
        says=("gradd 1, heb gyfangiadau",),
    ),
    Row(
        "cy-negation",
        "Dim PDF os gwelwch yn dda, dogfen Word o'r adroddiad effaith",
        reports=(DIT,),
        formats=(("word", {}),),
        files=(f"{DIT}.docx",),
        language="cy",
        says=("Dogfen Word:",),
    ),
    # --- different formats of different reports: exactly those pairs
    Row(
        "pairs-2024-review-2025-one",
        "Could I have the large print of the 2024 review and the audio of the 2025 one?",
        reports=(AR24, AR25),
        formats=(("large-print", {}), ("audio", {})),
        files=(f"{AR24}-large-print.docx", f"{AR25}.mp3"),
        says=("Here is Annual Review 2024:", "Here is Annual Review 2025:"),
        extra={"pairs": {AR24: [("large-print", {})], AR25: [("audio", {})]}},
    ),
    Row(
        "pairs-titles-with-options",
        "Annual Review 2024 in large print, 20 point, and Annual Review 2025 in braille, grade 1 please",
        reports=(AR24, AR25),
        formats=(("large-print", {"font_size": "20"}), ("braille", {"table": G1})),
        files=(f"{AR24}-large-print.docx",) + braille(AR25),
        says=("20 point", "grade 1"),
        extra={"pairs": {AR24: [("large-print", {"font_size": "20"})], AR25: [("braille", {"table": G1})]}},
    ),
    Row(
        "pairs-format-first",
        "Braille of the impact report and a web page of Annual Review 2025, thank you",
        reports=(DIT, AR25),
        formats=(("braille", {}), ("html", {})),
        files=braille(DIT) + (f"{AR25}.html",),
        extra={"pairs": {DIT: [("braille", {})], AR25: [("html", {})]}},
    ),
    Row(
        "shared-format-both-reports",
        "Annual Review 2024 and Annual Review 2025 in large print please",
        reports=(AR24, AR25),
        formats=(("large-print", {}),),
        files=(f"{AR24}-large-print.docx", f"{AR25}-large-print.docx"),
    ),
    Row(
        "cy-pairs",
        "Hoffwn gael print bras o adolygiad 2024 a fersiwn sain o adolygiad 2025, os gwelwch yn dda",
        reports=(AR24, AR25),
        formats=(("large-print", {}), ("audio", {})),
        files=(f"{AR24}-large-print.docx", f"{AR25}.mp3"),
        language="cy",
        says=("Dyma Annual Review 2024:", "Dyma Annual Review 2025:"),
        extra={"pairs": {AR24: [("large-print", {})], AR25: [("audio", {})]}},
    ),
    Row(
        "pairs-format-after",
        "Large print of the 2024 review please, and for the 2025 one the audio",
        reports=(AR24, AR25),
        formats=(("large-print", {}), ("audio", {})),
        files=(f"{AR24}-large-print.docx", f"{AR25}.mp3"),
        extra={"pairs": {AR24: [("large-print", {})], AR25: [("audio", {})]}},
    ),
    Row(
        "cy-pairs-titles",
        "Annual Review 2024 mewn print bras ac Annual Review 2025 mewn braille, os gwelwch yn dda",
        reports=(AR24, AR25),
        formats=(("large-print", {}), ("braille", {})),
        files=(f"{AR24}-large-print.docx",) + braille(AR25),
        language="cy",
        extra={"pairs": {AR24: [("large-print", {})], AR25: [("braille", {})]}},
    ),
    # --- every braille code and layout a reader may ask for (issue 15), English and Welsh
    Row(
        "computer-braille",
        "The impact report in computer braille please",
        reports=(DIT,),
        formats=(("braille", {"table": COMP8}),),
        files=(f"{DIT}.pef",),
        says=("Computer braille, 8-dot", "There is no BRF file"),
    ),
    Row(
        "eight-dot",
        "Could I have Annual Review 2024 in 8-dot?",
        reports=(AR24,),
        formats=(("braille", {"table": COMP8}),),
        files=(f"{AR24}.pef",),
    ),
    Row(
        "grade-2-words",
        "Annual Review 2024 in grade 2 braille",
        reports=(AR24,),
        formats=(("braille", {"table": G2}),),
        files=braille(AR24),
        says=("grade 2, contracted",),
    ),
    Row(
        "uncontracted",
        "Uncontracted braille of the impact report, thanks",
        reports=(DIT,),
        formats=(("braille", {"table": G1}),),
        files=braille(DIT),
    ),
    Row(
        "page-28-by-25",
        "The impact report in braille, 28 by 25 please",
        reports=(DIT,),
        formats=(("braille", {"cells": "28", "lines": "25"}),),
        files=braille(DIT),
        says=("28 cells", "25 lines"),
    ),
    Row(
        "32-cells",
        "Braille of the impact report for my 32 cell display",
        reports=(DIT,),
        formats=(("braille", {"cells": "32"}),),
        files=braille(DIT),
        says=("32 cells",),
    ),
    Row(
        "sheets-interpoint",
        "The impact report in braille, 50 sheets per volume, interpoint",
        reports=(DIT,),
        formats=(("braille", {"sheets_per_volume": "50", "interpoint": "yes"}),),
        files=braille(DIT),
        says=("at most 50 sheets a volume", "both sides of the paper"),
    ),
    Row(
        "single-sided",
        "Impact report in grade 1 braille, single-sided please",
        reports=(DIT,),
        formats=(("braille", {"table": G1, "interpoint": "no"}),),
        files=braille(DIT),
        says=("on one side of the paper",),
    ),
    Row(
        "not-interpoint",
        "The impact report in braille but not interpoint",
        reports=(DIT,),
        formats=(("braille", {"interpoint": "no"}),),
        files=braille(DIT),
    ),
    Row(
        "cy-braille-cymraeg-gradd-1",
        "A allwn i gael Volunteering With Us mewn braille Cymraeg, gradd 1?",
        reports=(VOL,),
        formats=(("braille", {"table": "cy-cy-g1.utb"}),),
        files=braille(VOL),
        language="cy",
        says=("Cymraeg", "gradd 1, heb gyfangiadau"),
    ),
    Row(
        "cy-cyfrifiadurol",
        "Hoffwn gael yr adroddiad effaith mewn braille cyfrifiadurol, os gwelwch yn dda",
        reports=(DIT,),
        formats=(("braille", {"table": COMP8}),),
        files=(f"{DIT}.pef",),
        language="cy",
        says=("Braille cyfrifiadurol, 8 dot",),
    ),
    Row(
        "cy-28-wrth-25-un-ochr",
        "Braille o'r adroddiad effaith, 28 wrth 25, ar un ochr y papur, os gwelwch yn dda",
        reports=(DIT,),
        formats=(("braille", {"cells": "28", "lines": "25", "interpoint": "no"}),),
        files=braille(DIT),
        language="cy",
        says=("28 cell", "25 llinell", "ar un ochr y papur"),
    ),
    Row(
        "cy-cywasgedig-dalennau",
        "Yr adroddiad effaith mewn braille cywasgedig, 40 dalen ym mhob cyfrol, diolch",
        reports=(DIT,),
        formats=(("braille", {"table": G2, "sheets_per_volume": "40"}),),
        files=braille(DIT),
        language="cy",
        says=("gradd 2, gyda chyfangiadau", "40 dalen ar y mwyaf ym mhob cyfrol"),
    ),
    Row(
        "cy-llyfr-llafar",
        "Oes llyfr llafar DAISY o'r adroddiad effaith? Diolch",
        reports=(DIT,),
        formats=(("daisy", {}),),
        files=("doing-it-together-daisy.zip",),
        language="cy",
    ),
    Row(
        "cy-ask-which",
        "A allwn i gael the guide mewn braille, os gwelwch yn dda?",
        kind="which-report",
        candidates=(VOL, READ),
        formats=(("braille", {}),),
        language="cy",
        says=("Mae mwy nag un o'n hadroddiadau",),
    ),
]


def test_the_table_is_wide_enough():
    assert len(ROWS) >= 40
    assert len({row.id for row in ROWS}) == len(ROWS)
    assert sum(row.language == "cy" for row in ROWS) >= 5
    assert sum(row.html is not None for row in ROWS) >= 2


# ------------------------------------------------------------------ running a row


def raw_email(row: Row, number: int) -> bytes:
    return make_message(
        row.body, subject=row.subject, html=row.html, message_id=f"<table-{number}-{row.id}@example.com>"
    )


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_understood(row, library):
    message = parse_bytes(raw_email(row, 0))
    understood = understand(message.subject, message.body, load_catalogue(library / "sources"))
    assert understood.kind == row.kind
    assert understood.language == row.language
    assert sorted(e.slug for e in understood.reports) == sorted(row.reports)
    assert sorted(e.slug for e in understood.candidates) == sorted(row.candidates)
    assert [(f.format, f.options_dict) for f in understood.formats] == list(row.formats)
    assert any(f.tracks for f in understood.formats) == row.tracks
    # Each report gets exactly its own formats (all of them, unless the email pairs them).
    pairs = row.extra.get("pairs") or {slug: list(row.formats) for slug in row.reports}
    assert {
        e.slug: [(f.format, f.options_dict) for f in understood.formats_for(e)] for e in understood.reports
    } == pairs


def run_row(row: Row, root: Path, library: Path) -> tuple[object, object]:
    outbox = root / "outbox"
    settings = Settings(
        sources_dir=library / "sources",
        outputs_dir=root / "outputs",
        reply=ReplySettings(US, STAFF),
        transport=OutboxTransport(outbox),
        backoff_seconds=0,
    )
    with Ledger(root / "ledger.sqlite3") as ledger:
        outcome = Processor(settings, ledger).receive(raw_email(row, 1), "test")
    replies = [p for p in outbox.glob("*.eml") if ".staff" not in p.name]
    assert len(replies) == 1, outcome
    return outcome, BytesParser(policy=policy.default).parsebytes(replies[0].read_bytes())


NOT_YET_DAISY = {
    "en": ("We can't make the DAISY talking book yet", "We can send the audio (MP3) instead"),
    "cy": ("Ni allwn wneud y llyfr llafar DAISY eto", "Gallwn anfon y sain (MP3)"),
}


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_reply(row, library, tmp_path):
    outcome, reply = run_row(row, tmp_path, library)
    assert outcome.state == "replied", outcome.reason
    assert reply["To"] == READER and reply["Auto-Submitted"] == "auto-replied"
    text = reply.get_body(("plain",)).get_content()
    sent = sorted(part.get_filename() for part in reply.iter_attachments())
    daisy_rows = any(f == "daisy" for f, _ in row.formats)
    if daisy_rows and not has_stage("daisy"):
        # Not on this branch yet: a polite "not yet", the nearest format offered, no files.
        assert sent == []
        assert NOT_YET_DAISY[row.language][0] in text
        assert NOT_YET_DAISY[row.language][1] in text
    else:
        assert sent == sorted(row.files)
    for words in row.says:
        assert words in text, text
    if "not_said" in row.extra:
        assert row.extra["not_said"] not in text, text
    assert reply["Content-Language"] == ("cy" if row.language == "cy" else "en-GB")
    html_body = reply.get_body(("html",)).get_content()
    assert f'lang="{"cy" if row.language == "cy" else "en-GB"}"' in html_body
    if row.language == "cy":
        assert text.startswith("Helo,") and "Cofion gorau," in text
        assert "Thank you" not in text and "Best wishes" not in text
    else:
        assert text.startswith("Hello,")
    # Each attachment is named in the reply with what it is for; never a path on our server.
    for name in sent:
        assert f"{name}: " in text
    assert "outputs/" not in text and str(tmp_path) not in text


# How to open a DAISY book, as each language's reply says it: the zip, a DAISY app (Dolphin
# EasyReader, Thorium) or a DAISY player.
DAISY_HOW_TO_OPEN = {
    "en": (
        "doing-it-together-daisy.zip: a DAISY talking book",
        "Unzip it",
        "Dolphin EasyReader",
        "Thorium Reader",
        "DAISY player such as a Victor Reader Stream",
    ),
    "cy": (
        "doing-it-together-daisy.zip: llyfr llafar DAISY",
        "Dadsipiwch hi",
        "Dolphin EasyReader",
        "Thorium Reader",
        "chwaraewr DAISY fel Victor Reader Stream",
    ),
}


@pytest.mark.parametrize("row_id", ["daisy-version", "cy-llyfr-llafar"])
def test_the_daisy_rows_attach_the_zip_once_the_stage_exists(row_id, library, tmp_path, monkeypatch):
    monkeypatch.setitem(stages.STAGE_MODULES, "daisy", "daisy_stand_in")
    row = next(r for r in ROWS if r.id == row_id)
    _, reply = run_row(row, tmp_path, library)
    [part] = list(reply.iter_attachments())
    assert part.get_filename() == "doing-it-together-daisy.zip"
    assert part.get_content_type() == "application/zip"
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(part.get_payload(decode=True))) as archive:
        assert "doing-it-together/ncc.html" in archive.namelist()
    text = " ".join(reply.get_body(("plain",)).get_content().split())
    for words in DAISY_HOW_TO_OPEN[row.language]:
        assert words in text, text
    assert reply["Content-Language"] == ("cy" if row.language == "cy" else "en-GB")


# ------------------------------------------------------------------ each reply kind, read back
# The files are read the way their readers meet them, with tools nobody on the team wrote:
# LibreOffice renders the large print, liblouis back-translates the braille, ffprobe measures
# the audio.

import base64  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import zipfile  # noqa: E402

from pipeline.requests.convert import EMAIL_OVERHEAD, encoded_size  # noqa: E402

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def files_of(reply) -> dict[str, bytes]:
    return {part.get_filename(): part.get_payload(decode=True) for part in reply.iter_attachments()}


def reply_for(body: str, root: Path, library: Path, **reply_settings):
    outbox = root / "outbox"
    settings = Settings(
        sources_dir=library / "sources",
        outputs_dir=root / "outputs",
        reply=ReplySettings(US, STAFF, **reply_settings),
        transport=OutboxTransport(outbox),
        backoff_seconds=0,
    )
    with Ledger(root / "ledger.sqlite3") as ledger:
        outcome = Processor(settings, ledger).receive(
            make_message(body, message_id=f"<kind-{abs(hash(body))}@example.com>"), "test"
        )
    assert outcome.state == "replied", outcome.reason
    [path] = [p for p in outbox.glob("*.eml") if ".staff" not in p.name]
    staff = [
        BytesParser(policy=policy.default).parsebytes(p.read_bytes()) for p in outbox.glob("*.staff*.eml")
    ]
    reply = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    return outcome, reply, path.stat().st_size, staff


def ffprobe(path: Path) -> dict:
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.slow
@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed here")
def test_24_point_large_print_renders_at_24_point(library, tmp_path):
    _, asked, _, _ = reply_for("The impact report in large print, 24 point please", tmp_path / "a", library)
    _, standard, _, _ = reply_for("The impact report in large print please", tmp_path / "b", library)
    documents = []
    for name, reply in (("asked", asked), ("standard", standard)):
        documents.append(tmp_path / f"{name}.docx")
        documents[-1].write_bytes(files_of(reply)["doing-it-together-large-print.docx"])
    done = subprocess.run(
        [
            SOFFICE,
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            *map(str, documents),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    # pdffonts cannot give sizes; poppler's word boxes can: a box is as high as the font's
    # ascent + descent, in proportion to the point size. The standard large print is 18 point
    # (the RNIB's smallest large print), so the asked one must render 24/18 as high.
    heights = {}
    for name in ("asked", "standard"):
        boxes = subprocess.run(
            ["pdftotext", "-bbox", str(tmp_path / f"{name}.pdf"), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        import re

        found = [
            float(y2) - float(y1)
            for y1, y2, word in re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">(\w+)<', boxes)
            if word == "volunteer"
        ]
        assert found, boxes[:500]
        heights[name] = found[0]
    assert abs(heights["asked"] / heights["standard"] - 24 / 18) < 0.03, heights
    assert 1.1 <= heights["asked"] / 24 <= 1.4, heights  # and it is 24 point, not 24 pixels
    assert "Large print (24 point):" in asked.get_body(("plain",)).get_content()


def test_uncontracted_braille_back_translates_as_grade_1(library, tmp_path):
    import louis

    _, reply, _, _ = reply_for("The impact report in braille, but not the shortened kind", tmp_path, library)
    files = files_of(reply)
    assert sorted(files) == ["doing-it-together.brf", "doing-it-together.pef"]
    brf = files["doing-it-together.brf"].decode("ascii")
    # liblouis reads it back with the grade 1 table: the source's words come back whole.
    back = louis.backTranslateString(["en-us-brf.dis", "en-ueb-g1.ctb"], brf).lower()
    for word in ("every", "volunteer", "gave", "their", "time", "readers", "country", "letter"):
        assert word in back
    # ... and it is not grade 2: the contracted forms of these words are nowhere in it.
    contracted = louis.translateString(["en-us-brf.dis", "en-ueb-g2.ctb"], "every volunteer")
    spelled = louis.translateString(["en-us-brf.dis", "en-ueb-g1.ctb"], "every volunteer")
    assert contracted.upper() not in brf.upper() and spelled.upper() in brf.upper()
    # The PEF carries the same braille (Unicode cells); its volume says which table made it.
    pef = files["doing-it-together.pef"].decode("utf-8")
    cells = louis.translateString(["en-ueb-g1.ctb"], "volunteer", mode=louis.dotsIO | louis.ucBrl)
    assert cells in pef
    assert "grade 1, uncontracted" in reply.get_body(("plain",)).get_content()


@pytest.mark.slow
def test_slower_speech_is_recorded_and_audibly_longer_and_tracks_come_as_one_zip(library, tmp_path):
    _, normal, _, _ = reply_for("The impact report as an MP3 please", tmp_path / "a", library)
    slower_outcome, slower, _, _ = reply_for(
        "The impact report as an MP3, read more slowly please", tmp_path / "b", library
    )
    assert list(files_of(normal)) == ["doing-it-together.mp3"]  # one file, not five
    assert list(files_of(slower)) == ["doing-it-together.mp3"]
    durations = {}
    for name, reply in (("normal", normal), ("slower", slower)):
        path = tmp_path / f"{name}.mp3"
        path.write_bytes(files_of(reply)["doing-it-together.mp3"])
        durations[name] = float(ffprobe(path)["format"]["duration"])
    # 140 instead of 175 words a minute: the speech takes 1.25 times as long (the pauses
    # between sections do not stretch, so the whole is a little less).
    assert durations["slower"] > durations["normal"] * 1.12, durations
    manifest = json.loads(
        (tmp_path / "b" / "outputs" / "requests" / slower_outcome.request_id / "manifest.json").read_text()
    )
    assert manifest["stages"]["audio"]["options"]["rate"] == 140
    # Tracks: the section files and playlist, as one zip that unpacks to one folder.
    _, tracks, _, _ = reply_for("The impact report as MP3 tracks for my player", tmp_path / "c", library)
    [name] = files_of(tracks)
    assert name == "doing-it-together-tracks.zip"
    with zipfile.ZipFile(io.BytesIO(files_of(tracks)[name])) as archive:
        names = archive.namelist()
        assert all(n.startswith("doing-it-together/") for n in names)
        mp3s = sorted(n for n in names if n.endswith(".mp3"))
        playlist = archive.read(next(n for n in names if n.endswith(".m3u8"))).decode()
        assert [line for line in playlist.splitlines() if line.endswith(".mp3")] == [
            n.split("/")[1] for n in mp3s
        ]
        archive.extractall(tmp_path / "tracks")
    assert len(mp3s) >= 2
    for member in mp3s:
        assert float(ffprobe(tmp_path / "tracks" / member)["format"]["duration"]) > 0.5


@pytest.mark.slow
def test_audio_over_the_limit_is_sent_smaller_and_fits(library, tmp_path):
    _, full, _, _ = reply_for("The impact report as an MP3 please", tmp_path / "a", library)
    full_mp3 = files_of(full)["doing-it-together.mp3"]
    # A limit the full-quality file misses by one byte, as the email carries it.
    limit = EMAIL_OVERHEAD + encoded_size(len(full_mp3)) - 1
    _, small, eml_size, _ = reply_for(
        "The impact report as an MP3 please", tmp_path / "b", library, size_limit=limit
    )
    smaller = files_of(small)["doing-it-together.mp3"]
    assert eml_size <= limit
    path = tmp_path / "small.mp3"
    path.write_bytes(smaller)
    probe = ffprobe(path)
    [stream] = probe["streams"]
    assert int(stream["bit_rate"]) == 32000 and stream["channels"] == 1
    full_path = tmp_path / "full.mp3"
    full_path.write_bytes(full_mp3)
    assert (
        abs(float(probe["format"]["duration"]) - float(ffprobe(full_path)["format"]["duration"])) < 0.2
    )  # all of it, smaller
    text = small.get_body(("plain",)).get_content()
    assert "lower sound quality" in text


def test_over_the_limit_gives_the_collect_link_never_a_local_path(library, tmp_path):
    outcome, reply, _, staff = reply_for(
        "Annual Review 2024 as a web page",
        tmp_path / "a",
        library,
        size_limit=1000,
        collect_url="https://example.org/collect/",
    )
    text = reply.get_body(("plain",)).get_content()
    assert files_of(reply) == {}
    assert f"https://example.org/collect/{outcome.request_id}/" in text
    assert "outputs" not in text and str(tmp_path) not in text
    # Without a collect link a person is told, and the reader is told so, still without a path.
    _, reply, _, staff = reply_for(
        "Annual Review 2024 as a web page", tmp_path / "b", library, size_limit=1000
    )
    text = reply.get_body(("plain",)).get_content()
    assert "will send them another way" in text and "outputs" not in text
    assert any("too large" in notice.get_content() for notice in staff)


def test_encoded_size_is_what_the_email_really_carries(tmp_path):
    from email.message import EmailMessage

    for size in (0, 1, 2, 3, 56, 57, 58, 1000, 123_457):
        data = bytes(range(256)) * (size // 256) + bytes(size % 256)
        message = EmailMessage(policy=policy.SMTP)
        message.set_content("x")
        message.add_attachment(data, maintype="application", subtype="octet-stream", filename="f")
        [part] = list(message.iter_attachments())
        carried = part.get_payload()  # the base64 text as it is written on the wire
        assert base64.b64decode(carried) == data
        assert encoded_size(size) == len(carried.encode().replace(b"\n", b"\r\n")), size


def test_a_welsh_request_gets_a_welsh_reply_describing_each_file(library, tmp_path):
    _, reply, _, _ = reply_for(
        "A allwn i gael yr adroddiad effaith mewn print bras, 20 pwynt, os gwelwch yn dda?", tmp_path, library
    )
    text = reply.get_body(("plain",)).get_content()
    assert list(files_of(reply)) == ["doing-it-together-large-print.docx"]
    assert "Print bras (20 pwynt):" in text
    assert "doing-it-together-large-print.docx: print bras i'w ddarllen ar bapur" in text
    assert reply["Content-Language"] == "cy"
    assert 'lang="cy"' in reply.get_body(("html",)).get_content()


# ------------------------------------------------------------------ the words of the replies

REQUEST_MODULES = [
    Path(__file__).resolve().parent.parent / "pipeline" / "requests" / name
    for name in ("understand.py", "convert.py", "reply.py")
]
PO = Path(__file__).resolve().parent.parent / "pipeline" / "locale"


def catalogue_of(language: str) -> dict[str, str]:
    from babel.messages.pofile import read_po

    with (PO / language / "LC_MESSAGES" / "accessible_formats.po").open("rb") as handle:
        return {m.id: m.string for m in read_po(handle) if m.id}


def reply_messages() -> list[str]:
    """Every message the request code marks (_ and N_), found by Babel's own extractor."""
    from babel.messages.extract import extract_from_file

    found = []
    for path in REQUEST_MODULES:
        for _, message, _, _ in extract_from_file("python", str(path), keywords={"_": None, "N_": None}):
            found.append(message)
    return found


def test_every_reply_message_is_in_both_catalogues_with_its_placeholders():
    import re

    english, welsh = catalogue_of("en"), catalogue_of("cy")
    messages = reply_messages()
    assert len(messages) > 60
    for message in messages:
        assert message in english, message
        assert welsh.get(message), f"no Welsh for: {message}"
        assert set(re.findall(r"\{\w+\}", message)) == set(re.findall(r"\{\w+\}", welsh[message])), message


@pytest.mark.parametrize("row", [r for r in ROWS if r.language == "cy"], ids=lambda r: r.id)
def test_a_welsh_reply_has_no_english_sentence_of_ours(row, library, tmp_path):
    import re

    _, reply = run_row(row, tmp_path, library)
    text = reply.get_body(("plain",)).get_content()
    welsh = catalogue_of("cy")
    for message in reply_messages():
        for piece in re.split(r"\{\w+\}", message):
            piece = piece.strip(" :.,()")
            if len(piece) >= 12 and piece not in welsh[message]:
                assert piece not in text, piece


# ------------------------------------------------------------------ braille codes, read back
# Each code a request can name is read back from the attachment with liblouis (the table of
# that code), and the layout asked for from the PEF's own attributes and the BRF's lines.

SAMPLES = Path(__file__).resolve().parent.parent / "sources"
PEF_NS = "{http://www.daisy.org/ns/2008/pef}"


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    """The two real sample reports (English, and Welsh), long enough to fill volumes."""
    root = tmp_path_factory.mktemp("samples")
    for name in ("impact-report-2023", "cydgynhyrchu-yn-gymraeg"):
        shutil.copytree(SAMPLES / name, root / "sources" / name)
    return root


def pef_volumes(data: bytes):
    from lxml import etree

    return etree.fromstring(data).findall(f"{PEF_NS}body/{PEF_NS}volume")


def pef_cells(volume) -> str:
    return "\n".join(row.text or "" for row in volume.iter(f"{PEF_NS}row"))


def back_translate(cells: str, table: str) -> str:
    """liblouis reads the Unicode cells row by row: as the table's own characters, then back."""
    import louis

    rows = [row.replace("\u2800", " ").strip() for row in cells.split("\n")]
    return " ".join(louis.backTranslateString([table], louis.dotsToChar([table], row)) for row in rows if row)


def test_computer_braille_is_8_dot_and_reads_back_letter_for_letter(library, tmp_path):
    _, reply, _, _ = reply_for("The impact report in computer braille please", tmp_path, library)
    files = files_of(reply)
    assert sorted(files) == ["doing-it-together.pef"]  # no BRF: BRF is 6-dot
    [volume] = pef_volumes(files["doing-it-together.pef"])
    cells = pef_cells(volume)
    # Capitals carry dot 7 in computer braille: cells beyond the 6-dot range (U+2840 and up).
    assert any(ord(cell) >= 0x2840 for cell in cells)
    back = back_translate(cells, "en-gb-comp8.ctb")
    assert "Every volunteer gave their time to readers across the country this year." in " ".join(
        back.split()
    )
    text = reply.get_body(("plain",)).get_content()
    assert "Computer braille, 8-dot" in text and "There is no BRF file" in text


def test_welsh_braille_grade_1_of_the_welsh_report_back_translates_with_the_welsh_table(samples, tmp_path):
    import louis

    _, reply, _, _ = reply_for(
        "A allwn i gael Cydgynhyrchu yn Gymraeg mewn braille Cymraeg, gradd 1, os gwelwch yn dda?",
        tmp_path,
        samples,
    )
    files = files_of(reply)
    assert sorted(files) == ["cydgynhyrchu-yn-gymraeg.brf", "cydgynhyrchu-yn-gymraeg.pef"]
    cells = "\n".join(pef_cells(v) for v in pef_volumes(files["cydgynhyrchu-yn-gymraeg.pef"]))
    back = " ".join(back_translate(cells, "cy-cy-g1.utb").split()).lower()
    source = (SAMPLES / "cydgynhyrchu-yn-gymraeg" / "cydgynhyrchu-yn-gymraeg.md").read_text()
    import re

    words = [w for w in re.findall(r"[a-zâêîôûŵŷ']{6,}", source.lower().split("---", 2)[2])]
    assert len(words) > 200
    found = sum(word in back for word in words) / len(words)
    assert found >= 0.85, found
    # liblouis 3.24's cy-cy-g1 reads the Welsh letter signs for "ae" and "dg" back as "æ" and
    # "º" ("Cymræg", "cyºynhyrchu"): nearly every other miss is one of those two signs.
    spelled_out = back.replace("æ", "ae").replace("º", "dg")
    assert sum(word in spelled_out for word in words) / len(words) >= 0.95
    # ... and it is grade 1: a word the Welsh contracted table shortens is spelled out.
    contracted = louis.translateString(["cy-cy-g2.ctb"], "gyda", mode=louis.dotsIO | louis.ucBrl)
    spelled = louis.translateString(["cy-cy-g1.utb"], "gyda", mode=louis.dotsIO | louis.ucBrl)
    assert contracted != spelled and spelled in cells
    text = reply.get_body(("plain",)).get_content()
    assert "Braille (Cymraeg, gradd 1, heb gyfangiadau):" in text, text


def test_a_28_by_25_page_is_what_the_files_carry(library, tmp_path):
    _, reply, _, _ = reply_for(
        "The impact report in braille, 28 by 25, single-sided please", tmp_path, library
    )
    files = files_of(reply)
    [volume] = pef_volumes(files["doing-it-together.pef"])
    assert (volume.get("cols"), volume.get("rows"), volume.get("duplex")) == ("28", "25", "false")
    pages = files["doing-it-together.brf"].decode("ascii").split("\f")
    lines = [line for page in pages for line in page.split("\r\n")]
    assert max(len(line) for line in lines) == 28
    assert max(len(page.strip("\r\n").split("\r\n")) for page in pages) <= 25


@pytest.mark.slow
def test_a_braille_book_in_volumes_sends_the_whole_brf_and_the_pef_and_says_how_many(samples, tmp_path):
    _, reply, _, _ = reply_for(
        "Could I have Doing It Together in braille, single-sided, 10 sheets per volume?", tmp_path, samples
    )
    files = files_of(reply)
    assert sorted(files) == ["impact-report-2023.brf", "impact-report-2023.pef"]
    volumes = pef_volumes(files["impact-report-2023.pef"])
    assert len(volumes) >= 2
    for volume in volumes:  # each volume within the 10 sheets asked for (one side each)
        pages = volume.findall(f"{PEF_NS}section/{PEF_NS}page")
        assert len(pages) <= 10 and volume.get("duplex") == "false"
    # The whole BRF holds every volume: as many pages as the PEF's volumes together.
    brf_pages = files["impact-report-2023.brf"].decode("ascii").rstrip("\f").split("\f")
    assert len(brf_pages) == sum(len(v.findall(f"{PEF_NS}section/{PEF_NS}page")) for v in volumes)
    text = " ".join(reply.get_body(("plain",)).get_content().split())
    assert f"This braille book has {len(volumes)} volumes" in text
    assert "at most 10 sheets a volume" in text


# ------------------------------------------------------------------ a reply in several emails
# Audio too large for one email even at the lower bit rate goes as its section MP3s, zipped
# over several emails ("part N of M"); the ledger records each part as it is handed over.

SEASONS = """---
title: Four Seasons
author: Kettle and Compass
language: en-GB
date: 2024-09-01
---
# Spring

In spring our volunteers planted seeds with children from three schools near the river.

# Summer

In summer we held twelve reading afternoons in the park, and every one was full.

# Autumn

In autumn the readers wrote letters to the council about the closing of the library.

# Winter

In winter we met indoors, shared soup, and planned the next year together.
"""


@pytest.fixture(scope="module")
def seasons(tmp_path_factory):
    root = tmp_path_factory.mktemp("seasons")
    (root / "sources").mkdir()
    (root / "sources" / "four-seasons.md").write_text(SEASONS, encoding="utf-8")
    return root


def replies_in(outbox: Path) -> list:
    return [
        BytesParser(policy=policy.default).parsebytes(p.read_bytes())
        for p in sorted(outbox.glob("[!.]*.eml"))
        if ".staff" not in p.name
    ]


def seasons_limit(seasons: Path, tmp_path: Path) -> tuple[int, float]:
    """A limit the whole MP3 misses even at 32 kbps, and the whole MP3's measured duration."""
    _, full, _, _ = reply_for("Four Seasons as an MP3 please", tmp_path / "full", seasons)
    whole = tmp_path / "whole.mp3"
    whole.write_bytes(files_of(full)["four-seasons.mp3"])
    # 48 kbps -> 32 kbps is two thirds; half the 48 kbps file is three quarters of the 32 kbps
    # one: too small for the whole, room for two of the four sections.
    return EMAIL_OVERHEAD + encoded_size(whole.stat().st_size // 2), float(
        ffprobe(whole)["format"]["duration"]
    )


@pytest.mark.slow
def test_audio_too_large_for_one_email_goes_in_parts_that_add_up_to_the_whole(seasons, tmp_path):
    limit, whole_seconds = seasons_limit(seasons, tmp_path)
    outcome, _, _, _ = reply_for_parts("Four Seasons as an MP3 please", tmp_path / "split", seasons, limit)
    outbox = tmp_path / "split" / "outbox"
    paths = sorted(p for p in outbox.glob("[!.]*.eml") if ".staff" not in p.name)
    parts = replies_in(outbox)
    total = len(parts)
    assert total >= 2
    assert [p.name for p in paths] == [
        f"{outcome.request_id}.part-{n}-of-{total}.eml" for n in range(1, total + 1)
    ]
    assert all(p.stat().st_size <= limit for p in paths)  # each fits, as carried
    assert len({p["Message-ID"] for p in parts}) == total
    folder = tmp_path / "unzipped"
    names = []
    for number, part in enumerate(parts, start=1):
        assert part["Subject"].endswith(f"(part {number} of {total})")
        assert part["In-Reply-To"] == f"<kind-{abs(hash('Four Seasons as an MP3 please'))}@example.com>"
        text = " ".join(part.get_body(("plain",)).get_content().split())
        assert f"This is part {number} of {total} of our reply" in text
        for name, data in files_of(part).items():
            names.append(name)
            assert f"{name}: some of the sections of the report read aloud" in text
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                archive.extractall(folder)  # every part unpacks into the same folder
    zips = len(names)
    assert sorted(names) == sorted(
        f"four-seasons-tracks-{n}-of-{zips}-smaller.zip" for n in range(1, zips + 1)
    )
    assert "in 2 zip files" in " ".join(parts[0].get_body(("plain",)).get_content().split()) or zips != 2
    [unpacked] = list(folder.iterdir())
    mp3s = sorted(unpacked.glob("*.mp3"))
    # The opening (title) and the four seasons, each once.
    assert [p.stem.split("-", 1)[1] for p in mp3s] == ["opening", "spring", "summer", "autumn", "winter"]
    [playlist] = list(unpacked.glob("*.m3u8"))
    assert [line for line in playlist.read_text().splitlines() if line.endswith(".mp3")] == [
        p.name for p in mp3s
    ]
    # ffprobe: the sections together last as long as the whole MP3 (at the lower bit rate).
    probes = [ffprobe(p) for p in mp3s]
    assert all(int(p["streams"][0]["bit_rate"]) == 32000 for p in probes)
    assert abs(sum(float(p["format"]["duration"]) for p in probes) - whole_seconds) < 0.5
    with Ledger(tmp_path / "split" / "ledger.sqlite3") as ledger:
        [row] = ledger.all()
        assert row.state == "replied"
        assert [n for n, _ in ledger.parts_sent(row.key, total)] == list(range(1, total + 1))
        assert row.reply_message_id.split() == [p["Message-ID"] for p in parts]


def reply_for_parts(body: str, root: Path, library: Path, limit: int):
    outbox = root / "outbox"
    settings = Settings(
        sources_dir=library / "sources",
        outputs_dir=root / "outputs",
        reply=ReplySettings(US, STAFF, size_limit=limit),
        transport=OutboxTransport(outbox),
        backoff_seconds=0,
    )
    with Ledger(root / "ledger.sqlite3") as ledger:
        outcome = Processor(settings, ledger).receive(
            make_message(body, message_id=f"<kind-{abs(hash(body))}@example.com>"), "test"
        )
    assert outcome.state == "replied", outcome.reason
    return outcome, None, None, None


@pytest.mark.slow
def test_a_welsh_reply_in_parts_says_which_part_in_welsh(seasons, tmp_path):
    limit, _ = seasons_limit(seasons, tmp_path)
    body = "Oes fersiwn sain o Four Seasons? Diolch"
    reply_for_parts(body, tmp_path / "split", seasons, limit)
    parts = replies_in(tmp_path / "split" / "outbox")
    total = len(parts)
    assert total >= 2
    for number, part in enumerate(parts, start=1):
        assert part["Subject"].endswith(f"(rhan {number} o {total})")
        assert part["Content-Language"] == "cy"
        text = " ".join(part.get_body(("plain",)).get_content().split())
        assert text.startswith("Helo,") and f"Dyma ran {number} o {total} o'n hateb" in text
        assert "rhai o adrannau'r adroddiad wedi'u darllen yn uchel" in text
        assert "This is part" not in text and "Best wishes" not in text


@pytest.mark.slow
def test_other_files_travel_whole_beside_the_audio_parts(seasons, tmp_path):
    limit, _ = seasons_limit(seasons, tmp_path)
    reply_for_parts("Four Seasons as an MP3 and in braille please", tmp_path / "split", seasons, limit)
    outbox = tmp_path / "split" / "outbox"
    sizes = [p.stat().st_size for p in outbox.glob("[!.]*.eml") if ".staff" not in p.name]
    parts = replies_in(outbox)
    assert len(parts) >= 2 and max(sizes) <= limit
    sent = [name for part in parts for name in files_of(part)]
    # The BRF and the PEF once each, whole; the audio as its numbered zips.
    assert sorted(n for n in sent if not n.startswith("four-seasons-tracks-")) == [
        "four-seasons.brf",
        "four-seasons.pef",
    ]
    zips = [n for n in sent if n.startswith("four-seasons-tracks-")]
    assert zips == [f"four-seasons-tracks-{n}-of-{len(zips)}-smaller.zip" for n in range(1, len(zips) + 1)]
    for part in parts:  # each part names exactly the files it carries
        text = part.get_body(("plain",)).get_content()
        for name in files_of(part):
            assert f"{name}: " in text
        for other in set(sent) - set(files_of(part)):
            assert other not in text
