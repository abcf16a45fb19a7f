"""Property tests (Hypothesis): the Markdown reader and the request parser, on generated input.

For any input, the result is a document or a list of problems with their places: never an
exception, and never text silently lost (every word the source shows reaches the document, or a
problem says where it did not). Examples are few and unhurried (max_examples modest,
deadline=None) so the suite stays economical on a shared machine.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline import reading
from pipeline.errors import SourceError
from pipeline.limits import MAX_NESTING_DEPTH
from pipeline.readers.markdown import read_markdown
from pipeline.requests.parse import MAX_BODY_CHARS, ParsedMessage, parse_bytes
from pipeline.requests.safety import reason_to_ignore

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
FRONT = "---\ntitle: Fuzzed Report\nauthor: Readers Trust\n---\n"
FOLDER = Path(tempfile.mkdtemp(prefix="fuzz-markdown-"))


def read(text: str):
    """(document, problems): exactly one is set; any other outcome fails the property."""
    path = FOLDER / "fuzzed.md"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        return read_markdown(path), []
    except SourceError as error:
        return None, error.problems


def assert_located(problems, text: str) -> None:
    last_line = len(re.split(r"\r\n|\r|\n", text))
    for problem in problems:
        assert problem.message and problem.fix, problem
        assert problem.line is None or 1 <= problem.line <= last_line, (problem, last_line)


# ------------------------------------------------------------------ Markdown: anything at all

MARKDOWN_PIECES = st.sampled_from(
    [
        "#",
        "##",
        "###",
        "-",
        "*",
        "+",
        "1.",
        ">",
        "`",
        "```",
        "~~~",
        "|",
        "---",
        "***",
        "[",
        "]",
        "(",
        ")",
        "!",
        "{",
        "}",
        "#id",
        ".cls",
        "^",
        "[^1]",
        "[^1]: ",
        "<b>",
        "<!-- c -->",
        "\\",
        "&amp;",
        "&#0;",
        "  ",
        "    ",
        "\t",
        "\n",
        "\n\n",
        "word",
        "Llanelli",
        "ŵ",
        "日本",
        "\x00",
        "\x07",
        "\u200b",
        "javascript:x",
        "https://x.org",
        "{lang=cy}",
        "\\newpage",
    ]
)


@FUZZ
@given(st.lists(MARKDOWN_PIECES | st.text(max_size=8), max_size=80))
def test_any_markdown_gives_a_document_or_located_problems(pieces):
    text = FRONT + " ".join(pieces)
    document, problems = read(text)
    if document is None:
        assert problems
        assert_located(problems, text)


# ------------------------------------------------------------------ Markdown: no lost words


def _marker(n: int) -> str:
    return f"zq{n}x"


@st.composite
def report(draw):
    """A report of headings, paragraphs, nested lists and quotes, code and tables whose every
    text word is a unique marker (zq<n>x), so a lost word can be named."""
    counter = iter(range(10**6))
    lines = [FRONT, "# " + _marker(next(counter)), ""]
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["para", "list", "quote", "code", "table", "heading"]))
        words = lambda k=3: " ".join(_marker(next(counter)) for _ in range(k))
        if kind == "para":
            lines += [words(), ""]
        elif kind == "heading":
            lines += ["## " + words(2), ""]
        elif kind == "list":
            depth = draw(st.integers(1, MAX_NESTING_DEPTH + 6))
            lines += ["  " * level + "- " + words(2) for level in range(depth)] + [""]
        elif kind == "quote":
            depth = draw(st.integers(1, MAX_NESTING_DEPTH + 6))
            lines += ["> " * (level + 1) + words(2) for level in range(depth)] + [""]
        elif kind == "code":
            lines += ["```", words(), "```", ""]
        else:
            lines += [f"| {words(1)} | {words(1)} |", "|---|---|", f"| {words(1)} | {words(1)} |", ""]
    return "\n".join(lines) + "\n"


@FUZZ
@given(report())
def test_no_word_of_a_report_is_silently_lost(text):
    document, problems = read(text)
    written = re.findall(r"zq\d+x", text)
    if document is None:
        assert_located(problems, text)
        return  # the source is refused, with places
    shown = re.findall(r"zq\d+x", reading.plain_text(document))
    assert sorted(shown) == sorted(written), set(written) - set(shown)


# ------------------------------------------------------------------ the request parser

HEADER_NAMES = st.sampled_from(
    [
        "From",
        "Reply-To",
        "Subject",
        "Message-ID",
        "Content-Type",
        "Content-Transfer-Encoding",
        "Auto-Submitted",
        "Precedence",
        "References",
        "X-Loop",
        "Return-Path",
        "MIME-Version",
    ]
)


@FUZZ
@given(st.binary(max_size=3000))
def test_any_bytes_parse_without_an_exception(raw):
    _parses_and_survives_the_ledger(raw)


@FUZZ
@given(st.lists(st.tuples(HEADER_NAMES, st.text(max_size=60)), max_size=12), st.text(max_size=400))
def test_any_headers_and_body_parse_without_an_exception(headers, body):
    head = "".join(
        f"{name}: {value}\r\n" for name, value in headers if "\n" not in value and "\r" not in value
    )
    raw = (head + "\r\n" + body).encode("utf-8", "surrogatepass")
    _parses_and_survives_the_ledger(raw)


def _parses_and_survives_the_ledger(raw: bytes) -> ParsedMessage:
    message = parse_bytes(raw)
    assert message.key
    assert len(message.body) <= MAX_BODY_CHARS
    reason_to_ignore(message, {"formats@example.org"})
    # What the ledger stores must come back the same (it is how a request resumes).
    stored = json.dumps(message.to_json())
    assert ParsedMessage.from_json(json.loads(stored)) == message
    return message


WORDS = st.lists(st.from_regex(r"[A-Za-zÀ-ÿŵŷ]{2,10}", fullmatch=True), min_size=1, max_size=40)


@FUZZ
@given(
    WORDS,
    st.sampled_from(["utf-8", "iso-8859-1", "iso-8859-15"]),
    st.sampled_from(["7bit", "quoted-printable", "base64"]),
)
def test_a_plain_request_keeps_every_word(words, charset, encoding):
    from email.message import EmailMessage

    text = " ".join(words)
    if charset != "utf-8" and not _encodable(text, charset):
        charset = "utf-8"
    message = EmailMessage()
    message["From"] = "Anne <anne@example.com>"
    message["Subject"] = "A request"
    message["Message-ID"] = "<fuzz@example.com>"
    message.set_content(text, charset=charset, cte=None if encoding == "7bit" else encoding)
    parsed = _parses_and_survives_the_ledger(bytes(message))
    assert parsed.body.split() == text.split()


def _encodable(text: str, charset: str) -> bool:
    try:
        text.encode(charset)
    except UnicodeEncodeError:
        return False
    return True
