"""Replies: plain text with an HTML alternative, files attached, sent over SMTP or to an outbox.

Every reply goes to one address only (the sender, or their Reply-To), says "Re:", threads with
In-Reply-To/References, and carries `Auto-Submitted: auto-replied` (RFC 3834) so other robots
do not answer it.

Every sentence a requester reads is a message id of pipeline/i18n.py's catalogues, written in the
language of the request (`_ = words_for(understanding.language)`): English and Welsh. Each
attachment is named with who it is for and how to open it.
"""

from __future__ import annotations

import html
import os
import re
import smtplib
import ssl
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

from ..i18n import Words, words_for
from .catalogue import Catalogue, CatalogueEntry
from .convert import Attachment, Conversion, MadeFormat, Said
from .parse import ParsedMessage
from .understand import FORMAT_LABELS, N_, CannotMake, Understanding

DEFAULT_SIZE_LIMIT = 15 * 1024 * 1024
SIGN_OFF = N_("The accessible formats team")

# What each file is, who it is for and how to open it, by its role (convert.Attachment.role).
FILE_WORDS = {
    "brf": N_("{name}: braille ready to emboss, or to read on a braille display or notetaker (BRF)."),
    "pef": N_("{name}: the same braille as a PEF file, for embossers and braille apps that read PEF."),
    "pef-only": N_(
        "{name}: 8-dot computer braille as a PEF file, for embossers and braille "
        "apps that read PEF. There is no BRF file: BRF holds 6-dot braille only."
    ),
    "large-print": N_(
        "{name}: large print for reading on paper or on screen. Open it in Word, "
        "LibreOffice or Pages, and print it on A4 paper."
    ),
    "word": N_(
        "{name}: a Word document for screen readers, and for changing the text size or "
        "colours. Open it in Word, LibreOffice, Pages or Google Docs."
    ),
    "pdf": N_(
        "{name}: a tagged PDF for screen readers and for printing. Open it in Adobe "
        "Acrobat Reader or your web browser."
    ),
    "epub": N_(
        "{name}: an EPUB 3 e-book for reading apps such as Apple Books, Thorium Reader, "
        "Google Play Books or a Kobo; Kindles read it through Send to Kindle."
    ),
    "mp3": N_(
        "{name}: the whole report read aloud as one MP3 file, with a chapter at each "
        "heading. Open it in any music or podcast app, or copy it to an MP3 or DAISY "
        "player."
    ),
    "tracks": N_(
        "{name}: the report read aloud as one MP3 file per section, with a playlist, "
        "in a zip file. Unzip it (open it, then choose Extract all) and copy the folder "
        "to your player: the files play in order."
    ),
    "tracks-part": N_(
        "{name}: some of the sections of the report read aloud, one MP3 file per "
        "section, in a zip file. Unzip it (open it, then choose Extract all)."
    ),
    "daisy": N_(
        "{name}: a DAISY talking book (the text and the audio together) in a zip file. "
        "Unzip it and open the folder in a DAISY app such as Dolphin EasyReader or "
        "Thorium Reader, or copy the folder to a DAISY player such as a Victor Reader "
        "Stream or a Plextalk."
    ),
    "html": N_("{name}: a web page. Open it in any web browser (double-click it)."),
}
BRAILLE_CODE_NAMES = {
    "en-ueb": N_("English (UEB)"),
    "en-us": N_("American English"),
    "cy": N_("Welsh"),
    "fr": N_("French"),
    "de": N_("German"),
    "es": N_("Spanish"),
    "ga": N_("Irish"),
}
PAPER_COLOURS = {
    "cream": N_("cream"),
    "yellow": N_("yellow"),
    "buff": N_("buff"),
    "blue": N_("blue"),
    "pink": N_("pink"),
    "green": N_("green"),
    "lilac": N_("lilac"),
    "grey": N_("grey"),
    "ivory": N_("ivory"),
}
FORMAT_LIST = [
    N_("large print (any size from 16 to 48 point, and paper colour)"),
    N_(
        "braille (grade 1 uncontracted, grade 2 contracted or 8-dot computer "
        "braille; English or Welsh; any page size)"
    ),
    N_("audio (MP3, slower or faster if you like)"),
    N_("DAISY talking book"),
    N_("EPUB e-book (also for Kindle)"),
    N_("Word document"),
    N_("PDF"),
    N_("web page (HTML)"),
]

