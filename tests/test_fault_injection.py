"""Fault injection: each attack of issue 20, as its own regression test with the attack as the
fixture, against real parts (real Markdown and Word files, a real aiosmtpd server on loopback,
real subprocesses killed with SIGKILL, real file systems that are read-only or full).

The numbers in the test names are the issue's list: 1 one email stops every reply, 2 one Word
file breaks every build, 3 deep nesting drops chapters, 4 unsafe links, 5 control characters and
no author, 7 huge sources and the quadratic comparison, 8 kill -9 and unwritable outputs,
9 the email attacks, 10 huge pictures and altChunk.
"""

from __future__ import annotations

import json
import mailbox
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import docx
import pytest
from aiosmtpd.controller import Controller
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from PIL import Image
from rapidfuzz.distance import LCSseq
from test_requests import (
    READER,
    STAFF,
    US,
    Sink,
    attachments,
    free_port,
    make_library,
    make_message,
    plain_text,
    run_cli,
    serve_args,
    settings_for,
    smtp,  # noqa: F401 - a fixture, used by name
)

from pipeline import textcompare
from pipeline.errors import SourceError
from pipeline.limits import MAX_IMAGE_PIXELS, MAX_NESTING_DEPTH, MAX_SOURCE_BYTES
from pipeline.readers.docx import parse_docx
from pipeline.readers.markdown import markdown_account, read_markdown
from pipeline.requests.ledger import Ledger
from pipeline.requests.process import Processor
from pipeline.requests.reply import SmtpTransport
from pipeline.requests.safety import CRASH_ENV

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "pipeline"]
CORPUS = Path("/work/shared/corpus/pandoc-docx")


def cli(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
    )


def problems_of(path: Path) -> list[str]:
    with pytest.raises(SourceError) as caught:
        read_markdown(path)
    return [str(problem) for problem in caught.value.problems]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


FRONT = "---\ntitle: Fault Report\nauthor: Readers Trust\n---\n"


def word_report(path: Path, title: str = "Quotes From Readers") -> Path:
    """A real Word report: a corpus document and a sidecar giving it a title."""
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(CORPUS / "headers.docx", path)
    path.with_suffix(".yaml").write_text(f"title: {title}\n", encoding="utf-8")
    return path


def drop_core_override(path: Path) -> None:
    """Attack 2: rewrite [Content_Types].xml without the docProps/core.xml override."""
    members = {}
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            members[info.filename] = archive.read(info.filename)
    members["[Content_Types].xml"] = re.sub(
        rb'<Override[^>]*core\.xml"[^>]*/>', b"", members["[Content_Types].xml"]
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


# ------------------------------------------------------------------ 1: one email stops replies


def test_1_a_non_ascii_sender_never_stops_the_service(tmp_path):
    """Through the real command, twice: the odd address fails alone (reason, staff told), the
    next message and every later run are answered, and the exit code is not 70."""
    make_library(tmp_path)
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port(), enable_SMTPUTF8=False)
    controller.start()
    try:
        box = mailbox.Maildir(str(tmp_path / "Maildir"), create=True)
        box.add(
            make_message(
                "the annual review as a web page", sender="änne@example.net", message_id="<odd@x.org>"
            )
        )
        box.add(make_message("the impact report as a web page", message_id="<next@x.org>"))
        args = serve_args(tmp_path, controller.port, "--staff", STAFF)
        first = run_cli(*args)
        assert first.returncode == 1, first.stderr  # one failed, not 70 (a crash)
        assert "SMTPUTF8" in first.stderr
        box.add(make_message("the annual review as a web page", message_id="<later@x.org>"))
        second = run_cli(*args)
        assert second.returncode == 0, second.stderr
    finally:
        controller.stop()
    answered = sorted(m["In-Reply-To"] for m in sink.to(READER))
    assert answered == ["<later@x.org>", "<next@x.org>"]
    [notice] = sink.to(STAFF)
    assert "änne@example.net" in notice.get_content()


# ------------------------------------------------------------------ 2: one bad Word file


@pytest.fixture
def library_with_broken_word(tmp_path):
    make_library(tmp_path)
    broken = word_report(tmp_path / "sources" / "reader-quotes" / "reader-quotes.docx")
    drop_core_override(broken)
    return tmp_path, broken


