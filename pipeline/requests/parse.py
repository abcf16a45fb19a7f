"""An RFC 5322 message -> the few things a request needs: who, what subject, what they wrote.

Parsed with the standard library's `email` package (policy.default), which decodes RFC 2047
subjects, quoted-printable and base64 bodies and declared charsets. Attachments are listed by
name and type only: their bytes are never decoded, saved or opened.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from email import policy
from email.message import EmailMessage, MIMEPart
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser
from typing import ClassVar

MAX_SUBJECT_CHARS = 300  # a request needs a sentence, not an essay
MAX_BODY_CHARS = 20_000  # bodies above this are cut before anything reads them
MAX_MESSAGE_BYTES = 25_000_000  # bigger messages are not parsed beyond their headers


@dataclass(frozen=True)
class ParsedMessage:
    key: str  # ledger key: the Message-ID, or sha256 of the raw message
    message_id: str  # "<...>" as sent, or "" when the message had none
    sender: str  # the From address (lower-cased domain, as written local part)
    reply_to: str  # where a reply goes: first Reply-To address, else sender
    subject: str  # decoded, capped at MAX_SUBJECT_CHARS
    body: str  # plain text, quotes and signature dropped, capped
    references: str  # the References header, to extend in a reply
    headers: dict[str, str]  # the headers the safety rules read (lower-case names)
    attachments: tuple[str, ...]  # "name (type)" of each attachment: listed, never opened
    too_large: bool = False
    # What the request says (subject, body, attachments): a message re-sent with the same
    # Message-ID but corrected words is a new request, a re-delivered copy is not.
    content_sha256: str = ""

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> ParsedMessage:
        data = dict(data)
        data["attachments"] = tuple(data.get("attachments", ()))
        known = set(cls.__dataclass_fields__)
        return cls(**{name: value for name, value in data.items() if name in known})


# The headers safety.py looks at (RFC 3834 and list/bounce markers).
SAFETY_HEADERS = (
    "auto-submitted",
    "x-autoreply",
    "x-autorespond",
    "x-auto-response-suppress",
    "precedence",
    "list-id",
    "list-unsubscribe",
    "list-post",
    "return-path",
    "from",
    "reply-to",
    "x-loop",
    "content-type",
    "x-ms-exchange-generated-message-source",
    "x-ms-exchange-message-is-ndr",
    "x-failed-recipients",
)


def parse_bytes(raw: bytes) -> ParsedMessage:
    too_large = len(raw) > MAX_MESSAGE_BYTES
    if too_large:
        # Only the headers: a huge message is refused, not read.
        head, _, _ = raw.partition(b"\r\n\r\n") if b"\r\n\r\n" in raw[:200_000] else raw.partition(b"\n\n")
        raw_to_parse = head[:200_000] + b"\n\n"
    else:
        raw_to_parse = raw
    message = BytesParser(policy=policy.default).parsebytes(raw_to_parse)
    message_id = _header(message, "message-id").strip()
    key = _normalise_message_id(message_id) or "sha256:" + hashlib.sha256(raw).hexdigest()
    sender = _first_address(_header(message, "from"))
    reply_to = _first_address(_header(message, "reply-to")) or sender
    subject = _one_line(_header(message, "subject"))[:MAX_SUBJECT_CHARS]
    body = "" if too_large else clean_body(_body_text(message))[:MAX_BODY_CHARS]
    headers = {name: _header(message, name)[:500] for name in SAFETY_HEADERS if name in message}
    attachments = tuple(_attachment_names(message)) if not too_large else ()
    content = hashlib.sha256(
        "\x00".join((subject, body, *attachments)).encode("utf-8", "surrogatepass")
    ).hexdigest()
    return ParsedMessage(
        key=key,
        message_id=message_id,
        sender=sender,
        reply_to=reply_to,
        subject=subject,
        body=body,
        references=_one_line(_header(message, "references"))[:2000],
        headers=headers,
        attachments=attachments,
        too_large=too_large,
        content_sha256=content,
    )


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # a malformed header must not stop the run: treat it as absent
        return ""
    return "" if value is None else str(value)


def _normalise_message_id(message_id: str) -> str:
    match = re.search(r"<([^<>\s]+)>", message_id)
    found = match.group(1) if match else message_id.strip()
    return found[:500]


def _first_address(value: str) -> str:
    addresses = [address for _, address in getaddresses([value]) if "@" in address]
    if not addresses:
        _, address = parseaddr(value)
        addresses = [address] if "@" in address else []
    if not addresses:
        return ""
    local, _, domain = addresses[0].rpartition("@")
    return f"{local}@{domain.lower()}"


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _body_text(message: EmailMessage) -> str:
    """The text/plain part if there is one, else the text/html part turned into text."""
    part = message.get_body(preferencelist=("plain",))
    if part is not None:
        return _decode(part)
    part = message.get_body(preferencelist=("html",))
    if part is not None:
        return html_to_text(_decode(part))
    return ""


def _decode(part: MIMEPart) -> str:
    try:
        return part.get_content()
    except (LookupError, UnicodeError):
        # An unknown or wrong declared charset: read the bytes as UTF-8, replacing what fails.
        payload = part.get_payload(decode=True)  # bytes (None when empty) for a leaf part
        return (payload if isinstance(payload, bytes) else b"").decode("utf-8", errors="replace")


def _attachment_names(message: EmailMessage) -> list[str]:
    names = []
    for part in message.iter_attachments():
        name = part.get_filename() or "unnamed"
        names.append(f"{name[:100]} ({part.get_content_type()})")
    return names


# ------------------------------------------------------------------- HTML to text


class _TextExtractor(HTMLParser):
    """Visible text with line breaks at block boundaries; quoted mail and scripts dropped.

    Hand-written on the standard library's HTMLParser because we need only readable lines, and
    skipping <blockquote> (quoted earlier mail) is specific to email.
    """

    BLOCKS: ClassVar[set[str]] = {
        "p",
        "div",
        "br",
        "li",
        "tr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "table",
        "ul",
        "ol",
        "section",
        "article",
        "header",
        "footer",
        "hr",
    }
    SKIPPED: ClassVar[set[str]] = {"script", "style", "head", "title", "blockquote"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = dict(attrs).get("class") or ""
        if tag in self.SKIPPED or "gmail_quote" in classes or "moz-cite-prefix" in classes:
            if tag not in ("br", "hr"):
                self.skip_stack.append(tag)
            return
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self.skip_stack and self.skip_stack[-1] == tag:
            self.skip_stack.pop()
            return
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip_stack:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    lines = [re.sub(r"[ \t\xa0]+", " ", line).strip() for line in "".join(extractor.parts).split("\n")]
    return "\n".join(line for line in lines if line)


# ------------------------------------------------------------------- quotes and signatures

# A line that starts the quoted earlier message or the signature: everything from it is dropped.
_CUT_MARKERS = [
    re.compile(r"^-- ?$"),  # RFC 3676 signature separator
    re.compile(r"^On .{0,200}wrote:\s*$", re.IGNORECASE),  # "On Tue, Anne wrote:"
    re.compile(r"^-{2,}\s*Original Message\s*-{2,}", re.IGNORECASE),
    re.compile(r"^_{5,}\s*$"),  # Outlook's rule above the quote
    re.compile(r"^From: .+", re.IGNORECASE),  # Outlook's quoted header block
    re.compile(r"^Sent from my \w+", re.IGNORECASE),
]


def clean_body(text: str) -> str:
    kept: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        stripped = line.strip()
        if any(marker.match(stripped) for marker in _CUT_MARKERS):
            break
        if stripped.startswith(">"):
            continue
        kept.append(line.rstrip())
    return "\n".join(kept).strip()
