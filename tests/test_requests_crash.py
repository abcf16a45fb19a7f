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
from test_requests import READER, US, make_library, make_message, run_cli, smtp  # noqa: F401

from pipeline.requests.ledger import Ledger
from pipeline.requests.safety import CRASH_ENV

AFTER_THE_SERVER_TOOK_IT = {"dot-sent", "sent"}
SMTP_STEPS = [
    "received",
    "understood",
    "converting",
    "converted",
    "composed-before-record",
    "composed",
    "data-sent",
    "dot-sent",
    "sent",
]


def _serve(root, transport_args, env=None):
    return run_cli(
        "serve",
        "--maildir",
        str(root / "Maildir"),
        "--once",
        "--sources",
        str(root / "sources"),
        "--outputs",
        str(root / "outputs"),
        "--from",
        US,
        *transport_args,
        env=env,
    )


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
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr  # really killed at the step
    restarted = _serve(tmp_path, transport)
    assert restarted.returncode == 0, restarted.stderr
    time.sleep(0.2)  # let the server finish handing over anything the killed run sent

    replies = {
        message_id: [m for m in smtp.to(READER) if m["In-Reply-To"] == message_id]
        for message_id in ("<crash@x.org>", "<after@x.org>")
    }
    # Exactly one reply each, as the reader meets it: a kill after the server took the message
    # but before the ledger heard "250" re-sends the *same* message (same Message-ID), which
    # mail clients show once; a kill anywhere before that sends it once.
    assert {k: len({m["Message-ID"] for m in v}) for k, v in replies.items()} == {
        "<crash@x.org>": 1,
        "<after@x.org>": 1,
    }
    copies = len(replies["<crash@x.org>"])
    assert copies == (2 if step in AFTER_THE_SERVER_TOOK_IT else 1)
    assert len(replies["<after@x.org>"]) == 1
    assert "annual-review-2023.html" in {
        p.get_filename() for p in replies["<crash@x.org>"][0].iter_attachments()
    }
    assert _ledger_states(tmp_path) == ["replied", "replied"]
    # and a third run changes nothing
    assert _serve(tmp_path, transport).returncode == 0
    assert len(smtp.to(READER)) == sum(len(v) for v in replies.values())  # nothing new


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


# A reply in several emails: a kill just after a part is handed over (before the ledger records
# it), or just after it is recorded. The restart sends the parts not recorded; none is lost, and
# none is sent twice (SMTP may repeat the one in flight, with its same Message-ID, as above).
PART_STEPS = [
    ("outbox", "part-sent"),
    ("outbox", "part-recorded"),
    ("smtp", "part-sent"),
    ("smtp", "part-recorded"),
]


@pytest.mark.slow
@pytest.mark.parametrize("transport_name,step", PART_STEPS)
def test_a_crash_between_parts_sends_every_part_once(tmp_path, smtp, transport_name, step):
    from test_request_understanding import SEASONS, seasons_limit

    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "four-seasons.md").write_text(SEASONS, encoding="utf-8")
    limit, _ = seasons_limit(tmp_path, tmp_path / "measure")
    box = mailbox.Maildir(str(tmp_path / "Maildir"), create=True)
    box.add(make_message("Four Seasons as an MP3 please", message_id="<parts@x.org>"))
    transport = (
        ["--outbox", str(tmp_path / "outbox")]
        if transport_name == "outbox"
        else ["--smtp-host", "127.0.0.1", "--smtp-port", str(smtp.port)]
    )
    transport += ["--size-limit-mb", repr(limit / 2**20)]
    crashed = _serve(tmp_path, transport, env={CRASH_ENV: step})
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    restarted = _serve(tmp_path, transport)
    assert restarted.returncode == 0, restarted.stderr
    time.sleep(0.2)
    if transport_name == "outbox":
        names = sorted(p.name for p in (tmp_path / "outbox").glob("[!.]*.eml"))
        total = len(names)
        assert total >= 2 and names == sorted(
            f"{names[0].split('.part-')[0]}.part-{n}-of-{total}.eml" for n in range(1, total + 1)
        )
    else:
        received = [m for m in smtp.to(READER) if m["In-Reply-To"] == "<parts@x.org>"]
        ids = [m["Message-ID"] for m in received]
        total = len(set(ids))
        assert total >= 2
        # Each part once, except the one in flight at a kill before it was recorded: the
        # same message again (same Message-ID), which a mail client shows once.
        repeats = len(ids) - total
        assert repeats == (1 if step == "part-sent" else 0), ids
        assert sorted({m["Subject"] for m in received}) == sorted(
            f"Re: A request (part {n} of {total})" for n in range(1, total + 1)
        )
    assert _ledger_states(tmp_path) == ["replied"]
    with Ledger(tmp_path / "outputs" / "requests" / "ledger.sqlite3") as ledger:
        [row] = ledger.all()
        assert [n for n, _ in ledger.parts_sent(row.key, total)] == list(range(1, total + 1))
    assert _serve(tmp_path, transport).returncode == 0  # a third run sends nothing
    if transport_name == "outbox":
        assert len(list((tmp_path / "outbox").glob("[!.]*.eml"))) == total
    else:
        assert len([m for m in smtp.to(READER) if m["In-Reply-To"] == "<parts@x.org>"]) == len(ids)