def test_2_a_malformed_word_file_is_a_source_problem_and_the_rest_build(library_with_broken_word):
    root, broken = library_with_broken_word
    reading = parse_docx(broken)
    assert reading.document is None
    [problem] = reading.problems
    assert "[Content_Types].xml" in problem.message and "save it again" in problem.fix

    listing = cli("list", "--json", cwd=root)
    assert listing.returncode == 0, listing.stderr
    reports = {r["slug"]: r for r in json.loads(listing.stdout)["reports"]}
    assert reports["annual-review-2023"]["title"] == "Annual Review 2023"
    assert "core.xml" in reports["reader-quotes"]["error"]

    built = cli("build", "--format", "html", cwd=root)
    assert built.returncode == 2  # a source problem, said once
    assert f"{broken.name}" in built.stderr and "Fix:" in built.stderr
    assert "Traceback" not in built.stderr
    for slug in ("annual-review-2023", "impact-report-2022"):
        assert (root / "outputs" / slug / f"{slug}.html").is_file()


def test_2_a_request_waits_for_the_broken_source_and_is_answered_once_it_is_fixed(
    library_with_broken_word, smtp
):
    root, broken = library_with_broken_word
    with Ledger(root / "outputs" / "requests" / "ledger.sqlite3") as ledger:
        service = Processor(settings_for(root, SmtpTransport("127.0.0.1", smtp.port)), ledger)
        fine = service.receive(
            make_message("the impact report as a web page", message_id="<fine@x.org>"), "test"
        )
        assert fine.state == "replied"  # the catalogue lists the rest
        raw = make_message("Could I have the reader quotes as a web page?", message_id="<quotes@x.org>")
        waiting = service.receive(raw, "test")
        assert waiting.state == "failed" and "reader-quotes.docx" in waiting.reason
        [notice] = smtp.to(STAFF)
        assert f"retry {waiting.request_id}" in notice.get_content()
        assert [m["In-Reply-To"] for m in smtp.to(READER)] == ["<fine@x.org>"]

        word_report(broken)  # staff fix the file
        again = service.receive(raw, "test")  # the same email, not "duplicate"
        assert again.state == "replied", again.reason
    [reply] = [m for m in smtp.to(READER) if m["In-Reply-To"] == "<quotes@x.org>"]
    assert "reader-quotes.html" in attachments(reply)


def test_2_requests_retry_id_answers_a_failed_request(library_with_broken_word, smtp):
    root, broken = library_with_broken_word
    common = (
        "--sources",
        str(root / "sources"),
        "--outputs",
        str(root / "outputs"),
        "--from",
        US,
        "--staff",
        STAFF,
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        str(smtp.port),
    )
    message = root / "quotes.eml"
    message.write_bytes(make_message("the reader quotes as a web page please", message_id="<retry@x.org>"))
    first = run_cli("request", str(message), *common)
    assert first.returncode == 1, first.stderr
    with Ledger(root / "outputs" / "requests" / "ledger.sqlite3") as ledger:
        [row] = ledger.all()
    assert row.state == "failed"
    word_report(broken)
    retried = run_cli("requests", "retry", row.request_id, *common)
    assert retried.returncode == 0, retried.stderr
    assert "replied" in retried.stderr
    assert len([m for m in smtp.to(READER) if m["In-Reply-To"] == "<retry@x.org>"]) == 1
    again = run_cli("requests", "retry", row.request_id, *common)
    assert again.returncode == 2 and "replied" in again.stderr  # nothing to retry


def test_2_requests_retry_without_a_transport_marks_it_for_the_next_run(library_with_broken_word, smtp):
    root, broken = library_with_broken_word
    box = mailbox.Maildir(str(root / "Maildir"), create=True)
    box.add(make_message("the reader quotes as a web page please", message_id="<later@x.org>"))
    serve = serve_args(root, smtp.port)
    assert run_cli(*serve).returncode == 1  # parked: failed, staff told
    with Ledger(root / "outputs" / "requests" / "ledger.sqlite3") as ledger:
        [row] = ledger.all()
    word_report(broken)
    marked = run_cli("requests", "retry", row.request_id, "--outputs", str(root / "outputs"))
    assert marked.returncode == 0 and "next request or serve run" in marked.stderr
    assert run_cli(*serve).returncode == 0  # taken up as pending
    assert [m["In-Reply-To"] for m in smtp.to(READER)] == ["<later@x.org>"]
    unknown = run_cli("requests", "retry", "20990101-nosuch", "--outputs", str(root / "outputs"))
    assert unknown.returncode == 2 and "no such request" in unknown.stderr


