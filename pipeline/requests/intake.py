"""Where messages come from: .eml files, a Maildir, or an IMAP folder.

"Not yet processed" never means "unseen": a person reading the mailbox marks messages seen.
A Maildir file is read when the ledger has no record of its key; an IMAP message when it lacks
our keyword $AFProcessed, which is set only after the ledger holds it. A crash in between just
means the message is read again, and the ledger (one row per Message-ID) says what to do.
We still mark what we processed seen, so people can tell answered mail from new mail.
"""

from __future__ import annotations

import imaplib
import mailbox
import re
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..errors import PipelineError
from .process import Outcome, Processor

MAILDIR_ORIGIN = "maildir:"
PROCESSED_KEYWORD = "$AFProcessed"  # IMAP keyword (RFC 3501 flag) for "in our ledger"
IMAP_TIMEOUT_SECONDS = 60  # a silent server must not hang the service
SUMMARY_STATES = {
    "replied": "answered",
    "ignored": "ignored",
    "failed": "failed",
    "ready": "waiting to retry",
    "sending": "waiting to retry",
    "duplicate": "duplicates (not answered again)",
}


@dataclass
class Summary:
    counts: Counter = field(default_factory=Counter)
    outcomes: list[Outcome] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)
        self.counts[SUMMARY_STATES.get(outcome.state, outcome.state)] += 1

    def line(self) -> str:
        order = ["answered", "ignored", "failed", "waiting to retry", "duplicates (not answered again)"]
        parts = [
            f"{self.counts.get(name, 0)} {name}"
            for name in order
            if name in ("answered", "ignored", "failed") or self.counts.get(name)
        ]
        return f"{len(self.outcomes)} messages: " + ", ".join(parts)

    def to_json(self) -> dict:
        return {"summary": dict(self.counts), "requests": [outcome.__dict__ for outcome in self.outcomes]}