# A reply body: paragraphs (str) and bullet lists (list[str]), rendered twice (text and HTML).
Body = list["str | list[str]"]


@dataclass(frozen=True)
class ReplySettings:
    from_address: str
    staff_address: str = ""
    size_limit: int = DEFAULT_SIZE_LIMIT
    collect_url: str = ""  # where large files can be collected: <collect_url><request-id>/
    organisation: str = ""  # signs the replies; "" -> "The accessible formats team"


# ------------------------------------------------------------------ wording


def said(_: Words, item: str | Said) -> str:
    """A note in the reader's language; format names among its values are translated too."""
    if isinstance(item, str):
        return _(item)
    values = {
        name: (_(FORMAT_LABELS[value]) if name == "format" and value in FORMAT_LABELS else value)
        for name, value in item.values
    }
    return _(item.message, **values)


def describe_options(_: Words, made: MadeFormat) -> str:
    options = dict(made.options)
    parts = []
    if "font_size" in options:
        parts.append(_("{size} point", size=options["font_size"]))
    if "table" in options and "comp8" in options["table"]:
        parts.append(_("Computer braille, 8-dot"))
    elif "table" in options:
        table = options["table"]
        language = next(
            (name for prefix, name in BRAILLE_CODE_NAMES.items() if table.startswith(prefix)), table
        )
        parts.append(_(language))
        parts.append(
            _("grade 1, uncontracted") if re.search(r"g1|comp6", table) else _("grade 2, contracted")
        )
    if "rate" in options:
        rate = int(options["rate"])  # the listener hears the words a minute they asked for
        parts.append(
            _("read more slowly, at {rate} words a minute", rate=rate)
            if rate < 175
            else _("read faster, at {rate} words a minute", rate=rate)
        )
    if "paper_colour" in options:
        colour = options["paper_colour"]
        parts.append(_("{colour} paper", colour=_(PAPER_COLOURS.get(colour, colour))))
    if options.get("high_contrast") == "true":
        parts.append(_("high contrast"))
    if "font_family" in options:
        parts.append(options["font_family"])
    if "line_spacing" in options:
        parts.append(_("line spacing {spacing}", spacing=options["line_spacing"]))
    if "cells" in options:
        parts.append(_("{n} cells", n=options["cells"]))
    if "lines" in options:
        parts.append(_("{n} lines", n=options["lines"]))
    if "sheets_per_volume" in options:
        parts.append(_("at most {n} sheets a volume", n=options["sheets_per_volume"]))
    if options.get("interpoint") in ("yes", "no"):
        parts.append(
            _("on both sides of the paper (interpoint)")
            if options["interpoint"] == "yes"
            else _("on one side of the paper")
        )
    if made.smaller:
        parts.append(_("lower sound quality, to fit in an email"))
    return f" ({', '.join(parts)})" if parts else ""


def describe_file(_: Words, attachment: Attachment) -> str:
    words = FILE_WORDS.get(attachment.role)
    return _(words, name=attachment.path.name) if words else attachment.path.name


def _offer(_: Words, item: CannotMake, sent: frozenset[str] = frozenset()) -> str:
    if item.not_yet:
        text = _("We can't make the {format} yet: we are still building it.", format=_(item.asked))
    else:
        text = _("We can't make {asked}: {why}.", asked=_(item.asked), why=_(item.why))
    if item.nearest and item.nearest not in sent:  # not when it is in this very reply
        text += " " + _(
            "We can send the {format} instead: just reply to say so.",
            format=_(FORMAT_LABELS.get(item.nearest, item.nearest)),
        )
    return text


def files_body(
    conversions: list[Conversion],
    understanding: Understanding,
    too_large: bool,
    collect_at: str,
    settings: ReplySettings,
) -> Body:
    _ = words_for(understanding.language)
    body: Body = [_("Hello,"), _("Thank you for your email.")]
    body += _files_and_notes(_, conversions, too_large)
    body += _request_notes(_, conversions, understanding)
    if too_large:
        body.append(
            _(
                "The files are too large to send by email (more than {size} MB).",
                size=_.number(round(settings.size_limit / 2**20, 1)),
            )
        )
        body.append(
            _("You can collect them here: {url}", url=collect_at)
            if collect_at
            else _("A member of our team has been told and will send them another way.")
        )
    return body + _closing(_, settings)


