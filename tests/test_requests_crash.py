"""Kill the request process (SIGKILL) at each step of a request, restart it, and count replies.

The process under test is `serve --maildir --once` in a subprocess; ACCESSIBLE_FORMATS_CRASH_AT
names the step where it kills itself (pipeline.requests.safety.crash_point), as a power cut
would: no cleanup, no exception handlers.
"""
from __future__ import annotations

import mailbox
import signal
import time

import pytest

from pipeline.requests.ledger import Ledger
from pipeline.requests.safety import CRASH_ENV
from test_requests import READER, US, make_library, make_message, run_cli, smtp  # noqa: F401

AFTER_THE_SERVER_TOOK_IT = {"dot-sent", "sent"}
SMTP_STEPS = ["received", "understood", "converting", "converted", "composed-before-record",
              "composed", "data-sent", "dot-sent", "sent"]


def _serve(root, transport_args, env=None):
    return run_cli("serve", "--maildir", str(root / "Maildir"), "--once",
                   "--sources", str(root / "sources"), "--outputs", str(root / "outputs"),
                   "--from", US, *transport_args, env=env)


def _ledger_states(root):
    with Ledger(root / "outputs" / "requests" / "ledger.sqlite3") as ledger:
        return [row.state for row in ledger.all()]


@pytest.mark.slow
@pytest.mark.parametrize("step", SMTP_STEPS)
def test_a_crash_at_each_step_still_gives_exactly_one_reply(tmp_path, smtp, step):
    make_library(tmp_path)
    box = mailbox.Maildir(str(tmp_path / "Maildir"), create=True)
    box.add(make_message("The annual review as a web page, please", message_id="<crash@x.org>"))
    box.add(make_message("The impact report as a web page", message_id="<after@x.org>"))
    transport = ["--smtp-host", "127.0.0.1", "--smtp-port", str(smtp.port)]

    crashed = _serve(tmp_path, transport, env={CRASH_ENV: step})
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr   # really killed at the step
    restarted = _serve(tmp_path, transport)
    assert restarted.returncode == 0, restarted.stderr
    time.sleep(0.2)   # let the server finish handing over anything the killed run sent

    replies = {message_id: [m for m in smtp.to(READER) if m["In-Reply-To"] == message_id]
               for message_id in ("<crash@x.org>", "<after@x.org>")}
    # Exactly one reply each, as the reader meets it: a kill after the server took the message
    # but before the ledger heard "250" re-sends the *same* message (same Message-ID), which
    # mail clients show once; a kill anywhere before that sends it once.
    assert {k: len({m["Message-ID"] for m in v}) for k, v in replies.items()} == \
        {"<crash@x.org>": 1, "<after@x.org>": 1}
    copies = len(replies["<crash@x.org>"])
    assert copies == (2 if step in AFTER_THE_SERVER_TOOK_IT else 1)
    assert len(replies["<after@x.org>"]) == 1
    assert "annual-review-2023.html" in {p.get_filename()
                                         for p in replies["<crash@x.org>"][0].iter_attachments()}
    assert _ledger_states(tmp_path) == ["replied", "replied"]
    # and a third run changes nothing
    assert _serve(tmp_path, transport).returncode == 0
    assert len(smtp.to(READER)) == sum(len(v) for v in replies.values())   # nothing new


@pytest.mark.slow
@pytest.mark.parametrize("step", ["composed", "outbox-sending"])
def test_a_crash_while_writing_to_the_outbox_gives_exactly_one_file(tmp_path, step):
    make_library(tmp_path)
    box = mailbox.Maildir(str(tmp_path / "Maildir"), create=True)
    box.add(make_message("The annual review as a web page, please", message_id="<crash@x.org>"))
    transport = ["--outbox", str(tmp_path / "outbox")]
    assert _serve(tmp_path, transport, env={CRASH_ENV: step}).returncode == -signal.SIGKILL
    assert _serve(tmp_path, transport).returncode == 0
    assert len(list((tmp_path / "outbox").glob("[!.]*.eml"))) == 1
    assert _ledger_states(tmp_path) == ["replied"]
