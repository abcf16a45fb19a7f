"""One request from message to reply, driven by its ledger state so any step can be resumed.

received -> (ignored) | converting -> ready -> sending -> replied (or failed, staff told).
Each step records its result before the next begins; `advance` starts from whatever state the
ledger holds, so a restart after a crash continues where the crash stopped.
"""

from __future__ import annotations

import itertools
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import PipelineError
from ..manifest import write_atomic
from .catalogue import Catalogue, load_catalogue
from .convert import Conversion, convert, fit_to_limit, split_into_parts
from .ledger import TERMINAL, Ledger, Row
from .parse import MAX_MESSAGE_BYTES, parse_bytes
from .reply import (
    OutboxTransport,
    ReplySettings,
    SendFailed,
    SmtpTransport,
    compose,
    files_body,
    part_bodies,
    reply_message_id,
    staff_notice,
    too_large_body,
    unclear_body,
    unknown_report_body,
    which_report_body,
)
from .safety import TOO_LARGE_REASON, crash_point, reason_to_ignore
from .understand import understand

Transport = OutboxTransport | SmtpTransport
MAX_REPORTS_PER_REQUEST = 3
MAX_BACKOFF_SECONDS = 6 * 3600
REPLY_FILE = "reply.eml"
PARTS_FILE = "reply-parts.json"  # a reply in several emails: the names of its parts, in order
_NOTICE_NUMBERS = itertools.count(1)  # staff notices: unique names within a run


@dataclass(frozen=True)
class Settings:
    sources_dir: Path
    outputs_dir: Path
    reply: ReplySettings
    transport: Transport
    rate_limit: int = 10  # requests per reply address ...
    rate_window_seconds: float = 86400  # ... in this many seconds; more are ignored
    max_attempts: int = 8  # SMTP attempts before giving up (staff are told)
    backoff_seconds: float = 60  # first retry delay; doubles each time, capped
    show_progress: bool = False

    @property
    def requests_dir(self) -> Path:
        return self.outputs_dir / "requests"


@dataclass(frozen=True)
class Outcome:
    request_id: str
    state: str  # the ledger state after this run, or "duplicate"
    reason: str = ""
    subject: str = ""
    sender: str = ""


class Parked(Exception):
    """A request that must wait for a person (e.g. a source it may name has problems): failed
    with this reason, staff told, and answered by `accessible-formats requests retry ID`."""