def part_bodies(
    parts: list[list[Conversion]],
    everything: list[Conversion],
    understanding: Understanding,
    settings: ReplySettings,
) -> list[Body]:
    """One body per email of a reply split over several: each says which part it is and names
    its own files; the first also carries what the reply as a whole has to say."""
    _ = words_for(understanding.language)
    bodies = []
    for number, share in enumerate(parts, start=1):
        body: Body = [
            _("Hello,"),
            _(
                "This is part {part} of {parts} of our reply: the files are "
                "too large for one email, so we have sent them in {parts} "
                "emails.",
                part=number,
                parts=len(parts),
            ),
        ]
        if number == 1:
            body.insert(1, _("Thank you for your email."))
        body += _files_and_notes(_, share, False, notes=False)
        if number == 1:  # what could not be made, and why, is said once, for every report
            body += _conversion_notes(_, everything, False)
            body += _request_notes(_, everything, understanding)
        bodies.append(body + _closing(_, settings))
    return bodies


def part_subject(language: str, part: int, parts: int) -> str:
    return words_for(language)("part {part} of {parts}", part=part, parts=parts)


def _files_and_notes(_: Words, conversions: list[Conversion], too_large: bool, notes: bool = True) -> Body:
    body: Body = []
    for conversion in conversions:
        if conversion.made:
            body.append(_("Here is {title}:", title=conversion.report.title))
            for made in conversion.made:
                label = _(FORMAT_LABELS.get(made.format, made.format))
                body.append(f"{label[:1].upper()}{label[1:]}{describe_options(_, made)}:")
                body.append([describe_file(_, attachment) for attachment in made.files])
                if made.volumes > 1:
                    body.append(
                        _(
                            "This braille book has {volumes} volumes, each starting with "
                            "its own title page and contents. Each file holds every "
                            "volume, in order.",
                            volumes=made.volumes,
                        )
                    )
                if made.track_zips:
                    body.append(
                        _(
                            "The audio is too large for one email, so we have sent it as "
                            "one MP3 file per section, in {zips} zip files over these "
                            "emails. Unzip them all into the same place: together they "
                            "make one folder, with a playlist, and the files play in "
                            "order.",
                            zips=made.track_zips,
                        )
                    )
        if notes:
            body += _conversion_notes(_, [conversion], too_large)
    return body


def _conversion_notes(_: Words, conversions: list[Conversion], too_large: bool) -> Body:
    body: Body = []
    for conversion in conversions:
        for item in conversion.unavailable:
            body.append(_offer(_, item))
        for format_name, _reason in conversion.failed:
            body.append(
                _(
                    "We couldn't make the {format} of {title} this time. A member of our "
                    "team has been told and will send it to you.",
                    format=_(FORMAT_LABELS.get(format_name, format_name)),
                    title=conversion.report.title,
                )
            )
        body.extend(said(_, note) for note in conversion.notes)
        if any(made.smaller for made in conversion.made) and not too_large:
            body.append(
                _(
                    "The audio was too large to send by email at full quality, so we have "
                    "sent it at a lower sound quality, which is still clear for speech."
                )
            )
    return body


def _request_notes(_: Words, conversions: list[Conversion], understanding: Understanding) -> Body:
    body: Body = []
    sent = frozenset(m.format for c in conversions for m in c.made)
    body.extend(_offer(_, item, sent) for item in understanding.cannot_make)
    body.extend(said(_, note) for note in understanding.notes)
    if understanding.newest_of_series:
        body.append(
            _(
                "You didn't say which year, so we have sent the newest: {title}. If you "
                "meant an earlier one, just reply with its year.",
                title=understanding.newest_of_series,
            )
        )
    return body


def unclear_body(
    catalogue: Catalogue, settings: ReplySettings, understanding: Understanding | None = None
) -> Body:
    language = understanding.language if understanding else "en"
    _ = words_for(language)
    named = understanding.reports[0].title if understanding and understanding.reports else ""
    opening = (
        _("Thank you for asking about {title}. Which format would you like?", title=named)
        if named
        else _("Thank you for your email. We couldn't tell which report and which format you would like.")
    )
    body: Body = [
        _("Hello,"),
        opening,
        _("These are our reports:"),
        catalogue.titles() or ["-"],
        _("And these are the formats we make:"),
        _format_list(_),
        _(
            'Just reply with the report and the format, for example: "{example}".',
            example=_("{title} in large print, 24 point", title=_example(catalogue)),
        ),
    ]
    return body + _closing(_, settings)


