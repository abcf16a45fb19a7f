"""Request-a-format emails end to end: real messages, a real SMTP server on loopback (aiosmtpd),
a real Maildir, real one-off builds. Conversions use the fast html stage except the option tests.
"""

from __future__ import annotations

import hashlib
import json
import mailbox
import os
import socket
import subprocess
import sys
import threading
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from pipeline import stages
from pipeline.errors import StageUnavailable
from pipeline.requests.catalogue import Catalogue, CatalogueEntry, load_catalogue
from pipeline.requests.ledger import Ledger
from pipeline.requests.parse import clean_body, html_to_text, parse_bytes
from pipeline.requests.process import Processor, Settings
from pipeline.requests.reply import OutboxTransport, ReplySettings, SmtpTransport
from pipeline.requests.understand import understand

ROOT = Path(__file__).resolve().parent.parent
US = "formats@example.org"
STAFF = "staff@example.org"
READER = "anne@example.com"

ANNUAL_REVIEW = """---
title: Annual Review 2023
author: Readers Trust
language: en-GB
aliases: [the annual review, AR23]
---
# Annual Review 2023

This year we reached more readers than ever. Thank you to every volunteer who gave their time.

## Our work

We recorded forty talking books and brailled twelve reports for readers across the country.
"""
IMPACT_REPORT = """---
title: Impact Report 2022
author: Readers Trust
language: en-GB
---
# Impact Report 2022

Our impact in 2022 was measured in the letters readers sent us.
"""


# ------------------------------------------------------------------ helpers shared with the
# crash, serve and IMAP tests (imported from there)


def make_library(root: Path) -> Path:
    sources = root / "sources"
    sources.mkdir(parents=True)
    (sources / "annual-review-2023.md").write_text(ANNUAL_REVIEW, encoding="utf-8")
    (sources / "impact-report-2022.md").write_text(IMPACT_REPORT, encoding="utf-8")
    return sources