def say(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def _progress(done: int, total: int, outcome: Outcome) -> None:
    detail = f" ({outcome.reason})" if outcome.reason else ""
    say(
        f"[{done}/{total}] {outcome.request_id} from {outcome.sender or '?'}: "
        f"{SUMMARY_STATES.get(outcome.state, outcome.state)}{detail}"
    )


def process_files(paths: Iterable[Path], processor: Processor) -> Summary:
    paths = list(paths)
    summary = Summary()
    for outcome in processor.resume_pending():
        summary.add(outcome)
    for number, path in enumerate(paths, 1):
        try:
            raw = Path(path).read_bytes()
        except OSError as error:
            raise PipelineError(f"cannot read {path}: {error.strerror}") from None
        outcome = processor.receive(raw, origin=f"file:{Path(path).name}")
        summary.add(outcome)
        _progress(number, len(paths), outcome)
    return summary


def process_maildir(folder: Path, processor: Processor) -> Summary:
    """One pass over a Maildir: finish pending work, then every message not yet seen."""
    if not (folder / "new").is_dir() or not (folder / "cur").is_dir():
        raise PipelineError(f"{folder} is not a Maildir (it needs new/, cur/ and tmp/ folders)")
    box = mailbox.Maildir(str(folder), factory=None, create=False)
    summary = Summary()
    for outcome in processor.resume_pending():
        summary.add(outcome)
        _progress(len(summary.outcomes), len(summary.outcomes), outcome)
    # Keys come from the file names (no message is opened to find them); the ledger says which
    # were read already.
    already_read = processor.ledger.origins_read(MAILDIR_ORIGIN)
    waiting = [
        key for key in sorted(box.keys(), key=arrival_order) if MAILDIR_ORIGIN + key not in already_read
    ]
    for number, key in enumerate(waiting, 1):
        try:
            raw = box.get_bytes(key)
        except KeyError:  # removed by someone else meanwhile
            continue
        outcome = processor.receive(raw, origin=MAILDIR_ORIGIN + key)
        _mark_seen(box, key)
        summary.add(outcome)
        _progress(number, len(waiting), outcome)
    return summary


# A Maildir key as Python's mailbox (and most delivery agents) writes it: seconds, "M" and the
# microseconds, "P" and the process, "Q" and a counter. The microseconds are not zero-padded, so
# the keys sorted as text put 1700000000.M100000 before 1700000000.M99999.
_KEY = re.compile(r"^(\d+)\.M(\d+)P\d+Q(\d+)")


def arrival_order(key: str) -> tuple[int, int, int, str]:
    """Sort key for Maildir keys: the time each message was delivered, then the key itself."""
    match = _KEY.match(key)
    if match is None:
        return (2**63, 0, 0, key)  # a key of another shape: after the timed ones, by name
    seconds, microseconds, counter = (int(group) for group in match.groups())
    return (seconds, microseconds, counter, key)


def _mark_seen(box: mailbox.Maildir, key: str) -> None:
    try:
        message = box.get_message(key)
    except KeyError:
        return
    message.set_subdir("cur")
    message.add_flag("S")
    box[key] = message


@dataclass(frozen=True)
class ImapAddress:
    secure: bool
    host: str
    port: int
    user: str
    folder: str


def parse_imap_url(url: str) -> ImapAddress:
    """imap://user@host[:port]/FOLDER or imaps://... (RFC 5092 style, without the password)."""
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps") or not parts.hostname:
        raise PipelineError(f"'{url}' is not an IMAP address: use imaps://user@host/INBOX")
    if parts.password:
        raise PipelineError("put the IMAP password in ACCESSIBLE_FORMATS_IMAP_PASSWORD, not in the address")
    secure = parts.scheme == "imaps"
    return ImapAddress(
        secure,
        parts.hostname,
        parts.port or (993 if secure else 143),
        unquote(parts.username or ""),
        unquote(parts.path.lstrip("/")) or "INBOX",
    )


def process_imap(url: str, password: str, processor: Processor) -> Summary:
    address = parse_imap_url(url)
    summary = Summary()
    for outcome in processor.resume_pending():
        summary.add(outcome)
    try:
        client = (imaplib.IMAP4_SSL if address.secure else imaplib.IMAP4)(
            address.host, address.port, timeout=IMAP_TIMEOUT_SECONDS
        )
    except OSError as error:
        raise PipelineError(f"cannot reach the IMAP server {address.host}:{address.port}: {error}") from None
    try:
        client.login(address.user, password)
        status, _ = client.select(_quote(address.folder))
        if status != "OK":
            raise PipelineError(f"the IMAP folder '{address.folder}' cannot be opened")
        # No charset (None), as imaplib documents for SEARCH; typeshed types every argument str.
        _, found = client.uid("SEARCH", None, "UNKEYWORD", PROCESSED_KEYWORD)  # type: ignore[arg-type]
        uids = found[0].split() if found and found[0] else []
        for number, uid in enumerate(uids, 1):
            status, data = client.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((part[1] for part in data if isinstance(part, tuple)), None)
            if status != "OK" or raw is None:
                continue
            outcome = processor.receive(raw, origin=f"imap:{address.folder}:{uid.decode()}")
            client.uid("STORE", uid, "+FLAGS", f"({PROCESSED_KEYWORD} \\Seen)")
            summary.add(outcome)
            _progress(number, len(uids), outcome)
    except (imaplib.IMAP4.error, OSError) as error:
        raise PipelineError(f"IMAP {address.host}: {error}") from None
    finally:
        try:
            client.logout()
        except (OSError, imaplib.IMAP4.error):
            pass
    return summary


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def serve(pass_once, once: bool, interval: float) -> Summary:
    """Run pass_once() every `interval` seconds (or once); Ctrl-C stops between passes.

    Running as a daemon, a pass that fails (the mail server unreachable, a network blip) is
    reported and the next pass tries again; with --once the error ends the run (cron reports).
    """
    total = Summary()
    try:
        while True:
            try:
                summary = pass_once()
            except (PipelineError, OSError) as error:
                if once:
                    raise
                say(f"error: {error}; trying again in {interval:g} seconds")
                summary = Summary()
            for outcome in summary.outcomes:
                total.add(outcome)
            if once:
                break
            time.sleep(interval)
    except KeyboardInterrupt:
        say("stopped")
    return total