def which_report_body(understanding: Understanding, settings: ReplySettings) -> Body:
    """Equally likely reports: list them and ask; nothing is sent until the reader says."""
    _ = words_for(understanding.language)
    formats = [_(FORMAT_LABELS.get(f.format, f.format)) for f in understanding.formats]
    ask = (
        _(
            'Just reply with the one you would like (or say "both"), and we will send it as {formats}.',
            formats=", ".join(formats),
        )
        if formats
        else _("Just reply with the one you would like, and the format.")
    )
    body: Body = [
        _("Hello,"),
        _("Thank you for your email. More than one of our reports matches what you asked for:"),
        [_entry_line(entry) for entry in understanding.candidates],
        ask,
    ]
    return body + _closing(_, settings)


def _entry_line(entry: CatalogueEntry) -> str:
    extra = entry.subtitle or (str(entry.year) if entry.year and str(entry.year) not in entry.title else "")
    return f"{entry.title} ({extra})" if extra else entry.title


def unknown_report_body(
    catalogue: Catalogue, settings: ReplySettings, understanding: Understanding | None = None
) -> Body:
    _ = words_for(understanding.language if understanding else "en")
    body: Body = [
        _("Hello,"),
        _("Thank you for your email. We couldn't find the report you asked for."),
        _("These are the reports we have:"),
        catalogue.titles() or ["-"],
        _("Just reply with the name of the one you would like, and the format."),
    ]
    return body + _closing(_, settings)


def too_large_body(settings: ReplySettings, limit_mb: int) -> Body:
    """A message too large to read: we cannot tell its language, so the reply is in English."""
    _ = words_for("en")
    body: Body = [
        _("Hello,"),
        _(
            "Thank you for your email. It was too large for us to read (more than {size} MB, "
            "usually because of an attachment), so we could not see which report and format "
            "you would like.",
            size=limit_mb,
        ),
        _(
            "Please send your request again without attachments: just the name of the report "
            'and the format, for example "the annual review in large print".'
        ),
    ]
    return body + _closing(_, settings)


def _format_list(_: Words) -> list[str]:
    from .. import stages
    from ..errors import StageUnavailable

    items = []
    for item in FORMAT_LIST:
        if item == "DAISY talking book":
            try:
                stages.get("daisy")
            except StageUnavailable:
                continue
        items.append(_(item))
    return items


def _example(catalogue: Catalogue) -> str:
    return catalogue.entries[0].title if catalogue.entries else "Annual Review"


def _closing(_: Words, settings: ReplySettings) -> Body:
    person = (
        " "
        + _(
            "If anything is wrong, write to {address} and a person will help.", address=settings.staff_address
        )
        if settings.staff_address
        else ""
    )
    signature = settings.organisation or _(SIGN_OFF)
    best_wishes = _("Best wishes,")
    return [_("This reply was sent automatically.") + person, f"{best_wishes}\n{signature}"]


def render_text(body: Body) -> str:
    lines = []
    for item in body:
        if isinstance(item, list):
            lines.append("\n".join(f"- {entry}" for entry in item))
        else:
            lines.append(item)
    return "\n\n".join(lines) + "\n"


def render_html(body: Body, title: str, language: str = "en") -> str:
    parts = []
    for item in body:
        if isinstance(item, list):
            parts.append("<ul>" + "".join(f"<li>{html.escape(e)}</li>" for e in item) + "</ul>")
        else:
            parts.append("<p>" + html.escape(item).replace("\n", "<br>") + "</p>")
    lang = "cy" if language == "cy" else "en-GB"
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>"
        f'<body style="font-family: Arial, sans-serif; font-size: 1.2em; line-height: 1.5">'
        + "\n".join(parts)
        + "</body></html>\n"
    )


# ------------------------------------------------------------------ the message


def reply_subject(subject: str) -> str:
    return subject if re.match(r"^\s*re\s*:", subject, re.IGNORECASE) else f"Re: {subject or 'your request'}"