class Processor:
    def __init__(self, settings: Settings, ledger: Ledger):
        self.settings = settings
        self.ledger = ledger
        self._catalogue: Catalogue | None = None
        self._catalogue_signature: tuple = ()

    @property
    def catalogue(self) -> Catalogue:
        """Read again whenever a source changes, so a long-running `serve` offers a report
        added, and answers a request waiting for a source, once that source is fixed."""
        signature = self._sources_signature()
        if self._catalogue is None or signature != self._catalogue_signature:
            self._catalogue = load_catalogue(self.settings.sources_dir)
            self._catalogue_signature = signature
        return self._catalogue

    def _sources_signature(self) -> tuple:
        from ..sources import find_reports

        stamps = []
        for path in find_reports(self.settings.sources_dir):
            for candidate in (path, path.with_suffix(".yaml")):
                try:
                    status = candidate.stat()
                except OSError:
                    continue
                stamps.append((str(candidate), status.st_mtime_ns, status.st_size))
        return tuple(stamps)

    # ------------------------------------------------------------------ entry points

    def receive(self, raw: bytes, origin: str) -> Outcome:
        """A message from any intake: recorded first, then taken as far as it can go."""
        message = parse_bytes(raw)
        row, is_new = self.ledger.claim(message, origin)
        if not is_new and row.state == "failed":
            # Never answered: a copy arriving again (staff re-running it once the cause is
            # fixed, or the sender re-sending) is another chance, not a duplicate.
            self.ledger.set_state(
                row.key,
                "received",
                "received again after failing: trying again",
                attempts=0,
                next_attempt_at=0,
            )
            row = self._row(row.key)
        elif not is_new and row.state in TERMINAL:
            return Outcome(row.request_id, "duplicate", f"already {row.state}", row.subject, row.sender)
        crash_point("received")
        return self._advance_safely(row)

    def retry(self, request_id: str) -> Outcome:
        """Staff: try a request again from the start (after fixing what made it fail)."""
        row = self.ledger.find(request_id)
        if row is None:
            raise PipelineError(f"no request {request_id}: see `accessible-formats requests`")
        if row.state in ("replied", "ignored"):
            raise PipelineError(
                f"request {request_id} is {row.state} ({row.reason or 'done'}); "
                f"only failed or waiting requests can be retried"
            )
        self.ledger.set_state(row.key, "received", "retry asked by staff", attempts=0, next_attempt_at=0)
        self._catalogue = None  # the sources may have been fixed meanwhile
        return self._advance_safely(self._row(row.key))

    def resume_pending(self) -> list[Outcome]:
        """Everything not finished: crashed mid-way, or waiting to retry a send that failed."""
        return [self._advance_safely(row) for row in self.ledger.pending()]

    def _advance_safely(self, row: Row) -> Outcome:
        """advance(), but a bug or an unforeseen error fails this one request (staff told)
        instead of stopping the service: pending rows are resumed first on every pass, so an
        escaping error would stop every later pass on the same row."""
        try:
            return self.advance(row)
        except Exception as error:
            self.ledger.set_state(row.key, "failed", f"unexpected error: {error!r}")
            self._notify_staff(
                row,
                "a request failed unexpectedly",
                [
                    f"Processing stopped with an unexpected error: {error!r}",
                    f"Its folder is {self.request_dir(row)}",
                ],
            )
            return self._outcome(row.key)

    def advance(self, row: Row) -> Outcome:
        key = row.key
        if row.state == "ready" and not all(path.is_file() for path in self._reply_files(row)):
            # the saved reply was removed (e.g. someone cleared outputs/requests): make it again
            self.ledger.set_state(key, "converting", "the saved reply was missing: preparing it again")
            row = self._row(key)
        if row.state == "received":
            reason = self._reason_to_ignore(row)
            if reason and reason != TOO_LARGE_REASON:
                self.ledger.set_state(key, "ignored", reason)
                return self._outcome(key)
            if reason == TOO_LARGE_REASON:  # a person wrote it: they are asked to resend
                self._notify_staff(
                    row,
                    "a message was too large to read",
                    [
                        f"The sender was asked to send the request again without "
                        f"attachments; the message is in the mailbox "
                        f"({row.origin}) if a person should read it."
                    ],
                )
            self.ledger.set_state(key, "converting")
            row = self._row(key)
        if row.state == "converting":
            try:
                self._prepare_reply(row)
            except Parked as parked:
                self.ledger.set_state(key, "failed", str(parked))
                self._notify_staff(
                    row,
                    "a request is waiting for a source to be fixed",
                    [str(parked), f"Once fixed: accessible-formats requests retry {row.request_id}"],
                )
                return self._outcome(key)
            except Exception as error:  # a bug must not stop the service: staff are told
                self.ledger.set_state(key, "failed", f"could not prepare the reply: {error!r}")
                self._notify_staff(
                    row, "could not prepare a reply", [f"Preparing the reply failed: {error!r}"]
                )
                return self._outcome(key)
            crash_point("composed-before-record")
            self.ledger.set_state(key, "ready")
            crash_point("composed")
            row = self._row(key)
        if row.state == "sending":
            parts = self._reply_files(row)
            # A reply in several emails: the part in flight is the first not recorded as sent.
            unsent = self._unsent_parts(row, len(parts)) if len(parts) > 1 else []
            name = self._part_name(row, unsent[0], len(parts)) if unsent else row.request_id
            delivered = self.settings.transport.delivered(name)
            if delivered and unsent:  # that part is out: record it, send the rest
                self.ledger.part_sent(
                    key,
                    unsent[0],
                    len(parts),
                    self._reply_id(row, (unsent[0], len(parts))),
                    "handed over before a restart",
                )
                row = self._row(key)
            elif delivered:
                self.ledger.set_state(
                    key, "replied", "handed over before a restart", reply_message_id=self._reply_id(row)
                )
                return self._outcome(key)
        if row.state == "sending":
            # Unknown (SMTP) or not there (outbox): send again. The saved reply keeps its
            # Message-ID, so if the server did take it before the crash, the copy is the same
            # message (see SmtpTransport): a harmless duplicate instead of a lost reply.
            self.ledger.set_state(
                key, "ready", "interrupted while sending: sending again with the same Message-ID"
            )
            row = self._row(key)
        if row.state == "ready":
            if row.attempts and row.next_attempt_at > time.time():
                return self._outcome(key)
            parts = self._reply_files(row)
            if len(parts) == 1:
                self._send(row)
            else:
                self._send_parts(row, parts)
        return self._outcome(key)

    # ------------------------------------------------------------------ steps

    def _reason_to_ignore(self, row: Row) -> str:
        message = row.message
        reason = reason_to_ignore(message, {self.settings.reply.from_address.lower()})
        if reason:
            return reason
        recent = self.ledger.answered_recently(
            message.reply_to, time.time() - self.settings.rate_window_seconds, row.key
        )
        if recent >= self.settings.rate_limit:
            return (
                f"rate limit: {recent} requests from {message.reply_to} in the last "
                f"{self.settings.rate_window_seconds / 3600:g} hours"
            )
        return ""

    def request_dir(self, row: Row) -> Path:
        return self.settings.requests_dir / row.request_id

    def _prepare_reply(self, row: Row) -> None:
        message = row.message
        settings = self.settings.reply
        (self.request_dir(row) / PARTS_FILE).unlink(missing_ok=True)  # from an earlier try
        if message.too_large:
            body = too_large_body(settings, MAX_MESSAGE_BYTES // 1_000_000)
            write_atomic(
                self.request_dir(row) / REPLY_FILE, bytes(compose(message, row.request_id, body, settings))
            )
            return
        understanding = understand(message.subject, message.body, self.catalogue)
        if understanding.kind == "unknown-report" and self.catalogue.left_out:
            # The report asked for may be one we could not read: a "we have no such report"
            # reply would be wrong, so the request waits for the source to be fixed.
            raise Parked(
                "no report matched, and these sources have problems, so the one asked "
                "for may be among them: "
                + "; ".join(
                    f"{item.source.name}: {item.problem.splitlines()[0]}" for item in self.catalogue.left_out
                )
            )
        crash_point("understood")
        attachments: list[tuple[Path, str]] = []
        if understanding.kind == "unclear":
            body = unclear_body(self.catalogue, settings, understanding)
        elif understanding.kind == "which-report":
            body = which_report_body(understanding, settings)
        elif understanding.kind == "unknown-report":
            body = unknown_report_body(self.catalogue, settings, understanding)
        else:
            conversions = self._convert(row, understanding)
            crash_point("converted")
            conversions, fits = fit_to_limit(
                conversions, settings.size_limit, show_progress=self.settings.show_progress
            )
            parts = None if fits else split_into_parts(conversions, settings.size_limit)
            if parts:
                self._tell_staff_about_problems(row, conversions, False)
                self._save_parts(row, message, parts, conversions, understanding)
                return
            attachments = [(a.path, a.media_type) for c in conversions for m in c.made for a in m.files]
            too_large = not fits
            collect_at = (
                f"{settings.collect_url.rstrip('/')}/{row.request_id}/" if settings.collect_url else ""
            )
            body = files_body(conversions, understanding, too_large, collect_at, settings)
            self._tell_staff_about_problems(row, conversions, too_large and not collect_at)
            if too_large:
                attachments = []
        reply = compose(message, row.request_id, body, settings, attachments, understanding.language)
        write_atomic(self.request_dir(row) / REPLY_FILE, bytes(reply))

    def _save_parts(
        self, row: Row, message, parts: list[list[Conversion]], conversions: list[Conversion], understanding
    ) -> None:
        """Each email of a reply in several, saved as reply-part-N-of-M.eml; the list of them
        is written last, so a crash meanwhile leaves the request to be prepared again."""
        settings = self.settings.reply
        folder = self.request_dir(row)
        names = []
        bodies = part_bodies(parts, conversions, understanding, settings)
        for number, (share, body) in enumerate(zip(parts, bodies), start=1):
            name = f"reply-part-{number}-of-{len(parts)}.eml"
            attachments = [(a.path, a.media_type) for c in share for m in c.made for a in m.files]
            reply = compose(
                message,
                row.request_id,
                body,
                settings,
                attachments,
                understanding.language,
                part=(number, len(parts)),
            )
            write_atomic(folder / name, bytes(reply))
            names.append(name)
        write_atomic(folder / PARTS_FILE, json.dumps(names).encode("utf-8"))

    def _convert(self, row: Row, understanding) -> list[Conversion]:
        reports = understanding.reports[:MAX_REPORTS_PER_REQUEST]
        conversions = []
        for entry in reports:
            folder = self.request_dir(row) if len(reports) == 1 else self.request_dir(row) / entry.slug
            try:
                conversions.append(
                    convert(
                        entry,
                        understanding.formats_for(entry),
                        folder,
                        self.settings.outputs_dir,
                        show_progress=self.settings.show_progress,
                    )
                )
            except PipelineError as error:  # the source broke since the catalogue was read
                conversions.append(
                    Conversion(
                        entry,
                        (),
                        (),
                        tuple((f.format, str(error)) for f in understanding.formats_for(entry)),
                        (),
                    )
                )
        return conversions

    def _tell_staff_about_problems(
        self, row: Row, conversions: list[Conversion], files_too_large: bool
    ) -> None:
        lines = [
            f"{c.report.title}: {name} failed: {reason}" for c in conversions for name, reason in c.failed
        ]
        if files_too_large:
            lines.append(
                f"The files are too large to email; please send them another way. "
                f"They are in {self.request_dir(row)}"
            )
        if lines:
            self._notify_staff(row, "a request needs a person", lines)

    def _send(self, row: Row) -> None:
        data = (self.request_dir(row) / REPLY_FILE).read_bytes()
        attempts = row.attempts + 1

        def mark_sending() -> None:
            self.ledger.set_state(row.key, "sending", attempts=attempts)

        try:
            note = self.settings.transport.send(
                data, [row.reply_to], row.request_id, mark_sending, envelope_sender=""
            )  # RFC 3834
        except SendFailed as error:
            self._send_failed(row, attempts, str(error), error.permanent)
            return
        self.ledger.set_state(
            row.key,
            "replied",
            f"accepted: {note}" if note else "",
            attempts=attempts,
            reply_message_id=self._reply_id(row),
        )

    def _send_failed(self, row: Row, attempts: int, error: str, permanent: bool) -> None:
        if permanent or attempts >= self.settings.max_attempts:
            self.ledger.set_state(
                row.key,
                "failed",
                f"gave up after {attempts} attempt{'s' if attempts > 1 else ''}: {error}",
                attempts=attempts,
            )
            self._notify_staff(
                row,
                "a reply could not be sent",
                [f"Gave up after {attempts} attempts: {error}", f"The reply is in {self.request_dir(row)}"],
            )
            return
        delay = min(self.settings.backoff_seconds * 2 ** (attempts - 1), MAX_BACKOFF_SECONDS)
        self.ledger.set_state(
            row.key,
            "ready",
            f"attempt {attempts} failed: {error}",
            attempts=attempts,
            next_attempt_at=time.time() + delay,
        )

    def _send_parts(self, row: Row, parts: list[Path]) -> None:
        """Each part not yet recorded as sent, in order; each recorded as soon as it is out, so
        a crash or a failed attempt resends none that was recorded."""
        total = len(parts)
        for number in self._unsent_parts(row, total):
            data = parts[number - 1].read_bytes()
            attempts = row.attempts + 1

            def mark_sending(number: int = number, attempts: int = attempts, key: str = row.key) -> None:
                self.ledger.set_state(key, "sending", f"sending part {number} of {total}", attempts=attempts)

            try:
                note = self.settings.transport.send(
                    data,
                    [row.reply_to],
                    self._part_name(row, number, total),
                    mark_sending,
                    envelope_sender="",
                )
            except SendFailed as error:
                self._send_failed(row, attempts, f"part {number} of {total}: {error}", error.permanent)
                return
            crash_point("part-sent")
            self.ledger.part_sent(row.key, number, total, self._reply_id(row, (number, total)), note)
            crash_point("part-recorded")
            row = self._row(row.key)
        ids = " ".join(message_id for _, message_id in self.ledger.parts_sent(row.key, total))
        self.ledger.set_state(
            row.key, "replied", f"all {total} parts sent", attempts=row.attempts, reply_message_id=ids
        )

    def _unsent_parts(self, row: Row, total: int) -> list[int]:
        sent = {part for part, _ in self.ledger.parts_sent(row.key, total)}
        return [number for number in range(1, total + 1) if number not in sent]

    @staticmethod
    def _part_name(row: Row, number: int, total: int) -> str:
        return f"{row.request_id}.part-{number}-of-{total}"

    def _reply_files(self, row: Row) -> list[Path]:
        """The saved reply: reply.eml, or its parts in order when it goes in several emails."""
        folder = self.request_dir(row)
        listing = folder / PARTS_FILE
        if listing.is_file():
            return [folder / name for name in json.loads(listing.read_text("utf-8"))]
        return [folder / REPLY_FILE]

    def _notify_staff(self, row: Row, subject: str, lines: list[str]) -> None:
        settings = self.settings.reply
        if not settings.staff_address:
            sys.stderr.write(f"request {row.request_id}: {subject}: {'; '.join(lines)}\n")
            return
        # Each notice its own name: one request can need several (an outbox would overwrite).
        name = f"{row.request_id}.staff-{time.time_ns()}-{next(_NOTICE_NUMBERS)}"
        try:
            notice = staff_notice(
                settings,
                f"{subject}: {row.request_id}",
                [f"Request {row.request_id} from {row.reply_to}, subject: {row.subject}", *lines],
            )
            self.settings.transport.send(
                bytes(notice),
                [settings.staff_address],
                name,
                lambda: None,
                envelope_sender=settings.from_address,
            )
        except Exception as error:  # telling staff must never stop the service
            sys.stderr.write(
                f"request {row.request_id}: could not tell staff ({error}): {subject}: {'; '.join(lines)}\n"
            )

    # ------------------------------------------------------------------ helpers

    def _reply_id(self, row: Row, part: tuple[int, int] | None = None) -> str:
        return reply_message_id(row.request_id, self.settings.reply.from_address, part)

    def _row(self, key: str) -> Row:
        row = self.ledger.get(key)
        assert row is not None, key
        return row

    def _outcome(self, key: str) -> Outcome:
        row = self._row(key)
        return Outcome(row.request_id, row.state, row.reason, row.subject, row.sender)