def make_message(
    body: str = "",
    subject: str = "A request",
    *,
    sender: str = READER,
    message_id: str | None = "<req-1@example.com>",
    headers: dict | None = None,
    html: str | None = None,
    charset: str = "utf-8",
    attachment: tuple[str, str, bytes] | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = f"Anne Reader <{sender}>"
    message["To"] = US
    message["Subject"] = subject
    if message_id:
        message["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        message[name] = value
    if html is not None:
        message.set_content(html, subtype="html", charset=charset)
    else:
        message.set_content(body, charset=charset, cte="quoted-printable" if charset != "utf-8" else None)
    if attachment:
        name, media_type, data = attachment
        main, _, sub = media_type.partition("/")
        message.add_attachment(data, maintype=main, subtype=sub, filename=name)
    return bytes(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sink:
    """An aiosmtpd handler that keeps every message; it can refuse on demand."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse_data = ""  # e.g. "451 4.3.0 try later"; "" accepts
        self.refuse_rcpt: set[str] = set()
        self.rcpt_refusal = "550 5.1.1 mailbox unavailable"
        self.hang_up_after_data = False  # take the message, then drop the line before "250"
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse_rcpt:
            return self.rcpt_refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_data:
            return self.refuse_data
        with self.lock:
            self.messages.append(BytesParser(policy=policy.default).parsebytes(envelope.content))
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        if self.hang_up_after_data:
            server.transport.close()
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture
def smtp():
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    sink.port = controller.port
    yield sink
    controller.stop()


def settings_for(root: Path, transport, **overrides) -> Settings:
    values = dict(
        sources_dir=root / "sources",
        outputs_dir=root / "outputs",
        reply=ReplySettings(from_address=US, staff_address=STAFF),
        transport=transport,
        backoff_seconds=0,
    )
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def library(tmp_path):
    make_library(tmp_path)
    return tmp_path


@pytest.fixture
def service(library, smtp):
    """A Processor sending to the loopback SMTP server, and its ledger."""
    ledger = Ledger(library / "outputs" / "requests" / "ledger.sqlite3")
    processor = Processor(settings_for(library, SmtpTransport("127.0.0.1", smtp.port)), ledger)
    yield processor
    ledger.close()


def attachments(message: EmailMessage) -> dict[str, tuple[str, bytes]]:
    return {
        part.get_filename(): (part.get_content_type(), part.get_payload(decode=True))
        for part in message.iter_attachments()
    }


def plain_text(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def has_stage(name: str) -> bool:
    try:
        stages.get(name)
    except StageUnavailable:
        return False
    return True


def assert_proper_reply(reply: EmailMessage, original: bytes) -> None:
    sent = BytesParser(policy=policy.default).parsebytes(original)
    assert reply["To"] == READER
    assert reply["From"] == US
    assert reply["Subject"].startswith("Re: ")
    assert reply["Auto-Submitted"] == "auto-replied"
    if sent["Message-ID"]:
        assert reply["In-Reply-To"] == sent["Message-ID"]
        assert sent["Message-ID"] in reply["References"]
    assert reply.get_body(("plain",)) is not None and reply.get_body(("html",)) is not None


# ------------------------------------------------------------------ each kind of request


def test_plain_request_gets_the_report_as_a_web_page(service, smtp, library):
    raw = make_message(
        "Hello,\nCould I have the annual review as a web page please?\n\n"
        "-- \nAnne Reader\nBraille and large print fan"
    )
    outcome = service.receive(raw, "test")
    assert outcome.state == "replied"
    [reply] = smtp.messages
    assert_proper_reply(reply, raw)
    assert smtp.envelopes[0] == ("<>", [READER])  # RFC 3834: null return path
    files = attachments(reply)
    assert list(files) == ["annual-review-2023.html"]  # the signature's "braille" was dropped
    media_type, data = files["annual-review-2023.html"]
    assert media_type == "text/html"
    built = library / "outputs" / "requests" / outcome.request_id / "annual-review-2023.html"
    assert data == built.read_bytes()
    assert b"Thank you to every volunteer" in data
    assert "Annual Review 2023" in plain_text(reply)
    assert "Annual Review 2023" in reply.get_body(("html",)).get_content()


def test_html_only_mail_is_read_and_its_quoted_part_ignored(service, smtp):
    raw = make_message(
        html="<html><body><p>Please send the <b>Impact Report 2022</b> as a "
        "web page.</p><blockquote type='cite'>Can I have the annual review "
        "in braille?</blockquote></body></html>"
    )
    assert service.receive(raw, "test").state == "replied"
    [reply] = smtp.messages
    assert list(attachments(reply)) == ["impact-report-2022.html"]


def test_latin1_message_with_the_request_only_in_the_subject(service, smtp):
    raw = make_message(
        "Merci beaucoup, Andrée. Très gentil.",
        charset="iso-8859-1",
        subject="Annual Review as a web page, s'il vous plaît",
    )
    assert b"=E9" in raw and b"iso-8859-1" in raw  # really latin-1, quoted-printable
    message = parse_bytes(raw)
    assert "Andrée" in message.body
    assert service.receive(raw, "test").state == "replied"
    [reply] = smtp.messages
    assert reply["Subject"] == "Re: Annual Review as a web page, s'il vous plaît"
    assert list(attachments(reply)) == ["annual-review-2023.html"]


def test_two_formats_at_once(service, smtp):
    raw = make_message("Could I have the impact report as a web page and in braille?")
    assert service.receive(raw, "test").state == "replied"
    [reply] = smtp.messages
    names = set(attachments(reply))
    assert "impact-report-2022.html" in names and "impact-report-2022.brf" in names
    assert attachments(reply)["impact-report-2022.brf"][0] == stages.get("braille").media_types[".brf"]


def test_uncontracted_braille_request_gives_grade_1(service, smtp, library):
    if not has_stage("braille"):
        pytest.skip("the braille stage is not available on this machine")
    raw = make_message("Uncontracted braille of the annual review please, I'm still learning.")
    outcome = service.receive(raw, "test")
    assert outcome.state == "replied"
    brf = attachments(smtp.messages[0])["annual-review-2023.brf"][1].decode("ascii").upper()
    manifest = json.loads(
        (library / "outputs" / "requests" / outcome.request_id / "manifest.json").read_text()
    )
    assert manifest["stages"]["braille"]["options"]["table"] == "en-ueb-g1.ctb"
    # Grade 1 spells words out; grade 2 would contract "volunteer" to VOLUNT>R, "the" to "!".
    assert "VOLUNTEER" in brf and "THANK YOU" in brf
    import louis

    contracted = louis.translateString(["en-us-brf.dis", "en-ueb-g2.ctb"], "every volunteer")
    assert contracted.upper() not in brf


def test_24_point_request_gives_a_24_point_document(service, smtp, library):
    if not has_stage("large-print"):
        pytest.skip("the large-print stage is not available on this machine")
    from io import BytesIO

    from docx import Document as WordDocument

    raw = make_message("", subject="24 point large print of the annual review please")
    assert service.receive(raw, "test").state == "replied"
    files = attachments(smtp.messages[0])
    [name] = [n for n in files if n.endswith(".docx")]
    document = WordDocument(BytesIO(files[name][1]))
    paragraphs = [p for p in document.paragraphs if "volunteer" in p.text]
    assert paragraphs
    for paragraph in paragraphs:
        size = (
            next((r.font.size for r in paragraph.runs if r.font.size), None)
            or paragraph.style.font.size
            or document.styles["Normal"].font.size
        )
        assert size.pt == 24
    assert "24 point" in plain_text(smtp.messages[0])


def test_slower_audio_request_sets_the_rate():
    catalogue = Catalogue((CatalogueEntry("annual-review-2023", "Annual Review 2023", (), Path("/nowhere")),))
    understood = understand(
        "", "is there an audio version of the anual reveiw? a bit slower if possible", catalogue
    )
    assert understood.kind == "ok"
    assert [r.slug for r in understood.reports] == ["annual-review-2023"]
    assert understood.formats[0].format == "audio"
    assert understood.formats[0].options_dict == {"rate": "140"}


def test_unclear_request_asks_which_report_and_format(service, smtp):
    raw = make_message("Hello, can you help me? My eyesight is not what it was.")
    assert service.receive(raw, "test").state == "replied"
    [reply] = smtp.messages
    text = plain_text(reply)
    assert not attachments(reply)
    assert "Annual Review 2023" in text and "Impact Report 2022" in text
    assert "large print" in text and "braille" in text


def test_unknown_report_gets_the_list_of_reports(service, smtp):
    raw = make_message("The gardening newsletter in braille please.")
    assert service.receive(raw, "test").state == "replied"
    [reply] = smtp.messages
    text = plain_text(reply)
    assert "couldn't find the report" in text
    assert "Annual Review 2023" in text and "Impact Report 2022" in text
    assert not attachments(reply)


@pytest.mark.parametrize(
    "headers, sender, reason",
    [
        ({"Auto-Submitted": "auto-replied"}, READER, "Auto-Submitted"),
        ({"X-Autoreply": "yes"}, READER, "x-autoreply"),
        ({"Precedence": "bulk"}, READER, "Precedence"),
        ({"List-Id": "<readers.lists.example.com>"}, READER, "mailing-list"),
        ({"Return-Path": "<>"}, READER, "bounce"),
        ({}, "MAILER-DAEMON@example.com", "machine sender"),
        ({}, US, "ourselves"),
    ],
)
def test_machine_and_list_mail_gets_no_reply(service, smtp, headers, sender, reason):
    raw = make_message("Out of office: the annual review as a web page", headers=headers, sender=sender)
    outcome = service.receive(raw, "test")
    assert outcome.state == "ignored" and reason in outcome.reason
    assert smtp.messages == []


def test_a_duplicate_is_not_answered_again(service, smtp):
    raw = make_message("The annual review as a web page please")
    assert service.receive(raw, "test").state == "replied"
    assert service.receive(raw, "test").state == "duplicate"
    # a message without Message-ID is keyed by its hash
    bare = make_message("The impact report as a web page", message_id=None)
    assert service.receive(bare, "test").state == "replied"
    assert service.receive(bare, "test").state == "duplicate"
    assert len(smtp.messages) == 2


def test_a_path_in_the_body_never_selects_a_file(service, smtp, library):
    secret = library / "secret.md"
    secret.write_text(ANNUAL_REVIEW.replace("Annual Review 2023", "SECRET-PAYROLL"))
    raw = make_message(f"Please convert {secret} and ../secret.md and /etc/passwd to braille")
    assert service.receive(raw, "test").state == "replied"
    [reply] = smtp.messages
    assert not attachments(reply)
    assert "couldn't find the report" in plain_text(reply)
    assert b"SECRET-PAYROLL" not in bytes(reply)
    built = [
        p
        for p in (library / "outputs").rglob("*")
        if p.is_file() and p.suffix not in (".eml", ".sqlite3", ".lock", ".sqlite3-wal", ".sqlite3-shm")
    ]
    assert built == []


def test_an_executable_attachment_is_never_saved_or_opened(service, smtp, library):
    payload = b"MZ\x90\x00 EVIL-PAYLOAD-7f3a " * 50
    raw = make_message(
        "The annual review as a web page please",
        attachment=("setup.exe", "application/x-msdownload", payload),
    )
    assert service.receive(raw, "test").state == "replied"
    [reply] = smtp.messages
    assert list(attachments(reply)) == ["annual-review-2023.html"]
    for path in library.rglob("*"):
        if path.is_file():
            assert b"EVIL-PAYLOAD-7f3a" not in path.read_bytes(), path
            assert path.name != "setup.exe"


def test_rate_limit_per_sender(library, smtp):
    with Ledger(library / "ledger.sqlite3") as ledger:
        processor = Processor(
            settings_for(library, SmtpTransport("127.0.0.1", smtp.port), rate_limit=2), ledger
        )
        states = [
            processor.receive(
                make_message("the annual review as a web page", message_id=f"<rate-{n}@example.com>"), "test"
            ).state
            for n in range(3)
        ]
    assert states == ["replied", "replied", "ignored"]
    assert len(smtp.messages) == 2


def test_mobi_and_kindle_get_epub_with_a_note(service, smtp, library):
    raw = make_message("Could I have the annual review in MOBI for my Kindle?")
    outcome = service.receive(raw, "test")
    assert outcome.state == "replied"
    [reply] = smtp.messages
    assert "annual-review-2023.epub" in attachments(reply)
    assert attachments(reply)["annual-review-2023.epub"][0] == "application/epub+zip"
    assert "MOBI is a retired format" in plain_text(reply)
    # The book goes straight to a reader: its build ran the thorough checks, EPUBCheck included.
    manifest = json.loads(
        (library / "outputs" / "requests" / outcome.request_id / "manifest.json").read_text()
    )
    epubcheck = manifest["stages"]["epub"]["checks"]["metrics"]["epubcheck"]
    assert epubcheck["run"] is True and epubcheck["errors"] == epubcheck["fatal"] == 0, epubcheck


def test_a_format_not_available_yet_offers_the_nearest(service, smtp, monkeypatch):
    # The registry's own mechanism: a stage whose module does not exist is unavailable.
    monkeypatch.setitem(stages.STAGE_MODULES, "audio", "pipeline.stages.audio_not_built_here")
    raw = make_message("Is there an audio version of the annual review?")
    assert service.receive(raw, "test").state == "replied"
    [reply] = smtp.messages
    text = plain_text(reply)
    assert not attachments(reply)
    assert "We can't make the audio (MP3) yet: we are still building it." in text
    assert "We can send the EPUB 3 e-book instead" in text


def test_files_above_the_size_limit_are_collected_not_attached(library, smtp):
    with Ledger(library / "ledger.sqlite3") as ledger:
        settings = settings_for(
            library,
            SmtpTransport("127.0.0.1", smtp.port),
            reply=ReplySettings(US, STAFF, size_limit=100, collect_url="https://example.org/r/"),
        )
        outcome = Processor(settings, ledger).receive(make_message("the annual review as a web page"), "test")
    [reply] = smtp.to(READER)
    assert not attachments(reply)
    assert f"https://example.org/r/{outcome.request_id}/" in plain_text(reply)


def test_default_options_reuse_the_standard_output_without_touching_it(service, smtp, library):
    from pipeline.build import build_report

    standard = library / "outputs" / "annual-review-2023"
    build_report(library / "sources" / "annual-review-2023.md", standard, ["html"], show_progress=False)
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in standard.iterdir() if p.is_file()}
    outcome = service.receive(make_message("the annual review as a web page"), "test")
    request_dir = library / "outputs" / "requests" / outcome.request_id
    assert not (request_dir / "manifest.json").exists()  # copied, not rebuilt
    copied = (request_dir / "annual-review-2023.html").read_bytes()
    recorded = json.loads((standard / "manifest.json").read_text())["stages"]["html"]["outputs"]
    assert hashlib.sha256(copied).hexdigest() == recorded[0]["sha256"]
    after = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in standard.iterdir() if p.is_file()}
    assert after == before


# ------------------------------------------------------------------ SMTP refusing or down


@pytest.mark.parametrize("refusal", ["451 4.3.0 try again later", "452 4.3.1 out of storage"])
def test_smtp_refusal_is_retried_and_answered_when_back(service, smtp, refusal):
    smtp.refuse_data = refusal
    raw = make_message("the annual review as a web page")
    outcome = service.receive(raw, "test")
    assert outcome.state == "ready" and refusal.split()[0] in outcome.reason
    assert [o.state for o in service.resume_pending()] == ["ready"]  # still refusing
    smtp.refuse_data = ""
    assert [o.state for o in service.resume_pending()] == ["replied"]
    assert [o.state for o in service.resume_pending()] == []
    assert len(smtp.to(READER)) == 1
    row = service.ledger.get(parse_bytes(raw).key)
    assert row.attempts == 3 and row.state == "replied"


def test_smtp_down_then_back(library):
    port = free_port()
    with Ledger(library / "ledger.sqlite3") as ledger:
        processor = Processor(settings_for(library, SmtpTransport("127.0.0.1", port, timeout=5)), ledger)
        outcome = processor.receive(make_message("the annual review as a web page"), "test")
        assert outcome.state == "ready" and "Connection refused" in outcome.reason
        sink = Sink()
        controller = Controller(sink, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            assert [o.state for o in processor.resume_pending()] == ["replied"]
        finally:
            controller.stop()
    assert len(sink.to(READER)) == 1


def test_back_off_waits_between_attempts(library, smtp):
    smtp.refuse_data = "451 later"
    with Ledger(library / "ledger.sqlite3") as ledger:
        processor = Processor(
            settings_for(library, SmtpTransport("127.0.0.1", smtp.port), backoff_seconds=3600), ledger
        )
        processor.receive(make_message("the annual review as a web page"), "test")
        smtp.refuse_data = ""
        # not due for an hour: nothing is sent yet
        assert [o.state for o in processor.resume_pending()] == ["ready"]
        [row] = ledger.pending()
        assert row.next_attempt_at > row.updated_at + 3500
    assert smtp.messages == []


def test_giving_up_tells_staff(library, smtp):
    smtp.refuse_rcpt = {READER}
    smtp.rcpt_refusal = "450 4.2.1 mailbox busy, try later"
    with Ledger(library / "ledger.sqlite3") as ledger:
        processor = Processor(
            settings_for(library, SmtpTransport("127.0.0.1", smtp.port), max_attempts=2), ledger
        )
        processor.receive(make_message("the annual review as a web page"), "test")
        [outcome] = processor.resume_pending()
    assert outcome.state == "failed" and "gave up after 2 attempts" in outcome.reason
    [notice] = smtp.to(STAFF)
    assert "could not be sent" in notice["Subject"]
    assert READER in notice.get_content()


# ------------------------------------------------------------------ parsing and understanding


def test_quoted_replies_and_signatures_are_dropped():
    text = "Large print please.\n\nOn Tue, 2 Jan 2024, Formats wrote:\n> braille\n> audio\n"
    assert clean_body(text) == "Large print please."
    assert clean_body("Audio please\n> old braille\n--\u0020\nAnne\nBraille reader") == "Audio please"
    assert html_to_text("<p>One</p><div class='gmail_quote'>braille</div><p>Two</p>") == "One\nTwo"


def test_base64_and_an_unknown_charset_are_decoded():
    message = EmailMessage()
    message["From"] = READER
    message["Subject"] = "x"
    message.set_content("Large print of the impact report, 20pt", cte="base64")
    assert "20pt" in parse_bytes(bytes(message)).body
    weird = (
        b"From: a@example.com\nSubject: hi\nContent-Type: text/plain; charset=x-unknown\n\nbraille please\n"
    )
    assert parse_bytes(weird).body == "braille please"


def test_bodies_and_subjects_are_capped():
    message = parse_bytes(make_message("braille " * 10_000, subject="s" * 5000))
    assert len(message.body) <= 20_000 and len(message.subject) <= 300


CATALOGUE = Catalogue(
    (
        CatalogueEntry("annual-review-2023", "Annual Review 2023", ("the annual review",), Path("/a")),
        CatalogueEntry("annual-review-2022", "Annual Review 2022", (), Path("/b")),
        CatalogueEntry("impact-report-2022", "Impact Report 2022", (), Path("/c")),
    )
)


@pytest.mark.parametrize(
    "text, reports, formats",
    [
        ("Could I have the annual review in braille?", ["annual-review-2023"], [("braille", {})]),
        (
            "24 point large print please, impact report",
            ["impact-report-2022"],
            [("large-print", {"font_size": "24"})],
        ),
        (
            "Impact report 2022 in big print, size 20, on cream paper",
            ["impact-report-2022"],
            [("large-print", {"font_size": "20", "paper_colour": "cream"})],
        ),
        (
            "impact report: bigger text, 22pt, high contrast please",
            ["impact-report-2022"],
            [("large-print", {"font_size": "22", "high_contrast": "true"})],
        ),
        (
            "uncontracted braille, I'm still learning. Impact report",
            ["impact-report-2022"],
            [("braille", {"table": "en-ueb-g1.ctb"})],
        ),
        (
            "impact report in contracted braille on my embosser",
            ["impact-report-2022"],
            [("braille", {"table": "en-ueb-g2.ctb"})],
        ),
        (
            "impact report in Welsh braille grade 1",
            ["impact-report-2022"],
            [("braille", {"table": "cy-cy-g1.utb"})],
        ),
        ("Annual Review 2022 as an MP3, faster please", ["annual-review-2022"], [("audio", {"rate": "210"})]),
        ("the impact report for my screen reader", ["impact-report-2022"], [("word", {})]),
        ("the impact report, not braille, an ebook please", ["impact-report-2022"], [("epub", {})]),
        ("Impact report as a DAISY book", ["impact-report-2022"], [("daisy", {})]),
        ("Impact report as a Word document and a PDF", ["impact-report-2022"], [("word", {}), ("pdf", {})]),
        ("IMPACT-REPORT-2022 in BRF", ["impact-report-2022"], [("braille", {})]),
    ],
)
def test_understanding_table(text, reports, formats):
    understood = understand("", text, CATALOGUE)
    assert [entry.slug for entry in understood.reports] == reports
    assert [(f.format, f.options_dict) for f in understood.formats] == formats


def test_years_pick_the_right_report_and_a_missing_year_picks_the_latest():
    assert [e.slug for e in understand("", "annual review 2022 in braille", CATALOGUE).reports] == [
        "annual-review-2022"
    ]
    catalogue = Catalogue(
        CATALOGUE.entries[1:] + (CatalogueEntry("annual-review-2023", "Annual Review 2023", (), Path("/a")),)
    )
    understood = understand("", "the anual review in braille", catalogue)
    assert [e.slug for e in understood.reports] == ["annual-review-2023"]
    assert understood.newest_of_series == "Annual Review 2023"


def test_the_report_means_the_only_report_and_welsh_is_understood():
    only = Catalogue((CatalogueEntry("impact-report-2023", "Doing It Together", (), Path("/a")),))
    for text, format_name in [
        ("a allwn i gael yr adroddiad mewn braille?", "braille"),
        ("print bras o'r adroddiad, os gwelwch yn dda", "large-print"),
        ("Oes fersiwn sain o'r adroddiad?", "audio"),
        ("Could I have the report read out to me?", "audio"),
    ]:
        understood = understand("", text, only)
        assert [e.slug for e in understood.reports] == ["impact-report-2023"], text
        assert [f.format for f in understood.formats] == [format_name], text
        assert understood.language == ("en" if text.startswith("Could") else "cy"), text
    assert understand("", "braille please", only).kind == "unknown-report"


def test_formats_we_cannot_make_offer_the_nearest():
    understood = understand("", "impact report in Moon type", CATALOGUE)
    assert understood.kind == "ok"
    assert [(c.asked, c.nearest) for c in understood.cannot_make] == [("Moon", "braille")]


def test_catalogue_reads_titles_and_aliases(library):
    catalogue = load_catalogue(library / "sources")
    assert catalogue.titles() == ["Annual Review 2023", "Impact Report 2022"]
    assert "AR23" in catalogue.by_slug("annual-review-2023").aliases


# ------------------------------------------------------------------ the commands


def serve_args(root: Path, smtp_port: int, *extra: str) -> tuple[str, ...]:
    """`serve --once` over root's Maildir, sources and outputs, replying through the SMTP server
    on loopback at smtp_port (one place for the arguments every serve test shares)."""
    return (
        "serve",
        "--maildir",
        str(root / "Maildir"),
        "--once",
        "--sources",
        str(root / "sources"),
        "--outputs",
        str(root / "outputs"),
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        str(smtp_port),
        "--from",
        US,
        *extra,
    )


def run_cli(*args: str, env: dict | None = None, cwd: Path | None = None):
    code = (
        "import argparse, sys\n"
        "from pipeline.requests import commands\n"
        "parser = argparse.ArgumentParser(prog='accessible-formats')\n"
        "commands.register(parser.add_subparsers())\n"
        "args = parser.parse_args(sys.argv[1:])\n"
        "raise SystemExit(args.func(args))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            # a developer's own settings file stays out
            "ACCESSIBLE_FORMATS_CONFIG": os.devnull,
            **(env or {}),
        },
        timeout=300,
    )


def test_request_command_with_outbox_and_ledger_listing(library):
    message = library / "one.eml"
    message.write_bytes(make_message("the annual review as a web page"))
    common = ["--sources", str(library / "sources"), "--outputs", str(library / "outputs")]
    result = run_cli(
        "request", str(message), *common, "--outbox", str(library / "outbox"), "--from", US, "--json"
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["summary"] == {"answered": 1}
    [eml] = (library / "outbox").glob("[!.]*.eml")
    assert "annual-review-2023.html" in eml.read_text()
    listing = run_cli("requests", *common, "--json")
    [row] = json.loads(listing.stdout)
    assert row["state"] == "replied" and row["sender"] == READER
    again = run_cli("request", str(message), *common, "--outbox", str(library / "outbox"), "--from", US)
    assert "duplicates" in again.stderr and len(list((library / "outbox").glob("*.eml"))) == 1


def test_commands_fail_clearly_without_a_traceback(library):
    missing = run_cli("request", str(library / "nope.eml"), "--outbox", "x", "--from", US)
    assert missing.returncode == 2 and "no such message file" in missing.stderr
    no_route = run_cli("serve", "--maildir", str(library), "--once", "--from", US)
    assert no_route.returncode == 2 and "--outbox DIR, or --smtp-host" in no_route.stderr
    not_maildir = run_cli(
        "serve",
        "--maildir",
        str(library),
        "--once",
        "--from",
        US,
        "--outbox",
        str(library / "o"),
        "--outputs",
        str(library / "outputs"),
    )
    assert not_maildir.returncode == 2 and "is not a Maildir" in not_maildir.stderr
    for result in (missing, no_route, not_maildir):
        assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_serve_maildir_fifty_messages(library, smtp):
    box = mailbox.Maildir(str(library / "Maildir"), create=True)
    kinds = [
        ("the annual review as a web page", {}),
        ("the impact report as a web page", {}),
        ("Auto reply: I am away", {"Auto-Submitted": "auto-replied"}),
        ("list digest", {"List-Id": "<x.example.com>"}),
        ("hello, what do you have?", {}),
    ]
    for number in range(50):
        body, headers = kinds[number % len(kinds)]
        box.add(
            make_message(
                body,
                message_id=f"<fifty-{number}@example.com>",
                headers=headers,
                sender=f"reader{number}@example.com",
            )
        )
    result = run_cli(*serve_args(library, smtp.port, "--json"))
    assert result.returncode == 0, result.stderr
    assert "[50/50]" in result.stderr and "[1/50]" in result.stderr
    assert "50 messages: 30 answered, 20 ignored, 0 failed" in result.stderr
    assert json.loads(result.stdout)["summary"] == {"answered": 30, "ignored": 20}
    assert len(smtp.messages) == 30
    assert all("S" in box.get_message(key).get_flags() for key in box.keys())
    second = run_cli(*serve_args(library, smtp.port))
    assert "0 messages" in second.stderr and len(smtp.messages) == 30


# ------------------------------------------------------------------ one bad request never stops
# the service; uncertain sends; mail a person has already read


def _maildir_with(root: Path, *messages: bytes) -> mailbox.Maildir:
    box = mailbox.Maildir(str(root / "Maildir"), create=True)
    for raw in messages:
        box.add(raw)
    return box


@pytest.mark.parametrize("where", ["Reply-To", "From"])
def test_a_non_ascii_address_fails_alone_and_the_next_message_is_answered(library, where):
    # Attack 1: a server without SMTPUTF8 cannot carry josé@: that request fails alone (staff
    # told, with the reason), the next message is answered, and later passes are not stopped.
    from pipeline.requests.intake import process_maildir

    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port(), enable_SMTPUTF8=False)
    controller.start()
    try:
        with Ledger(library / "ledger.sqlite3") as ledger:
            service = Processor(settings_for(library, SmtpTransport("127.0.0.1", controller.port)), ledger)
            odd = "josé@example.com"
            bad = make_message(
                "the annual review as a web page",
                message_id="<odd@example.com>",
                **({"headers": {"Reply-To": odd}} if where == "Reply-To" else {"sender": odd}),
            )
            good = make_message("the impact report as a web page", message_id="<good@example.com>")
            _maildir_with(library, bad, good)
            summary = process_maildir(library / "Maildir", service)
            # (Maildir keys of messages added in the same second sort in no particular order.)
            by_state = {o.state: o for o in summary.outcomes}
            assert sorted(by_state) == ["failed", "replied"]
            assert "SMTPUTF8" in by_state["failed"].reason
            [reply] = sink.to(READER)
            assert reply["In-Reply-To"] == "<good@example.com>"
            [notice] = sink.to(STAFF)
            assert odd in notice.get_content()
            assert process_maildir(library / "Maildir", service).outcomes == []
    finally:
        controller.stop()


def test_a_non_ascii_address_is_answered_with_smtputf8_when_offered(service, smtp, library):
    odd = "josé@exämple.net"
    outcome = service.receive(make_message("the annual review as a web page", sender=odd), "test")
    assert outcome.state == "replied", outcome.reason
    [(_, recipients)] = [e for e in smtp.envelopes if e[1] != [STAFF]]
    assert recipients == ["josé@xn--exmple-cua.net"]  # the domain in IDNA, the local part UTF-8


def test_a_non_ascii_domain_needs_no_smtputf8(library):
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port(), enable_SMTPUTF8=False)
    controller.start()
    try:
        with Ledger(library / "ledger.sqlite3") as ledger:
            service = Processor(settings_for(library, SmtpTransport("127.0.0.1", controller.port)), ledger)
            outcome = service.receive(
                make_message("the annual review as a web page", sender="anne@exämple.net"), "test"
            )
        assert outcome.state == "replied", outcome.reason
        [reply] = sink.messages
        assert reply["To"] == "anne@xn--exmple-cua.net"
    finally:
        controller.stop()


def test_an_unexpected_error_fails_that_row_only_and_staff_are_told(service, smtp):
    # A row the processor cannot read (here: its saved message damaged in the ledger) used to
    # stop every pass, since each pass starts by resuming pending rows.
    broken, fine = (
        parse_bytes(make_message(f"the {name} as a web page", message_id=f"<{name.replace(' ', '-')}@x.org>"))
        for name in ("annual review", "impact report")
    )
    service.ledger.claim(broken, "test")
    service.ledger.claim(fine, "test")
    service.ledger.db.execute("UPDATE requests SET parsed = '{}' WHERE key = ?", (broken.key,))
    outcomes = service.resume_pending()
    assert [o.state for o in outcomes] == ["failed", "replied"]
    assert "unexpected error" in outcomes[0].reason
    assert len(smtp.to(READER)) == 1 and len(smtp.to(STAFF)) == 1


def test_an_outbox_that_cannot_be_written_is_retried(library):
    blocked = library / "outbox"
    blocked.write_text("a file where the outbox folder should be")
    with Ledger(library / "ledger.sqlite3") as ledger:
        processor = Processor(settings_for(library, OutboxTransport(blocked)), ledger)
        outcome = processor.receive(make_message("the annual review as a web page"), "test")
        assert outcome.state == "ready" and "outbox" in outcome.reason
        blocked.unlink()
        assert [o.state for o in processor.resume_pending()] == ["replied"]
    assert len(list(blocked.glob("[!.]*.eml"))) == 1


def test_a_missing_saved_reply_is_made_again(service, smtp, library):
    smtp.refuse_data = "451 4.3.0 later"
    outcome = service.receive(make_message("the annual review as a web page"), "test")
    assert outcome.state == "ready"
    saved = library / "outputs" / "requests" / outcome.request_id / "reply.eml"
    saved.unlink()
    smtp.refuse_data = ""
    assert [o.state for o in service.resume_pending()] == ["replied"]
    [reply] = smtp.to(READER)
    assert list(attachments(reply)) == ["annual-review-2023.html"]


def test_a_connection_lost_before_the_250_is_sent_again_with_the_same_message_id(service, smtp):
    # The reply-loss window: the server took the message but the "250" never arrived. It is
    # sent again, as the same message (same Message-ID), so it is never lost and the copy is
    # recognisably a duplicate.
    smtp.hang_up_after_data = True
    outcome = service.receive(make_message("the annual review as a web page"), "test")
    assert outcome.state == "ready" and "same Message-ID" in outcome.reason
    smtp.hang_up_after_data = False
    assert [o.state for o in service.resume_pending()] == ["replied"]
    assert service.resume_pending() == []
    copies = smtp.to(READER)
    assert len(copies) == 2 and len({m["Message-ID"] for m in copies}) == 1


def test_a_message_a_person_has_already_read_is_still_answered_once(service, smtp, library):
    from pipeline.requests.intake import process_maildir

    box = _maildir_with(library)
    read_by_staff = mailbox.MaildirMessage(make_message("the annual review as a web page"))
    read_by_staff.set_subdir("cur")
    read_by_staff.add_flag("S")
    box.add(read_by_staff)
    assert [o.state for o in process_maildir(library / "Maildir", service).outcomes] == ["replied"]
    assert process_maildir(library / "Maildir", service).outcomes == []
    assert len(smtp.to(READER)) == 1


def test_serve_keeps_running_after_a_failed_pass(service, smtp, library, capsys):
    from pipeline.requests.intake import process_maildir, serve

    passes = []

    def one_pass():
        passes.append(1)
        if len(passes) == 2:  # the mail store appears (e.g. a mount comes back)
            _maildir_with(library, make_message("the annual review as a web page"))
        if len(passes) == 3:
            raise KeyboardInterrupt  # Ctrl-C: stop between passes
        return process_maildir(library / "Maildir", service)

    total = serve(one_pass, once=False, interval=0)
    assert len(passes) == 3
    assert "is not a Maildir" in capsys.readouterr().err
    assert [o.state for o in total.outcomes] == ["replied"]
    with pytest.raises(Exception, match="is not a Maildir"):  # --once: cron sees the error
        serve(lambda: process_maildir(library / "nowhere", service), once=True, interval=0)


def test_staff_notices_for_one_request_do_not_overwrite_each_other(library):
    outbox = library / "outbox"
    with Ledger(library / "ledger.sqlite3") as ledger:
        processor = Processor(settings_for(library, OutboxTransport(outbox)), ledger)
        row, _ = ledger.claim(parse_bytes(make_message("hello")), "test")
        processor._notify_staff(row, "first problem", ["one"])
        processor._notify_staff(row, "second problem", ["two"])
    subjects = sorted(
        BytesParser(policy=policy.default).parsebytes(p.read_bytes())["Subject"]
        for p in outbox.glob(f"{row.request_id}.staff*.eml")
    )
    assert [s.split("] ")[1].split(":")[0] for s in subjects] == ["first problem", "second problem"]


def test_a_message_too_large_to_read_is_answered_and_staff_are_told(service, smtp, monkeypatch):
    from pipeline.requests import parse

    monkeypatch.setattr(parse, "MAX_MESSAGE_BYTES", 2000)
    raw = make_message("the annual review as a web page\n" + "please " * 500)
    outcome = service.receive(raw, "test")
    assert outcome.state == "replied"
    [reply] = smtp.to(READER)
    assert "too large for us to read" in plain_text(reply) and not attachments(reply)
    [notice] = smtp.to(STAFF)
    assert "too large" in notice["Subject"]


def test_a_standard_output_built_with_other_tool_versions_is_not_reused(service, smtp, library, monkeypatch):
    import dataclasses
    import importlib

    from pipeline.build import build_report

    html_module = importlib.import_module(stages.STAGE_MODULES["html"])
    [html_stage] = [s for s in html_module.STAGES if s.name == "html"]
    older = dataclasses.replace(
        html_stage, tool_versions=lambda: {**html_stage.tool_versions(), "markdown-it-py": "0.0.1-older"}
    )
    with monkeypatch.context() as patch:  # the standard build ran with an older tool
        patch.setattr(html_module, "STAGES", [older if s is html_stage else s for s in html_module.STAGES])
        build_report(
            library / "sources" / "annual-review-2023.md",
            library / "outputs" / "annual-review-2023",
            ["html"],
            show_progress=False,
        )
    outcome = service.receive(make_message("the annual review as a web page"), "test")
    assert outcome.state == "replied"
    request_dir = library / "outputs" / "requests" / outcome.request_id
    assert (request_dir / "manifest.json").is_file()  # built again, not copied


# ------------------------------------------------------------------ the settings file


def write_settings(folder: Path, text: str) -> Path:
    path = folder / "accessible-formats.toml"
    path.write_text(text, encoding="utf-8")
    return path


SETTINGS = f"""
[service]
from_address = "{US}"
organisation = "Kettle and Compass"
staff_address = "{STAFF}"
size_limit_mb = 2.5
collect_url = "https://example.org/collect/"
rate_limit = 3
outbox = "replies"
"""


def test_a_request_runs_from_the_settings_file_alone(library):
    write_settings(library, SETTINGS)
    (library / "one.eml").write_bytes(make_message("the annual review as a web page"))
    # No options at all, as `make request EMAIL=one.eml` runs it; the file is found beside us.
    result = run_cli("request", "one.eml", cwd=library, env={"ACCESSIBLE_FORMATS_CONFIG": ""})
    assert result.returncode == 0, result.stderr
    [eml] = (library / "replies").glob("[!.]*.eml")
    reply = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
    assert reply["From"] == US and list(attachments(reply)) == ["annual-review-2023.html"]
    assert plain_text(reply).replace("\r\n", "\n").rstrip().endswith("Best wishes,\nKettle and Compass")
    assert STAFF in plain_text(reply)


def test_the_environment_overrides_the_file_and_options_override_both(library):
    write_settings(library, SETTINGS)
    (library / "one.eml").write_bytes(
        make_message("the annual review as a web page", message_id="<env-1@example.com>")
    )
    (library / "two.eml").write_bytes(
        make_message("the annual review as a web page", message_id="<env-2@example.com>")
    )
    env = {
        "ACCESSIBLE_FORMATS_CONFIG": "",
        "ACCESSIBLE_FORMATS_FROM": "env@example.org",
        "ACCESSIBLE_FORMATS_ORGANISATION": "Env Org",
    }
    assert run_cli("request", "one.eml", cwd=library, env=env).returncode == 0
    assert (
        run_cli(
            "request",
            "two.eml",
            "--from",
            "option@example.org",
            "--organisation",
            "Option Org",
            cwd=library,
            env=env,
        ).returncode
        == 0
    )
    replies = {
        m["In-Reply-To"]: m
        for m in (
            BytesParser(policy=policy.default).parsebytes(p.read_bytes())
            for p in (library / "replies").glob("[!.]*.eml")
        )
    }
    assert replies["<env-1@example.com>"]["From"] == "env@example.org"
    assert plain_text(replies["<env-1@example.com>"]).rstrip().endswith("Env Org")
    assert replies["<env-2@example.com>"]["From"] == "option@example.org"
    assert plain_text(replies["<env-2@example.com>"]).rstrip().endswith("Option Org")


def test_the_settings_file_gives_every_setting(library):
    import argparse

    from pipeline.requests import commands

    path = write_settings(
        library,
        SETTINGS + '\n[smtp]\nhost = "mail.example.org"\nport = 587\n'
        "starttls = true\n\n[imap]\n"
        'url = "imaps://formats@mail.example.org/INBOX"\n',
    )
    parser = argparse.ArgumentParser()
    commands.register(parser.add_subparsers())
    args = parser.parse_args(["request", "x.eml", "--config", str(path)])
    settings = commands.settings_from(args)
    assert settings.reply.from_address == US and settings.reply.staff_address == STAFF
    assert settings.reply.organisation == "Kettle and Compass"
    assert settings.reply.size_limit == int(2.5 * 2**20)
    assert settings.reply.collect_url == "https://example.org/collect/"
    assert settings.rate_limit == 3
    assert isinstance(settings.transport, OutboxTransport)  # the outbox wins over SMTP
    config = commands.service_config(args)
    assert (config.smtp_host, config.smtp_port, config.smtp_starttls) == ("mail.example.org", 587, True)
    assert config.imap_url == "imaps://formats@mail.example.org/INBOX"
    args = parser.parse_args(["request", "x.eml", "--config", str(path), "--outbox", ""])
    assert isinstance(commands.settings_from(args).transport, SmtpTransport)


@pytest.mark.parametrize(
    "text, message",
    [
        ('[service]\nfrom_address = "formats@example.org\n', "line 2"),
        ('[service]\nfrom_adress = "formats@example.org"\n', "unknown setting [service] from_adress"),
        ('[smtp]\npassword = "hunter2"\n', "passwords do not belong in this file"),
        ('[service]\nrate_limit = "ten"\n', "[service] rate_limit: 'ten' is not a whole number"),
        ("[smtp]\nport = 5.5\n", "is not a whole number"),
    ],
)
def test_a_wrong_settings_file_is_a_clear_error(library, text, message):
    path = write_settings(library, text)
    (library / "one.eml").write_bytes(make_message("the annual review as a web page"))
    result = run_cli(
        "request",
        "one.eml",
        "--outbox",
        "o",
        "--from",
        US,
        cwd=library,
        env={"ACCESSIBLE_FORMATS_CONFIG": str(path)},
    )
    assert result.returncode == 2
    assert str(path) in result.stderr and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_from_address_is_the_same_clear_error(library):
    write_settings(library, '[service]\noutbox = "replies"\n')
    (library / "one.eml").write_bytes(make_message("the annual review as a web page"))
    result = run_cli("request", "one.eml", cwd=library, env={"ACCESSIBLE_FORMATS_CONFIG": ""})
    assert result.returncode == 2
    assert "say which address replies come from: --from formats@example.org" in result.stderr
    assert "accessible-formats.toml" in result.stderr and "Traceback" not in result.stderr
    assert not (library / "replies").exists()


def test_the_committed_example_settings_file_is_valid():
    from pipeline.requests.config import load_config

    config = load_config(ROOT / "accessible-formats.example.toml", environ={})
    assert "@" in config.from_address and config.smtp_host and config.imap_url
    assert config.size_limit_mb == 15 and config.rate_limit == 10


def test_a_maildir_is_read_in_the_order_the_messages_arrived(tmp_path, smtp):
    """Maildir keys carry the delivery time, its microseconds unpadded: sorted as text,
    "1700000000.M100000..." (later) comes before "1700000000.M99999..." (earlier)."""
    make_library(tmp_path)
    box = tmp_path / "Maildir"
    for folder in ("new", "cur", "tmp"):
        (box / folder).mkdir(parents=True)
    first = make_message("The annual review as a web page, please", message_id="<first@x.org>")
    second = make_message("The impact report as a web page", message_id="<second@x.org>")
    (box / "new" / "1700000000.M99999P10Q1.host").write_bytes(first)
    (box / "new" / "1700000000.M100000P10Q2.host").write_bytes(second)
    served = run_cli(*serve_args(tmp_path, smtp.port))
    assert served.returncode == 0, served.stderr
    assert [m["In-Reply-To"] for m in smtp.to(READER)] == ["<first@x.org>", "<second@x.org>"]