def compose(
    original: ParsedMessage,
    request_id: str,
    body: Body,
    settings: ReplySettings,
    attachments: Sequence[tuple[Path, str]] = (),
    language: str = "en",
    part: tuple[int, int] | None = None,
) -> EmailMessage:
    """The reply as a message; `part` (N, M) for one email of a reply sent in M emails: its
    subject says "part N of M" and it has its own deterministic Message-ID."""
    # A non-ASCII local part can only travel as UTF-8 headers (RFC 6532), sent with SMTPUTF8.
    message = EmailMessage(
        policy=policy.SMTP if ascii_address(original.reply_to).isascii() else policy.SMTPUTF8
    )
    message["From"] = settings.from_address
    message["To"] = ascii_address(original.reply_to)
    subject = reply_subject(original.subject)
    message["Subject"] = f"{subject} ({part_subject(language, *part)})" if part else subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = reply_message_id(request_id, settings.from_address, part)
    if original.message_id:
        message["In-Reply-To"] = original.message_id
        message["References"] = f"{original.references} {original.message_id}".strip()
    message["Auto-Submitted"] = "auto-replied"
    message["X-Auto-Response-Suppress"] = "All"  # asks Exchange not to auto-answer us
    message["X-Loop"] = settings.from_address
    message.set_content(render_text(body))
    message.add_alternative(render_html(body, message["Subject"], language), subtype="html")
    for path, media_type in attachments:
        main, _, sub = media_type.partition("/")
        message.add_attachment(
            path.read_bytes(), maintype=main, subtype=sub or "octet-stream", filename=path.name
        )
    # Last: set_content and add_attachment move or clear Content-* headers (RFC 3282).
    message["Content-Language"] = "cy" if language == "cy" else "en-GB"
    return message


def reply_message_id(request_id: str, from_address: str, part: tuple[int, int] | None = None) -> str:
    # Deterministic, so a resent reply (or part of one) is recognisably the same message.
    name = f"reply-{part[0]}-of-{part[1]}" if part else "reply"
    return f"<{request_id}.{name}@{from_address.rpartition('@')[2] or 'localhost'}>"


def staff_notice(settings: ReplySettings, subject: str, lines: list[str]) -> EmailMessage:
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = settings.from_address
    message["To"] = settings.staff_address
    message["Subject"] = f"[accessible formats] {subject}"
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content("\n\n".join(lines) + "\n")
    return message


# ------------------------------------------------------------------ transports


class SendFailed(Exception):
    """The message was not accepted. `permanent`: trying again cannot help (e.g. an address
    this server cannot carry), so the request is given up on at once and staff are told."""

    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


MarkSending = Callable[[], None]
# What can go wrong while handing a message over: the network, the SMTP dialogue, and text the
# protocol cannot carry (smtplib encodes commands as ASCII: a non-ASCII address raises
# UnicodeEncodeError at RCPT TO). Anything else is a bug, and the processor handles it.
TRANSPORT_ERRORS = (OSError, smtplib.SMTPException, UnicodeError)


@dataclass(frozen=True)
class OutboxTransport:
    """Writes each message as <name>.eml into a folder (for testing, or another program to send)."""

    folder: Path

    def send(
        self,
        data: bytes,
        recipients: list[str],
        name: str,
        mark_sending: MarkSending,
        envelope_sender: str = "",
    ) -> str:
        # Not manifest.write_atomic: 'sending' must be recorded between writing the temporary
        # file and renaming it into place, so a restart can decide from whether the file is there.
        temporary = ""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".eml")
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            mark_sending()
            from .safety import crash_point

            crash_point("outbox-sending")
            os.replace(temporary, self.folder / f"{name}.eml")  # atomic: there once, or not at all
        except OSError as error:
            if temporary:
                Path(temporary).unlink(missing_ok=True)
            raise SendFailed(f"outbox {self.folder}: {error}") from None
        return ""

    def delivered(self, name: str) -> bool | None:
        return (self.folder / f"{name}.eml").is_file()


