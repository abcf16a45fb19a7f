"""Replies: plain text with an HTML alternative, files attached, sent over SMTP or to an outbox.

Every reply goes to one address only (the sender, or their Reply-To), says "Re:", threads with
In-Reply-To/References, and carries `Auto-Submitted: auto-replied` (RFC 3834) so other robots
do not answer it.
"""
from __future__ import annotations

import html
import os
import re
import smtplib
import ssl
import tempfile
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Callable

from .catalogue import Catalogue
from .convert import Conversion, MadeFormat
from .parse import ParsedMessage
from .understand import FORMAT_LABELS, CannotMake

DEFAULT_SIZE_LIMIT = 15 * 1024 * 1024
SIGN_OFF = "The accessible formats team"

# What each file is for, in plain words.
HOW_TO_USE = {
    "braille": "for a braille display or embosser",
    "large-print": "opens in Word, LibreOffice or Pages, ready to print or read on screen",
    "word": "opens in Word, LibreOffice or Pages and works well with screen readers",
    "pdf": "a tagged PDF that works with screen readers",
    "epub": "for e-book apps and readers such as Apple Books, Thorium or a Kindle",
    "audio": "plays on a phone, computer or DAISY player",
    "html": "opens in any web browser",
}
BRAILLE_CODE_NAMES = {"en-ueb": "English (UEB)", "en-us": "American English", "cy": "Welsh",
                      "fr": "French", "de": "German", "es": "Spanish", "ga": "Irish"}

# A reply body: paragraphs (str) and bullet lists (list[str]), rendered twice (text and HTML).
Body = list["str | list[str]"]


@dataclass(frozen=True)
class ReplySettings:
    from_address: str
    staff_address: str = ""
    size_limit: int = DEFAULT_SIZE_LIMIT
    collect_url: str = ""         # where large files can be collected: <collect_url><request-id>/


# ------------------------------------------------------------------ wording


def describe_options(made: MadeFormat) -> str:
    options = dict(made.options)
    parts = []
    if "font_size" in options:
        parts.append(f"{options['font_size']} point")
    if "table" in options:
        table = options["table"]
        language = next((name for prefix, name in BRAILLE_CODE_NAMES.items()
                         if table.startswith(prefix)), table)
        grade = "grade 1, uncontracted" if re.search(r"g1|comp6", table) else "grade 2, contracted"
        parts.append(f"{language} braille, {grade}")
    if "rate" in options:
        parts.append("read more slowly" if int(options["rate"]) < 175 else "read faster")
    if "paper_colour" in options:
        parts.append(f"{options['paper_colour']} paper")
    if options.get("high_contrast") == "true":
        parts.append("high contrast")
    if "font_family" in options:
        parts.append(options["font_family"])
    if "line_spacing" in options:
        parts.append(f"line spacing {options['line_spacing']}")
    for name in ("cells", "lines"):
        if name in options:
            parts.append(f"{options[name]} {name}")
    return f" ({', '.join(parts)})" if parts else ""


def _offer(item: CannotMake) -> str:
    offer = (f" We can send it as {_article(FORMAT_LABELS.get(item.nearest, item.nearest))} "
             f"instead: just reply to say so.") if item.nearest else ""
    return f"We can't make {item.asked}: {item.why}.{offer}"


def _article(label: str) -> str:
    return ("an " if label[:1].lower() in "aeiou" else "a ") + label


def files_body(conversions: list[Conversion], notes: tuple[str, ...], extra: list[CannotMake],
               too_large: bool, collect_at: str, settings: ReplySettings) -> Body:
    body: Body = ["Hello,", "Thank you for your email."]
    for conversion in conversions:
        if conversion.made:
            body.append(f"Here is {conversion.report.title}:")
            body.append([f"{FORMAT_LABELS.get(m.format, m.format)}{describe_options(m)}: "
                         f"{', '.join(a.path.name for a in m.files)} ({HOW_TO_USE.get(m.format, '')})"
                         for m in conversion.made])
        for item in conversion.unavailable:
            body.append(_offer(item))
        for format_name, _reason in conversion.failed:
            body.append(f"We couldn't make the {FORMAT_LABELS.get(format_name, format_name)} of "
                        f"{conversion.report.title} this time. A member of our team has been "
                        f"told and will send it to you.")
        body.extend(conversion.notes)
    body.extend(_offer(item) for item in extra)
    body.extend(notes)
    if too_large:
        body.append(f"The files are too large to send by email (more than "
                    f"{settings.size_limit // (1024 * 1024)} MB). " +
                    (f"You can collect them here: {collect_at}" if collect_at else
                     "A member of our team has been told and will send them another way."))
    return body + _closing(settings)


def unclear_body(catalogue: Catalogue, settings: ReplySettings, understood_report: str = "") -> Body:
    opening = (f"Thank you for asking about {understood_report}. Which format would you like?"
               if understood_report else
               "Thank you for your email. We couldn't tell which report and which format you "
               "would like.")
    return ["Hello,", opening, "These are our reports:", catalogue.titles() or ["(none yet)"],
            "And these are the formats we make:", _format_list(),
            "Just reply with the report and the format, for example: "
            f"\"{_example(catalogue)} in large print, 24 point\"."] + _closing(settings)