# ------------------------------------------------------------------ 3: deep nesting


@pytest.mark.parametrize("levels", [MAX_NESTING_DEPTH + 1, 40])
@pytest.mark.parametrize("kind", ["list", "quote"])
def test_3_deep_nesting_is_a_problem_with_its_line_never_lost_chapters(tmp_path, kind, levels):
    nested = "".join(
        ("  " * i + "- " if kind == "list" else "> " * (i + 1)) + f"level {i}\n" for i in range(levels)
    )
    path = write(
        tmp_path / "deep.md",
        FRONT + "# One\n\nBefore.\n\n" + nested + "\n# Two\n\nThe second chapter must not vanish.\n",
    )
    problems = problems_of(path)
    assert any(re.match(rf"{re.escape(str(path))}:\d+: lists or quotes are nested", p) for p in problems), (
        problems
    )


def test_3_beyond_the_parser_limit_every_unread_line_is_named(tmp_path):
    nested = "".join("> " * (i + 1) + f"level {i}\n" for i in range(80))
    path = write(tmp_path / "deeper.md", FRONT + "# One\n\n" + nested + "\n# Two\n\nThe second chapter.\n")
    account = markdown_account(path)
    assert account.lost, account.summary()  # the parser skipped lines: counted ...
    problems = problems_of(path)
    assert any("could not be read" in p for p in problems)  # ... and reported


def test_3_a_normal_report_accounts_for_every_line():
    source = ROOT / "sources" / "impact-report-2023" / "impact-report-2023.md"
    account = markdown_account(source)
    assert account.complete and account.read + account.markup == account.total > 100


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.docx")), ids=lambda p: p.stem)
def test_3_the_word_reader_accounts_for_every_text_run(path):
    """Reader fidelity, independent of the model: every w:t of the body is read or skipped under
    a name, and the parts not read (headers, footers, comments) are named with their text."""
    account = parse_docx(path).account
    assert account is not None and account.complete, account.summary()
    assert (
        account.read
        + sum(
            int(re.search(r"(\d+) text runs", s).group(1))
            for s in account.skipped
            if "text runs" in s and "xml" not in s
        )
        == account.total
    )
    if path.stem == "comments":
        assert any(s.startswith("comments comments.xml") for s in account.skipped)


def test_3_word_text_the_reader_never_reached_is_a_problem(tmp_path, monkeypatch):
    from pipeline.readers.docx import body

    document = docx.Document()
    document.add_paragraph("Lost Text Report", style="Title")
    document.add_paragraph("Words that must reach the reader.")
    path = tmp_path / "lost.docx"
    document.save(path)
    original = body.StoryReader._run_content

    def forgetful(self, node, out, fmt, link):  # a reader bug that drops a run's text
        if node.tag.endswith("}t") and "must reach" in (node.text or ""):
            return
        original(self, node, out, fmt, link)

    monkeypatch.setattr(body.StoryReader, "_run_content", forgetful)
    reading = parse_docx(path)
    assert any("did not reach the reading" in p.message for p in reading.problems)


# ------------------------------------------------------------------ 4: unsafe links


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.domain)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "ftp://x.org/a",
    ],
)
def test_4_a_markdown_link_that_is_not_web_mail_or_phone_is_a_problem(tmp_path, url):
    path = write(tmp_path / "links.md", FRONT + f"# One\n\nSee [our page]({url}) now.\n")
    [problem] = problems_of(path)
    assert f"{path}:7:" in problem and url[:20] in problem


