"""The ledger: one row per message (SQLite in WAL mode), so nothing is lost or answered twice.

States, in order:
  received    parsed and recorded; nothing done yet
  converting  the one-off build is running (rerun on restart: builds are idempotent)
  ready       the reply is composed and saved in the request's folder; waiting to be sent
              (or to be retried after an SMTP failure: attempts, next_attempt_at)
  sending     recorded just before the SMTP server is told to take the message (the final
              "." of DATA) or the outbox file is renamed into place. On restart a "sending"
              row is decided from the record: SMTP -> it was handed over (replied); outbox ->
              replied if the file is there, else sent again.
  replied     done.  failed: given up on, staff told.  ignored: never to be answered (reason).
A reply in several emails goes ready -> sending -> ready for each part, each part recorded in
the parts table as it is handed over; replied once every part is.
Every change is one committed transaction (synchronous=FULL), and an event row keeps the history.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import time
from dataclasses import dataclass, replace
from pathlib import Path

from .parse import ParsedMessage

TERMINAL = ("replied", "failed", "ignored")
STATES = ("received", "converting", "ready", "sending") + TERMINAL

SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    key TEXT PRIMARY KEY,              -- Message-ID, or sha256:<hash of the raw message>
    request_id TEXT NOT NULL UNIQUE,   -- folder name under outputs/requests/
    message_id TEXT NOT NULL DEFAULT '',
    sender TEXT NOT NULL DEFAULT '',
    reply_to TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL DEFAULT '',
    parsed TEXT NOT NULL,              -- the parsed (capped) message as JSON: enough to resume
    origin TEXT NOT NULL DEFAULT '',   -- where it came from: file, maildir key, imap uid
    state TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    reply_message_id TEXT NOT NULL DEFAULT '',
    received_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    replied_at REAL
);
CREATE INDEX IF NOT EXISTS requests_by_state ON requests(state);
CREATE INDEX IF NOT EXISTS requests_by_reply_to ON requests(reply_to, received_at);
-- Every place a message was read from (maildir:<key>, file:<name>, imap:...), recorded with the
-- claim: a Maildir pass reads only the files not in here, whatever their Seen flag says.
CREATE TABLE IF NOT EXISTS origins (
    origin TEXT PRIMARY KEY, key TEXT NOT NULL, at REAL NOT NULL
);
-- A reply too large for one email goes as several (part N of M): each part handed over is
-- recorded here in the same transaction that ends its sending, so a restart sends only the
-- parts not recorded (the one in flight again, with its same Message-ID), never one twice.
CREATE TABLE IF NOT EXISTS parts (
    key TEXT NOT NULL, part INTEGER NOT NULL, parts INTEGER NOT NULL,
    message_id TEXT NOT NULL, note TEXT NOT NULL DEFAULT '', at REAL NOT NULL,
    PRIMARY KEY (key, part, parts)
);
CREATE TABLE IF NOT EXISTS events (
    key TEXT NOT NULL, at REAL NOT NULL, state TEXT NOT NULL, reason TEXT NOT NULL DEFAULT ''
);
"""


@dataclass(frozen=True)
class Row:
    key: str
    request_id: str
    message_id: str
    sender: str
    reply_to: str
    subject: str
    parsed: str
    origin: str
    state: str
    reason: str
    attempts: int
    next_attempt_at: float
    reply_message_id: str
    received_at: float
    updated_at: float
    replied_at: float | None

    @property
    def message(self) -> ParsedMessage:
        return ParsedMessage.from_json(json.loads(self.parsed))

    def to_json(self) -> dict:
        return {
            "request_id": self.request_id,
            "message_id": self.message_id,
            "sender": self.sender,
            "reply_to": self.reply_to,
            "subject": self.subject,
            "origin": self.origin,
            "state": self.state,
            "reason": self.reason,
            "attempts": self.attempts,
            "received_at": _iso(self.received_at),
            "updated_at": _iso(self.updated_at),
            "replied_at": _iso(self.replied_at),
            "next_attempt_at": _iso(self.next_attempt_at)
            if self.state == "ready" and self.attempts
            else None,
        }


def _iso(moment: float | None) -> str | None:
    return None if moment is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))