def unknown_report_body(catalogue: Catalogue, settings: ReplySettings) -> Body:
    return ["Hello,", "Thank you for your email. We couldn't find the report you asked for.",
            "These are the reports we have:", catalogue.titles() or ["(none yet)"],
            "Just reply with the name of the one you would like, and the format."] + \
        _closing(settings)


def _format_list() -> list[str]:
    return ["large print (any size from 16 to 48 point, and paper colour)",
            "braille (grade 1 uncontracted or grade 2 contracted)",
            "audio (MP3, slower or faster if you like)", "EPUB e-book (also for Kindle)",
            "Word document", "PDF", "web page (HTML)"]


def _example(catalogue: Catalogue) -> str:
    return catalogue.entries[0].title if catalogue.entries else "Annual Review"


def _closing(settings: ReplySettings) -> list[str]:
    person = (f" If anything is wrong, write to {settings.staff_address} and a person will help."
              if settings.staff_address else "")
    return [f"This reply was sent automatically.{person}", f"Best wishes,\n{SIGN_OFF}"]


def render_text(body: Body) -> str:
    lines = []
    for item in body:
        if isinstance(item, list):
            lines.append("\n".join(f"- {entry}" for entry in item))
        else:
            lines.append(item)
    return "\n\n".join(lines) + "\n"


def render_html(body: Body, title: str) -> str:
    parts = []
    for item in body:
        if isinstance(item, list):
            parts.append("<ul>" + "".join(f"<li>{html.escape(e)}</li>" for e in item) + "</ul>")
        else:
            parts.append("<p>" + html.escape(item).replace("\n", "<br>") + "</p>")
    return (f'<!DOCTYPE html>\n<html lang="en-GB"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title></head>"
            f'<body style="font-family: Arial, sans-serif; font-size: 1.2em; line-height: 1.5">'
            + "\n".join(parts) + "</body></html>\n")


# ------------------------------------------------------------------ the message


def reply_subject(subject: str) -> str:
    return subject if re.match(r"^\s*re\s*:", subject, re.IGNORECASE) else \
        f"Re: {subject or 'your request'}"


def compose(original: ParsedMessage, request_id: str, body: Body, settings: ReplySettings,
            attachments: list[tuple[Path, str]] = ()) -> EmailMessage:
    # A non-ASCII local part can only travel as UTF-8 headers (RFC 6532), sent with SMTPUTF8.
    message = EmailMessage(policy=policy.SMTP if ascii_address(original.reply_to).isascii()
                           else policy.SMTPUTF8)
    message["From"] = settings.from_address
    message["To"] = ascii_address(original.reply_to)
    message["Subject"] = reply_subject(original.subject)
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = reply_message_id(request_id, settings.from_address)
    if original.message_id:
        message["In-Reply-To"] = original.message_id
        message["References"] = f"{original.references} {original.message_id}".strip()
    message["Auto-Submitted"] = "auto-replied"
    message["X-Auto-Response-Suppress"] = "All"      # asks Exchange not to auto-answer us
    message["X-Loop"] = settings.from_address
    message.set_content(render_text(body))
    message.add_alternative(render_html(body, message["Subject"]), subtype="html")
    for path, media_type in attachments:
        main, _, sub = media_type.partition("/")
        message.add_attachment(path.read_bytes(), maintype=main, subtype=sub or "octet-stream",
                               filename=path.name)
    return message


def reply_message_id(request_id: str, from_address: str) -> str:
    # Deterministic, so a resent reply is recognisably the same message.
    return f"<{request_id}.reply@{from_address.rpartition('@')[2] or 'localhost'}>"


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

    def send(self, data: bytes, recipients: list[str], name: str, mark_sending: MarkSending,
             envelope_sender: str = "") -> str:
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
            os.replace(temporary, self.folder / f"{name}.eml")   # atomic: there once, or not at all
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

    def send(self, data: bytes, recipients: list[str], name: str, mark_sending: MarkSending,
             envelope_sender: str = "") -> str:
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
        needs_utf8 = not all(_is_ascii(a) for a in [envelope_sender, *envelope_recipients]) \
            or not _is_ascii_bytes(data.partition(b"\r\n\r\n")[0])
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
                            permanent=True)
                    options = ["SMTPUTF8", "BODY=8BITMIME"] if smtp.has_extn("8bitmime") \
                        else ["SMTPUTF8"]
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
            if accepted:         # only QUIT went wrong: the message is the server's
                return accepted
            raise SendFailed(f"SMTP {self.host}:{self.port}: {error or type(error).__name__}"
                             f" (sent again later with the same Message-ID)") from None
        except smtplib.SMTPException as error:
            if accepted:         # e.g. an odd reply to QUIT after the message was taken
                return accepted
            raise SendFailed(f"SMTP {self.host}:{self.port}: {error}",
                             permanent=_permanent_code(error)) from None
        except UnicodeError as error:
            raise SendFailed(f"SMTP {self.host}:{self.port}: an address or command this server "
                             f"cannot carry ({error})", permanent=True) from None
        return accepted

    def delivered(self, name: str) -> bool | None:
        return None          # SMTP cannot be asked: the processor sends again (same Message-ID)


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
        raise SendFailed(f"the server refused {step}: {code} {_text(text)}",
                         permanent=500 <= code < 600)
