"""Which messages must never be answered (RFC 3834 and common sense), and the crash hook.

Answering an auto-reply, a bounce or a mailing list starts mail loops or mails strangers; the
rules below are checked before anything else reads the message.
"""
from __future__ import annotations

import os
import re
import signal

from .parse import ParsedMessage

# Local parts that belong to machines, not people (RFC 3834 section 2 and common practice).
MACHINE_SENDERS = re.compile(
    r"^(?:mailer-daemon|postmaster|no-?reply|do-?not-?reply|bounces?|listserv|majordomo"
    r"|owner-.*|.*-request|.*-bounces?)$", re.IGNORECASE)
LIST_PRECEDENCE = {"bulk", "junk", "list", "auto_reply", "auto-reply"}
TOO_LARGE_REASON = "message too large to read"     # the one reason staff are told about


def reason_to_ignore(message: ParsedMessage, our_addresses: set[str]) -> str:
    """Why this message must get no reply, or "" when it may be answered."""
    headers = message.headers
    auto_submitted = headers.get("auto-submitted", "").strip().lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return f"automatic message (Auto-Submitted: {auto_submitted[:40]})"
    for name in ("x-autoreply", "x-autorespond"):
        if name in headers:
            return f"automatic reply ({name})"
    if headers.get("precedence", "").strip().lower() in LIST_PRECEDENCE:
        return f"bulk or list mail (Precedence: {headers['precedence'].strip()[:20]})"
    if "list-id" in headers or "list-unsubscribe" in headers or "list-post" in headers:
        return "mailing-list message"
    if "return-path" in headers and headers["return-path"].strip() in ("<>", ""):
        return "bounce (empty Return-Path)"
    if not message.sender:
        return "no sender address"
    for address in {message.sender, message.reply_to}:
        if MACHINE_SENDERS.match(address.rpartition("@")[0]):
            return f"machine sender ({address})"
        if address.lower() in our_addresses:
            return "sent by ourselves"
    if headers.get("x-loop", "").strip().lower() in our_addresses:
        return "mail loop (X-Loop names us)"
    if message.too_large:
        return TOO_LARGE_REASON
    return ""


# ------------------------------------------------------------------ crash hook for tests

CRASH_ENV = "ACCESSIBLE_FORMATS_CRASH_AT"


def crash_point(step: str) -> None:
    """Kill this process with SIGKILL when the environment names this step.

    Lets the crash test stop processing at each step deterministically, as a power cut would:
    no cleanup, no exception handlers, no flushing. Does nothing unless the variable is set.
    """
    if os.environ.get(CRASH_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)
