"""Where messages come from: .eml files, a Maildir, or an IMAP folder.

A message is marked seen (Maildir flag S, IMAP \\Seen) only after the ledger holds it, so a
crash before that just means it is read again next time, and the ledger says what to do.
"""
from __future__ import annotations

import imaplib
import mailbox
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable
from urllib.parse import unquote, urlsplit

from ..errors import PipelineError
from .process import Outcome, Processor

SUMMARY_STATES = {"replied": "answered", "ignored": "ignored", "failed": "failed",
                  "ready": "waiting to retry", "sending": "waiting to retry",
                  "duplicate": "duplicates (not answered again)"}


@dataclass
class Summary:
    counts: Counter = field(default_factory=Counter)
    outcomes: list[Outcome] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)
        self.counts[SUMMARY_STATES.get(outcome.state, outcome.state)] += 1

    def line(self) -> str:
        order = ["answered", "ignored", "failed", "waiting to retry",
                 "duplicates (not answered again)"]
        parts = [f"{self.counts.get(name, 0)} {name}" for name in order
                 if name in ("answered", "ignored", "failed") or self.counts.get(name)]
        return f"{len(self.outcomes)} messages: " + ", ".join(parts)

    def to_json(self) -> dict:
        return {"summary": dict(self.counts),
                "requests": [outcome.__dict__ for outcome in self.outcomes]}


def say(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def _progress(done: int, total: int, outcome: Outcome) -> None:
    detail = f" ({outcome.reason})" if outcome.reason else ""
    say(f"[{done}/{total}] {outcome.request_id} from {outcome.sender or '?'}: "
        f"{SUMMARY_STATES.get(outcome.state, outcome.state)}{detail}")


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
    unseen = []
    for key in sorted(box.keys()):
        try:
            if "S" not in box.get_message(key).get_flags():
                unseen.append(key)
        except KeyError:      # removed by someone else meanwhile
            continue
    for number, key in enumerate(unseen, 1):
        try:
            raw = box.get_bytes(key)
        except KeyError:
            continue
        outcome = processor.receive(raw, origin=f"maildir:{key}")
        _mark_seen(box, key)
        summary.add(outcome)
        _progress(number, len(unseen), outcome)
    return summary


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
        raise PipelineError("put the IMAP password in ACCESSIBLE_FORMATS_IMAP_PASSWORD, "
                            "not in the address")
    secure = parts.scheme == "imaps"
    return ImapAddress(secure, parts.hostname, parts.port or (993 if secure else 143),
                       unquote(parts.username or ""), unquote(parts.path.lstrip("/")) or "INBOX")


def process_imap(url: str, password: str, processor: Processor) -> Summary:
    address = parse_imap_url(url)
    summary = Summary()
    for outcome in processor.resume_pending():
        summary.add(outcome)
    try:
        client = (imaplib.IMAP4_SSL if address.secure else imaplib.IMAP4)(address.host,
                                                                           address.port)
    except OSError as error:
        raise PipelineError(f"cannot reach the IMAP server {address.host}:{address.port}: "
                            f"{error}") from None
    try:
        client.login(address.user, password)
        status, _ = client.select(_quote(address.folder))
        if status != "OK":
            raise PipelineError(f"the IMAP folder '{address.folder}' cannot be opened")
        _, found = client.uid("SEARCH", None, "UNSEEN")
        uids = found[0].split() if found and found[0] else []
        for number, uid in enumerate(uids, 1):
            status, data = client.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((part[1] for part in data if isinstance(part, tuple)), None)
            if status != "OK" or raw is None:
                continue
            outcome = processor.receive(raw, origin=f"imap:{address.folder}:{uid.decode()}")
            client.uid("STORE", uid, "+FLAGS", "(\\Seen)")
            summary.add(outcome)
            _progress(number, len(uids), outcome)
    except imaplib.IMAP4.error as error:
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
    """Run pass_once() every `interval` seconds (or once); Ctrl-C stops between passes."""
    total = Summary()
    try:
        while True:
            summary = pass_once()
            for outcome in summary.outcomes:
                total.add(outcome)
            if once:
                break
            time.sleep(interval)
    except KeyboardInterrupt:
        say("stopped")
    return total