@dataclass(frozen=True)
class SmtpTransport:
    """Hands a message to an SMTP server: at least once, never silently lost.

    The reply-loss window (a kill or a dropped line between recording 'sending' and reading the
    server's "250" after DATA) is closed by sending again: every reply has a deterministic
    Message-ID (reply_message_id), so a copy the server did take before the loss is the same
    message, which mail clients and most stores collapse into one. The alternative, recording the
    server's queue id, cannot close the window: the id arrives in the very "250" whose loss is
    the problem. The "250" text (with its queue id) is still returned, for staff to trace.
    """

    host: str
    port: int = 25
    starttls: bool = False
    user: str = ""
    password: str = ""
    timeout: float = 30.0

    def send(
        self,
        data: bytes,
        recipients: list[str],
        name: str,
        mark_sending: MarkSending,
        envelope_sender: str = "",
    ) -> str:
        """Send; returns the server's acceptance ("250 ... queued as ...") for the ledger.

        Any failure before the server's "250" raises SendFailed (temporary unless the server's
        code is 5xx or the address cannot be carried), so the processor sends again later.
        """
        data = re.sub(rb"\r?\n", b"\r\n", data)
        data = re.sub(rb"(?m)^\.", b"..", data)
        if not data.endswith(b"\r\n"):
            data += b"\r\n"
        accepted = ""
        envelope_recipients = [ascii_address(recipient) for recipient in recipients]
        needs_utf8 = not all(
            _is_ascii(a) for a in [envelope_sender, *envelope_recipients]
        ) or not _is_ascii_bytes(data.partition(b"\r\n\r\n")[0])
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.ehlo()
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                    smtp.ehlo()
                if self.user:
                    smtp.login(self.user, self.password)
                options: list[str] = []
                if needs_utf8:
                    if not smtp.has_extn("smtputf8"):
                        raise SendFailed(
                            f"the address {', '.join(envelope_recipients)} needs SMTPUTF8 "
                            f"(RFC 6531), which the mail server {self.host} does not offer",
                            permanent=True,
                        )
                    options = ["SMTPUTF8", "BODY=8BITMIME"] if smtp.has_extn("8bitmime") else ["SMTPUTF8"]
                _expect(smtp.mail(envelope_sender, options), (250,), "MAIL FROM")
                for recipient in envelope_recipients:
                    _expect(smtp.rcpt(recipient), (250, 251), f"RCPT TO {recipient}")
                smtp.putcmd("data")
                _expect(smtp.getreply(), (354,), "DATA")
                smtp.send(data)
                from .safety import crash_point

                crash_point("data-sent")
                mark_sending()
                smtp.send(b".\r\n")
                crash_point("dot-sent")
                code, text = smtp.getreply()
                _expect((code, text), (250,), "end of DATA")
                accepted = f"{code} {_text(text)}".strip()
                crash_point("sent")
        except SendFailed:
            raise
        except (OSError, smtplib.SMTPServerDisconnected) as error:
            if accepted:  # only QUIT went wrong: the message is the server's
                return accepted
            raise SendFailed(
                f"SMTP {self.host}:{self.port}: {error or type(error).__name__}"
                f" (sent again later with the same Message-ID)"
            ) from None
        except smtplib.SMTPException as error:
            if accepted:  # e.g. an odd reply to QUIT after the message was taken
                return accepted
            raise SendFailed(
                f"SMTP {self.host}:{self.port}: {error}", permanent=_permanent_code(error)
            ) from None
        except UnicodeError as error:
            raise SendFailed(
                f"SMTP {self.host}:{self.port}: an address or command this server cannot carry ({error})",
                permanent=True,
            ) from None
        return accepted

    def delivered(self, name: str) -> bool | None:
        return None  # SMTP cannot be asked: the processor sends again (same Message-ID)


def ascii_address(address: str) -> str:
    """The address with its domain in IDNA (xn--) form when only the domain is non-ASCII, so any
    server can carry it (anne@exämple.net -> anne@xn--exmple-cua.net); a non-ASCII local part
    cannot be rewritten and is returned as it is (it needs SMTPUTF8)."""
    local, at, domain = address.rpartition("@")
    if not at or _is_ascii(domain):
        return address
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return address
    return f"{local}@{domain}"


def _is_ascii(text: str) -> bool:
    return text.isascii()


def _is_ascii_bytes(data: bytes) -> bool:
    return data.isascii()


def _text(text: bytes | str) -> str:
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)


def _permanent_code(error: smtplib.SMTPException) -> bool:
    """5xx replies (RFC 5321 4.2.1) are permanent: trying again cannot help."""
    code = getattr(error, "smtp_code", None)
    return isinstance(code, int) and 500 <= code < 600


def _expect(reply: tuple[int, bytes], codes: tuple[int, ...], step: str) -> None:
    code, text = reply
    if code not in codes:
        # 5xx is permanent (RFC 5321): e.g. 550 mailbox unavailable is not retried for hours.
        raise SendFailed(f"the server refused {step}: {code} {_text(text)}", permanent=500 <= code < 600)