class Ledger:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # isolation_level=None: we open transactions ourselves, one per change.
        self.db = sqlite3.connect(str(path), isolation_level=None, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")  # a recorded state survives a power cut
        self.db.executescript(SCHEMA)
        # Ledgers written before the origins table: their rows' origins count as read.
        self.db.execute(
            "INSERT OR IGNORE INTO origins (origin, key, at) SELECT origin, key, "
            "received_at FROM requests WHERE origin != ''"
        )

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _rows(self, sql: str, params: tuple = ()) -> list[Row]:
        cursor = self.db.execute(f"SELECT {', '.join(Row.__dataclass_fields__)} FROM requests " + sql, params)
        return [Row(*values) for values in cursor.fetchall()]

    def get(self, key: str) -> Row | None:
        rows = self._rows("WHERE key = ?", (key,))
        return rows[0] if rows else None

    def claim(self, message: ParsedMessage, origin: str) -> tuple[Row, bool]:
        """The row for this message, inserting it as 'received' if new. (row, is_new).

        The same Message-ID with different words (a sender correcting a request and re-sending
        it from their outbox) is a new request with its own row; a re-delivered copy is not."""
        existing = self.get(message.key)
        if (
            existing is not None
            and message.content_sha256
            and existing.message.content_sha256 not in ("", message.content_sha256)
        ):
            message = replace(message, key=f"{message.key}#{message.content_sha256[:16]}")
        now = time.time()
        request_id = (
            time.strftime("%Y%m%d", time.gmtime(now))
            + "-"
            + hashlib.sha256(message.key.encode("utf-8")).hexdigest()[:12]
        )
        with self._transaction():
            inserted = self.db.execute(
                "INSERT OR IGNORE INTO requests (key, request_id, message_id, sender, reply_to, "
                "subject, parsed, origin, state, received_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'received', ?, ?)",
                (
                    message.key,
                    request_id,
                    message.message_id,
                    message.sender,
                    message.reply_to,
                    message.subject,
                    json.dumps(message.to_json()),
                    origin,
                    now,
                    now,
                ),
            ).rowcount
            if inserted:
                self._event(message.key, "received", origin, now)
            if origin:
                self.db.execute(
                    "INSERT OR IGNORE INTO origins (origin, key, at) VALUES (?, ?, ?)",
                    (origin, message.key, now),
                )
        row = self.get(message.key)
        assert row is not None
        return row, bool(inserted)

    def set_state(self, key: str, state: str, reason: str = "", **fields: object) -> None:
        if state not in STATES:
            raise ValueError(f"unknown state {state}")
        now = time.time()
        columns = {"state": state, "reason": reason, "updated_at": now, **fields}
        if state == "replied":
            columns["replied_at"] = now
        assignments = ", ".join(f"{name} = ?" for name in columns)
        with self._transaction():
            self.db.execute(f"UPDATE requests SET {assignments} WHERE key = ?", (*columns.values(), key))
            self._event(key, state, reason, now)

    def part_sent(self, key: str, part: int, parts: int, message_id: str, note: str = "") -> None:
        """Part `part` of `parts` is handed over: recorded with the request back in 'ready'
        (the next part's turn), in one transaction."""
        now = time.time()
        reason = f"part {part} of {parts} sent" + (f": {note}" if note else "")
        with self._transaction():
            self.db.execute(
                "INSERT OR REPLACE INTO parts (key, part, parts, message_id, note, "
                "at) VALUES (?, ?, ?, ?, ?, ?)",
                (key, part, parts, message_id, note, now),
            )
            # attempts count per part: the next part starts with none used
            self.db.execute(
                "UPDATE requests SET state = 'ready', reason = ?, updated_at = ?, "
                "attempts = 0, next_attempt_at = 0 WHERE key = ?",
                (reason, now, key),
            )
            self._event(key, "ready", reason, now)

    def parts_sent(self, key: str, parts: int) -> list[tuple[int, str]]:
        """(part, message_id) of each part of a `parts`-part reply already handed over."""
        return [
            (part, message_id)
            for part, message_id in self.db.execute(
                "SELECT part, message_id FROM parts WHERE key = ? AND parts = ? ORDER BY part", (key, parts)
            )
        ]

    def pending(self) -> list[Row]:
        return self._rows(
            f"WHERE state NOT IN ({', '.join('?' * len(TERMINAL))}) ORDER BY received_at", TERMINAL
        )

    def origins_read(self, prefix: str) -> set[str]:
        """The recorded origins starting with `prefix` (e.g. every "maildir:" key read)."""
        cursor = self.db.execute(
            "SELECT origin FROM origins WHERE substr(origin, 1, ?) = ?", (len(prefix), prefix)
        )
        return {origin for (origin,) in cursor.fetchall()}

    def all(self) -> list[Row]:
        return self._rows("ORDER BY received_at")

    def answered_recently(self, address: str, since: float, excluding: str) -> int:
        """Requests from this mailbox (not ignored) received since `since`: the rate limit.

        Addresses are compared as mailboxes: name+tag@example.org, NAME@Example.org and
        name@example.org are one person, so sub-addressing cannot bypass the limit."""
        mailbox = rate_limit_mailbox(address)
        cursor = self.db.execute(
            "SELECT reply_to FROM requests WHERE received_at >= ? AND state != 'ignored' AND key != ?",
            (since, excluding),
        )
        return sum(1 for (other,) in cursor.fetchall() if rate_limit_mailbox(other) == mailbox)

    def find(self, request_id: str) -> Row | None:
        rows = self._rows("WHERE request_id = ?", (request_id,))
        return rows[0] if rows else None

    def events(self, key: str) -> list[tuple[str, str]]:
        return [
            (state, reason)
            for state, reason in self.db.execute(
                "SELECT state, reason FROM events WHERE key = ? ORDER BY rowid", (key,)
            )
        ]

    def _event(self, key: str, state: str, reason: str, now: float) -> None:
        self.db.execute(
            "INSERT INTO events (key, at, state, reason) VALUES (?, ?, ?, ?)", (key, now, state, reason)
        )

    def _transaction(self) -> _Transaction:
        return _Transaction(self.db)


def rate_limit_mailbox(address: str) -> str:
    """The mailbox an address delivers to, for counting: lower case, +tag removed (RFC 5233
    sub-addressing, which Gmail, Outlook.com, Fastmail and Proton all honour)."""
    local, _, domain = address.strip().lower().rpartition("@")
    return f"{re.sub(r'[+].*$', '', local)}@{domain}"


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, so two processes never interleave one change."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")