def test_4_allowed_links_stay_links(tmp_path):
    from pipeline.document import Link, iter_blocks

    path = write(
        tmp_path / "ok.md",
        FRONT + "# One {#one}\n\n[web](https://x.org) "
        "[mail](mailto:a@x.org) [phone](tel:+441234) [back](#one)\n",
    )
    document = read_markdown(path)
    paragraph = [b for b in iter_blocks(document.blocks) if hasattr(b, "inlines")][-1]
    assert [i.url for i in paragraph.inlines if isinstance(i, Link)] == [
        "https://x.org",
        "mailto:a@x.org",
        "tel:+441234",
        "#one",
    ]


def _word_with_link(path: Path, url: str) -> Path:
    document = docx.Document()
    document.add_paragraph("Links Report", style="Title")
    paragraph = document.add_paragraph("Press ")
    rel_id = document.part.relate_to(url, RT.HYPERLINK, is_external=True)
    paragraph._p.append(
        parse_xml(
            f'<w:hyperlink {nsdecls("w", "r")} r:id="{rel_id}"><w:r><w:t>here</w:t></w:r></w:hyperlink>'
        )
    )
    document.save(path)
    return path


@pytest.mark.parametrize("url", ["javascript:alert(document.domain)", "file:///c:/secret.txt"])
def test_4_a_word_hyperlink_to_javascript_or_a_file_is_a_problem_naming_it(tmp_path, url):
    reading = parse_docx(_word_with_link(tmp_path / "links.docx", url))
    [problem] = [p for p in reading.problems if "link" in p.message]
    assert url[:20] in problem.message and problem.line == 2
    assert "here" in " ".join(str(b) for b in reading.document.blocks)  # the words stay


# ------------------------------------------------------------------ 5: characters, no author


@pytest.mark.parametrize(
    "text, line",
    [
        (FRONT + "# One\n\nA NUL\x00 here.\n", 7),
        (FRONT + "# One\n\nA bell\x07 and an escape\x1b.\n", 7),
        ('---\ntitle: "Fault\\0 Report"\n---\n# One\n\nText.\n', 2),
        ('---\ntitle: Fault Report\nauthor: "Half \\ud800 a character"\n---\n# One\n\nText.\n', 3),
    ],
)
def test_5_control_characters_and_lone_surrogates_are_problems_at_their_line(tmp_path, text, line):
    path = write(tmp_path / "odd.md", text)
    problems = problems_of(path)
    assert any(p.startswith(f"{path}:{line}: ") and "U+" in p for p in problems), problems


@pytest.mark.slow
def test_5_a_report_with_no_author_builds_its_epub(tmp_path):
    write(
        tmp_path / "sources" / "anonymous.md",
        "---\ntitle: Nobody Signed This\n---\n"
        "# One\n\nA report whose front matter names no author or publisher.\n",
    )
    built = cli("build", "anonymous", "--format", "epub", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "outputs" / "anonymous" / "anonymous.epub").is_file()


# ------------------------------------------------------------------ 7: size and comparison


def test_7_a_source_over_the_size_limit_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.md"
    with path.open("wb") as handle:  # sparse: the size is what matters
        handle.write(FRONT.encode())
        handle.truncate(MAX_SOURCE_BYTES + 1)
    [problem] = problems_of(path)
    assert "more than the 20 MB" in problem and "split it" in problem


