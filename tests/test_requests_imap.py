"""`serve --imap` against a real IMAP server: the distribution's dovecot, started here on
loopback with a throwaway configuration (its own base_dir, passwd file and mail folder)."""

from __future__ import annotations

import getpass
import imaplib
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from test_requests import READER, US, free_port, make_library, make_message, run_cli, smtp  # noqa: F401

pytestmark = pytest.mark.skipif(
    shutil.which("dovecot") is None, reason="dovecot (apt package dovecot-imapd) is not installed"
)
PASSWORD = "throwaway-secret"


def _config(root, port: int) -> str:
    if os.geteuid() == 0:
        # Dovecot refuses to give mail processes uid 0: they run as nobody.
        users = f"userdb {{\n  driver = static\n  args = uid=nobody gid=nogroup home={root}/mail/%u\n}}\n"
    else:
        me = getpass.getuser()
        users = (
            f"default_internal_user = {me}\ndefault_login_user = {me}\n"
            f"userdb {{\n  driver = static\n  args = uid={os.getuid()} gid={os.getgid()} "
            f"home={root}/mail/%u\n}}\n"
        )
    return f"""base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
mail_location = maildir:{root}/mail/%u
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
{users}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


@pytest.fixture
def imap_server():
    # Not under pytest's tmp_path: that is mode 0700, and dovecot's own processes (other users)
    # must reach the passwd file and mail folder.
    root = Path(tempfile.mkdtemp(prefix="dovecot-test-"))
    for name in ("run", "state", "mail"):
        (root / name).mkdir(parents=True)
    os.chmod(root, 0o755)
    os.chmod(root / "mail", 0o777)
    (root / "passwd").write_text(f"formats:{{PLAIN}}{PASSWORD}\n")
    port = free_port()
    (root / "dovecot.conf").write_text(_config(root, port))
    process = subprocess.Popen(
        ["dovecot", "-F", "-c", str(root / "dovecot.conf")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            client = imaplib.IMAP4("127.0.0.1", port)
            client.login("formats", PASSWORD)
            break
        except (OSError, imaplib.IMAP4.error):
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
                pytest.fail(f"dovecot did not start: {process.stdout.read().decode()} {log}")
            time.sleep(0.2)
    yield port, client
    try:
        client.logout()
    except (OSError, imaplib.IMAP4.error):
        pass
    process.terminate()
    process.wait(timeout=10)
    shutil.rmtree(root, ignore_errors=True)


@pytest.mark.slow
def test_serve_imap_answers_unseen_messages_once(tmp_path, imap_server, smtp):
    port, client = imap_server
    make_library(tmp_path)
    messages = [
        make_message("The annual review as a web page", message_id="<imap-1@x.org>"),
        make_message("I am away", message_id="<imap-2@x.org>", headers={"Auto-Submitted": "auto-replied"}),
        make_message("The impact report as a web page", message_id="<imap-3@x.org>"),
    ]
    for raw in messages[:2]:
        client.append("INBOX", None, None, raw.replace(b"\n", b"\r\n"))
    # a person opened this one before the service ran: it must still be answered
    client.append("INBOX", "(\\Seen)", None, messages[2].replace(b"\n", b"\r\n"))

    def serve():
        return run_cli(
            "serve",
            "--imap",
            f"imap://formats@127.0.0.1:{port}/INBOX",
            "--once",
            "--sources",
            str(tmp_path / "sources"),
            "--outputs",
            str(tmp_path / "outputs"),
            "--smtp-host",
            "127.0.0.1",
            "--smtp-port",
            str(smtp.port),
            "--from",
            US,
            env={"ACCESSIBLE_FORMATS_IMAP_PASSWORD": PASSWORD},
        )

    first = serve()
    assert first.returncode == 0, first.stderr
    assert "3 messages: 2 answered, 1 ignored, 0 failed" in first.stderr
    assert sorted(m["In-Reply-To"] for m in smtp.to(READER)) == ["<imap-1@x.org>", "<imap-3@x.org>"]
    client.select("INBOX")
    _, unseen = client.uid("SEARCH", None, "UNSEEN")
    assert unseen == [b""]  # all marked \Seen
    _, processed = client.uid("SEARCH", None, "KEYWORD", "$AFProcessed")
    assert len(processed[0].split()) == 3  # and carry our own keyword
    second = serve()
    assert "0 messages" in second.stderr and len(smtp.messages) == 2

    wrong = run_cli(
        "serve",
        "--imap",
        f"imap://formats@127.0.0.1:{port}/INBOX",
        "--once",
        "--outputs",
        str(tmp_path / "outputs"),
        "--outbox",
        str(tmp_path / "o"),
        "--from",
        US,
        env={"ACCESSIBLE_FORMATS_IMAP_PASSWORD": "wrong"},
    )
    assert wrong.returncode == 2 and "IMAP 127.0.0.1" in wrong.stderr
    assert "Traceback" not in wrong.stderr