def _prose(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    vocabulary = [f"w{i}" for i in range(3000)]
    weights = [1 / (rank + 1) for rank in range(3000)]
    return rng.choices(vocabulary, weights, k=count)


@pytest.mark.parametrize("seed", range(4))
def test_7_the_anchored_comparison_agrees_with_the_exact_one(monkeypatch, seed):
    """Forced onto the anchored path (a tiny EXACT_PAIRS), the linear comparison finds the same
    LCS as rapidfuzz's exact one on texts with deletions, substitutions, insertions and a moved
    paragraph, and never more (it can only undercount, so it never passes a bad output)."""
    expected = _prose(6000, seed)
    actual = ["title", "contents"] + list(expected)
    rng = random.Random(seed + 100)
    for _ in range(30):
        actual[rng.randrange(len(actual))] = "garbled"
    del actual[1000:1040]
    actual[3000:3000] = ["image", "chart"] * 5
    moved = actual[4000:4100]
    del actual[4000:4100]
    actual[200:200] = moved
    exact = LCSseq.similarity(expected, actual)
    monkeypatch.setattr(textcompare, "EXACT_PAIRS", 20_000)
    anchored = textcompare.common_in_order(expected, actual)
    assert anchored <= exact
    assert anchored >= exact - 5, (anchored, exact)


# ------------------------------------------------------------------ 8: kill -9, unwritable


def test_8_a_build_killed_mid_stage_leaves_consistent_outputs_and_no_temp_folders(tmp_path):
    write(
        tmp_path / "sources" / "book.md",
        FRONT
        + "# One\n\n"
        + "\n\n".join(f"Paragraph {n} of a book long enough to take a moment." for n in range(400))
        + "\n",
    )
    first = cli("build", "book", "--format", "html", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    out = tmp_path / "outputs" / "book"
    before = json.loads((out / "manifest.json").read_text())
    # Kill the build (SIGKILL) while its Word and large-print stages run in pool workers.
    process = subprocess.Popen(
        [*CLI, "build", "book", "--format", "word", "--format", "large-print"],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    deadline = time.time() + 120
    while time.time() < deadline and not list(out.glob(".tmp-*")):
        time.sleep(0.02)
    assert list(out.glob(".tmp-*")), "the stage never started"
    workers: list[int] = []
    while time.time() < deadline and not workers and process.poll() is None:
        workers = [
            int(pid)
            for pid in subprocess.run(
                ["pgrep", "-P", str(process.pid)], capture_output=True, text=True
            ).stdout.split()
        ]
        time.sleep(0.02)
    assert workers, "the two stages run in pool workers"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    time.sleep(1.0)  # pool workers die with their parent (PR_SET_PDEATHSIG)
    assert [pid for pid in workers if _running(pid)] == [], "workers outlived the build"
    after_kill = json.loads((out / "manifest.json").read_text())
    assert after_kill["stages"]["html"] == before["stages"]["html"]
    for entry in after_kill["stages"].values():
        for record in entry.get("outputs", []):
            assert (out / record["path"]).is_file()  # the manifest never points at nothing
    again = cli("build", "book", "--format", "html", cwd=tmp_path)
    assert again.returncode == 0 and "up to date" in again.stderr
    assert not list(out.glob(".tmp-*"))  # the next build cleared the leftovers


def _running(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status  # a zombie has ended; only its entry is left


def _mount_tmpfs(where: Path, options: str) -> bool:
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True)
    return done.returncode == 0


@pytest.mark.parametrize("options, words", [("ro,size=64k", "read-only"), ("size=4k", "the disk is full")])
def test_8_read_only_or_full_outputs_are_one_clear_line_naming_the_folder(tmp_path, options, words):
    write(tmp_path / "sources" / "book.md", FRONT + "# One\n\n" + "A paragraph. " * 400 + "\n")
    where = tmp_path / "mounted"
    if not _mount_tmpfs(where, options):
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        built = cli("build", "book", "--format", "html", "--outputs", str(where), cwd=tmp_path)
    finally:
        subprocess.run(["umount", str(where)])
    assert built.returncode == 2
    assert "Traceback" not in built.stderr
    [line] = [text for text in built.stderr.splitlines() if "nothing was built" in text]
    assert words in line and "mounted/book" in line


# ------------------------------------------------------------------ 9: email attacks


@pytest.fixture
def service(tmp_path, smtp):
    make_library(tmp_path)
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        yield Processor(settings_for(tmp_path, SmtpTransport("127.0.0.1", smtp.port), rate_limit=2), ledger)


def test_9_a_20_mb_attachment_gets_a_reply_and_staff_are_told(service, smtp):
    raw = make_message(
        "the annual review as a web page", attachment=("scan.pdf", "application/pdf", os.urandom(20 * 2**20))
    )
    outcome = service.receive(raw, "test")
    assert outcome.state == "replied"
    [reply] = smtp.to(READER)
    assert "too large for us to read" in plain_text(reply)
    assert len(smtp.to(STAFF)) == 1


def test_9_plus_tags_do_not_bypass_the_rate_limit(service, smtp):
    states = [
        service.receive(
            make_message(
                "the annual review as a web page",
                sender=f"anne+{n}@Example.com",
                message_id=f"<tag{n}@x.org>",
            ),
            "test",
        ).state
        for n in range(4)
    ]
    assert states == ["replied", "replied", "ignored", "ignored"]


def test_9_smtp_550_is_permanent_not_retried_for_hours(service, smtp):
    smtp.refuse_rcpt = {READER}
    outcome = service.receive(make_message("the annual review as a web page"), "test")
    assert outcome.state == "failed" and "550" in outcome.reason
    assert "after 1 attempt" in outcome.reason
    assert service.resume_pending() == []


@pytest.mark.parametrize(
    "sender, subject, headers",
    [
        ("MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@example.com", "Undeliverable: hi", {}),
        ("anne@example.com", "Automatic reply: A request", {}),
        ("anne@example.com", "Ateb awtomatig: Cais", {}),
        ("postmaster@example.com", "Delivery Status Notification (Failure)", {}),
        ("anne@example.com", "Re: your files", {"X-MS-Exchange-Message-Is-Ndr": "1"}),
    ],
)
def test_9_exchange_bounces_and_automatic_replies_are_not_answered(service, smtp, sender, subject, headers):
    outcome = service.receive(
        make_message("the annual review as a web page", subject=subject, sender=sender, headers=headers),
        "test",
    )
    assert outcome.state == "ignored", outcome.reason
    assert smtp.messages == []


def test_9_the_same_message_id_with_corrected_content_is_answered(service, smtp):
    first = service.receive(make_message("the anual reveiw", message_id="<same@x.org>"), "test")
    assert first.state == "replied"  # "which format?" reply
    copy = service.receive(make_message("the anual reveiw", message_id="<same@x.org>"), "test")
    assert copy.state == "duplicate"  # a re-delivered copy: not again
    corrected = service.receive(
        make_message("the annual review as a web page", message_id="<same@x.org>"), "test"
    )
    assert corrected.state == "replied" and corrected.request_id != first.request_id
    replies = smtp.to(READER)
    assert len(replies) == 2 and "annual-review-2023.html" in attachments(replies[1])


class _DropMidData:
    """A loopback proxy in front of the aiosmtpd server that, on the first `drops` connections,
    cuts the line once half the message's DATA has passed (before the final '.')."""

    def __init__(self, target_port: int, drops: int):
        self.target_port, self.drops = target_port, drops
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            drop = self.connections <= self.drops
            server = socket.create_connection(("127.0.0.1", self.target_port))
            threading.Thread(target=self._pipe, args=(server, client, False), daemon=True).start()
            threading.Thread(target=self._pipe, args=(client, server, drop), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket, drop: bool) -> None:
        in_data, passed = False, 0
        try:
            while chunk := source.recv(4096):
                if drop and in_data:
                    passed += len(chunk)
                    if passed > 2000:  # mid-DATA: cut both ways
                        sink.sendall(chunk[:100])
                        raise OSError("dropped")
                if drop and chunk.upper().startswith(b"DATA"):
                    in_data = True
                sink.sendall(chunk)
        except OSError:
            pass
        for end in (source, sink):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            end.close()

    def close(self) -> None:
        self.listener.close()


def test_9_a_connection_dropped_mid_data_is_sent_again_once(tmp_path, smtp):
    """The server never got the '.', so it discarded the message: the request is sent again on
    the next pass, and replied exactly once; the next message in the same pass is answered."""
    make_library(tmp_path)
    proxy = _DropMidData(smtp.port, drops=1)
    try:
        with Ledger(tmp_path / "ledger.sqlite3") as ledger:
            service = Processor(
                settings_for(tmp_path, SmtpTransport("127.0.0.1", proxy.port, timeout=10)), ledger
            )
            dropped = service.receive(
                make_message("the annual review as a web page", message_id="<drop@x.org>"), "test"
            )
            assert dropped.state == "ready", dropped.reason
            after = service.receive(
                make_message("the impact report as a web page", message_id="<after@x.org>"), "test"
            )
            assert after.state == "replied"
            assert [o.state for o in service.resume_pending()] == ["replied"]
            assert service.resume_pending() == []
    finally:
        proxy.close()
    time.sleep(0.2)
    counts = {m["In-Reply-To"]: 0 for m in smtp.to(READER)}
    for message in smtp.to(READER):
        counts[message["In-Reply-To"]] += 1
    assert counts == {"<drop@x.org>": 1, "<after@x.org>": 1}


SMTP_STEPS = [
    "received",
    "understood",
    "converted",
    "composed-before-record",
    "composed",
    "data-sent",
    "dot-sent",
    "sent",
]


@pytest.mark.slow
def test_9_sigkill_at_every_step_with_a_line_dropped_mid_data(tmp_path, smtp):
    """One serve process per step, each killed (SIGKILL) at that step, with the line dropped
    mid-DATA on the first connection: after one clean run, every request is replied to (one
    Message-ID each, the reader sees it once) or reported to staff; nothing is lost."""
    make_library(tmp_path)
    box = mailbox.Maildir(str(tmp_path / "Maildir"), create=True)
    proxy = _DropMidData(smtp.port, drops=1)
    args = serve_args(tmp_path, proxy.port, "--staff", STAFF, "--retry-seconds", "0")
    try:
        for step in SMTP_STEPS:
            box.add(make_message("the annual review as a web page", message_id=f"<{step}@x.org>"))
            killed = run_cli(*args, env={CRASH_ENV: step})
            assert killed.returncode in (-signal.SIGKILL, 0, 1), killed.stderr
        for _ in range(3):  # clean runs finish whatever is pending
            assert run_cli(*args).returncode in (0, 1)
    finally:
        proxy.close()
    time.sleep(0.3)
    with Ledger(tmp_path / "outputs" / "requests" / "ledger.sqlite3") as ledger:
        rows = {row.message_id: row for row in ledger.all()}
    assert set(rows) == {f"<{step}@x.org>" for step in SMTP_STEPS}  # nothing lost
    staff = " ".join(m.get_content() for m in smtp.to(STAFF))
    for message_id, row in rows.items():
        copies = [m for m in smtp.to(READER) if m["In-Reply-To"] == message_id]
        if row.state == "replied":
            assert copies and len({m["Message-ID"] for m in copies}) == 1, message_id
        else:
            assert row.state == "failed" and row.request_id in staff, (message_id, row.state)


# ------------------------------------------------------------------ 10: pictures, altChunk


def test_10_a_12000_pixel_square_png_is_refused_before_decoding(tmp_path):
    picture = tmp_path / "huge.png"
    Image.new("1", (12000, 12000)).save(picture, optimize=True)
    assert picture.stat().st_size < 100_000 and 12000 * 12000 > MAX_IMAGE_PIXELS
    path = write(tmp_path / "pictures.md", FRONT + "# One\n\n![A blank square](huge.png)\n")
    [problem] = problems_of(path)
    assert f"{path}:7:" in problem and "12000 x 12000 pixels" in problem


def test_10_word_altchunk_is_named_as_skipped(tmp_path):
    document = docx.Document()
    document.add_paragraph("Merged Report", style="Title")
    document.add_paragraph("Before the embedded file.")
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    chunk = Part(
        PackURI("/word/chunk1.html"),
        "text/html",
        b"<html><body><p>Text Word would merge.</p></body></html>",
        document.part.package,
    )
    rel_id = document.part.relate_to(chunk, RT.A_F_CHUNK)
    document.element.body.insert(2, parse_xml(f'<w:altChunk {nsdecls("w", "r")} r:id="{rel_id}"/>'))
    path = tmp_path / "merged.docx"
    document.save(path)
    reading = parse_docx(path)
    [problem] = [p for p in reading.problems if "embeds another file" in p.message]
    assert "chunk1.html" in problem.message and "save it again" in problem.fix
    assert any("altChunk" in name for name in reading.account.skipped)


def test_10_a_12000_pixel_square_picture_in_word_is_refused_before_decoding(tmp_path):
    picture = tmp_path / "huge.png"
    Image.new("1", (12000, 12000)).save(picture, optimize=True)
    document = docx.Document()
    document.add_paragraph("Pictures Report", style="Title")
    document.add_paragraph("A chart follows.")
    document.add_picture(str(picture))
    path = tmp_path / "pictures.docx"
    document.save(path)
    problems = [p for p in parse_docx(path).problems if "12000 x 12000 pixels" in p.message]
    assert len(problems) == 1 and problems[0].line == 3
