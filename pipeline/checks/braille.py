"""Read-back check for the braille stage: the BRF and PEF as an embosser and a reader meet them.

It knows the formats, not the stage's code: the BRF is decoded to dots with liblouis' own
en-us-brf.dis display table, the PEF is parsed with lxml, and the body is back-translated with
liblouis and compared with the source's words.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import louis
from lxml import etree

from ..document import Document
from ..stage_api import CheckResult, Finding
from ..textcompare import in_order_recall, source_words, words

PEF_NS = "http://www.daisy.org/ns/2008/pef"
DC_NS = "http://purl.org/dc/elements/1.1/"
DISPLAY_TABLE = "en-us-brf.dis"
# A braille page number at the end of a page information line: optional p (preliminary page),
# the number sign, digits written as the letters a-j.
PAGE_NUMBER = re.compile(r"(?:^| )(P?)#([A-J]+)$")
DIGITS = {letter: str((index + 1) % 10) for index, letter in enumerate("ABCDEFGHIJ")}
MAX_FINDINGS = 20


@dataclass(frozen=True)
class BrailleExpectations:
    cells: int
    lines: int
    number_at_top: bool           # braille page number on line 1 (UKAAF) or the last line (BANA)
    duplex: bool
    table: str                    # the liblouis table the body was translated with
    min_recall: float             # back-translated words in order: below this is an error
    recall_is_error: bool = True  # False: below min_recall is only a warning (non-UEB codes)


def check_braille(doc: Document, brf: Path, pef: Path, expect: BrailleExpectations
                  ) -> CheckResult:
    findings: list[Finding] = []
    metrics: dict[str, object] = {}
    brf_pages = _read_brf(brf, expect, findings)
    metrics["pages"] = len(brf_pages)
    numbers = _check_page_numbers(brf, brf_pages, expect, findings)
    metrics["preliminary_pages"] = sum(1 for prelim, _ in numbers if prelim)
    metrics["body_pages"] = sum(1 for prelim, _ in numbers if not prelim)
    pef_pages = _read_pef(pef, expect, findings)
    if pef_pages is not None:
        _compare(brf, brf_pages, pef_pages, findings)
    body_lines = [line for (prelim, _), page in zip(numbers, brf_pages) if not prelim
                  for line in _text_lines(page, expect)]
    back = louis.backTranslateString([DISPLAY_TABLE, expect.table], _join_lines(body_lines))
    recall = in_order_recall(source_words(doc), words(back))
    metrics["back_translation_recall"] = round(recall, 4)
    if recall < expect.min_recall:
        findings.append(Finding(
            "error" if expect.recall_is_error else "warning",
            f"the body back-translated with {expect.table} recovers only {recall:.3f} of the "
            f"source's words in order (need {expect.min_recall}): text is missing or garbled",
            brf.name))
    return CheckResult(tuple(findings[:MAX_FINDINGS]), metrics)


# ---------------------------------------------------------------- BRF


def _read_brf(path: Path, expect: BrailleExpectations, findings: list[Finding]
              ) -> list[list[str]]:
    data = path.read_bytes()
    bad = [i for i, byte in enumerate(data) if not (0x20 <= byte <= 0x5F or byte in b"\r\n\f")]
    for offset in bad[:5]:
        findings.append(Finding("error", f"byte 0x{data[offset]:02X} is not Braille ASCII "
                                         "(0x20-0x5F): embossers print it wrongly",
                                f"{path.name} byte {offset}"))
    text = data.decode("latin-1")
    chunks = text.split("\f")
    if chunks[-1] != "":
        findings.append(Finding("error", "the file does not end with a form feed after the last "
                                         "page", path.name))
    pages: list[list[str]] = []
    for number, chunk in enumerate(chunks[:-1] if chunks[-1] == "" else chunks, start=1):
        where = f"{path.name} page {number}"
        if chunk and not chunk.endswith("\r\n"):
            findings.append(Finding("error", "the page's last line does not end with CR LF",
                                    where))
        lines = chunk.split("\r\n")
        if lines and lines[-1] == "":
            lines.pop()
        for row, line in enumerate(lines, start=1):
            if "\r" in line or "\n" in line:
                findings.append(Finding("error", "a line ends with a bare CR or LF, not CR LF",
                                        f"{where} line {row}"))
            if len(line) > expect.cells:
                findings.append(Finding("error", f"line of {len(line)} cells is longer than "
                                                 f"{expect.cells}", f"{where} line {row}"))
        if len(lines) > expect.lines:
            findings.append(Finding("error", f"page of {len(lines)} lines is longer than "
                                             f"{expect.lines}", where))
        pages.append(lines)
    return pages


def _check_page_numbers(path: Path, pages: list[list[str]], expect: BrailleExpectations,
                        findings: list[Finding]) -> list[tuple[bool, int]]:
    """(preliminary?, number) per page; preliminary pages p1, p2... come first, then 1, 2..."""
    numbers: list[tuple[bool, int]] = []
    for index, page in enumerate(pages, start=1):
        row = 0 if expect.number_at_top else expect.lines - 1
        line = page[row].rstrip() if row < len(page) else ""
        match = PAGE_NUMBER.search(line)
        if not match:
            findings.append(Finding("error", "no braille page number where the layout puts it",
                                    f"{path.name} page {index} line {row + 1}"))
            numbers.append((numbers[-1][0] if numbers else True, -1))
            continue
        value = int("".join(DIGITS[c] for c in match.group(2)))
        numbers.append((match.group(1) == "P", value))
    expected_prelim, expected_body, seen_body = 1, 1, False
    for index, (prelim, value) in enumerate(numbers, start=1):
        where = f"{path.name} page {index}"
        if prelim and seen_body:
            findings.append(Finding("error", "a preliminary page (p number) after the body",
                                    where))
        if prelim:
            expected, expected_prelim = expected_prelim, expected_prelim + 1
        else:
            seen_body = True
            expected, expected_body = expected_body, expected_body + 1
        if value != expected and value != -1:
            label = f"p{expected}" if prelim else str(expected)
            findings.append(Finding("error", f"page numbers are not consecutive: expected "
                                             f"{label}, found {value}", where))
    return numbers


def _join_lines(lines: list[str]) -> str:
    """Lines as running text. A line ending in a hyphen (dots 3-6, '-') ends a word the layout
    split: it is joined to the next line with its hyphen kept, which is exact for a break at
    the word's own hyphen (impact-of-) and costs one word for a forced split (re-ports)."""
    parts: list[str] = []
    for line in lines:
        text = line.strip()
        if parts and parts[-1].endswith("-") and len(parts[-1]) > 1 and parts[-1][-2] != "-":
            parts[-1] = parts[-1] + text
        else:
            parts.append(text)
    return " ".join(parts)


def _text_lines(page: list[str], expect: BrailleExpectations) -> list[str]:
    """A body page without its page information lines."""
    lines = page[1:]
    if not expect.number_at_top:
        lines = lines[:expect.lines - 2]
    return lines


# ---------------------------------------------------------------- PEF


def _read_pef(path: Path, expect: BrailleExpectations, findings: list[Finding]
              ) -> list[list[str]] | None:
    def error(message: str) -> None:
        findings.append(Finding("error", message, path.name))

    try:
        root = etree.parse(str(path)).getroot()
    except etree.XMLSyntaxError as problem:
        error(f"not well-formed XML: {problem}")
        return None
    if root.tag != f"{{{PEF_NS}}}pef" or root.get("version") != "2008-1":
        error("the root element is not pef version 2008-1 in the PEF namespace")
        return None
    meta = root.find(f"{{{PEF_NS}}}head/{{{PEF_NS}}}meta")
    if meta is None:
        error("no head/meta element")
    else:
        if (meta.findtext(f"{{{DC_NS}}}format") or "").strip() != "application/x-pef+xml":
            error("dc:format is not application/x-pef+xml")
        if not (meta.findtext(f"{{{DC_NS}}}identifier") or "").strip():
            error("no dc:identifier")
    volumes = root.findall(f"{{{PEF_NS}}}body/{{{PEF_NS}}}volume")
    if not volumes:
        error("no body/volume")
        return None
    pages: list[list[str]] = []
    for volume in volumes:
        expected = {"cols": str(expect.cells), "rows": str(expect.lines), "rowgap": "0",
                    "duplex": "true" if expect.duplex else "false"}
        for name, value in expected.items():
            if volume.get(name) != value:
                error(f"volume {name}='{volume.get(name)}', expected '{value}'")
        sections = [c for c in volume if isinstance(c.tag, str)]
        if not sections or any(s.tag != f"{{{PEF_NS}}}section" for s in sections):
            error("a volume must hold only section elements, at least one")
        for section in sections:
            section_pages = [p for p in section if isinstance(p.tag, str)]
            if not section_pages or any(p.tag != f"{{{PEF_NS}}}page" for p in section_pages):
                error("a section must hold only page elements, at least one")
            for page in section_pages:
                pages.append(_pef_rows(page, expect, len(pages) + 1, path, findings))
    return pages


def _pef_rows(page: etree._Element, expect: BrailleExpectations, number: int, path: Path,
              findings: list[Finding]) -> list[str]:
    rows = [r for r in page if isinstance(r.tag, str)]
    where = f"{path.name} page {number}"
    if any(r.tag != f"{{{PEF_NS}}}row" for r in rows):
        findings.append(Finding("error", "a page must hold only row elements", where))
    if len(rows) > expect.lines:
        findings.append(Finding("error", f"{len(rows)} rows, more than {expect.lines}", where))
    texts = [r.text or "" for r in rows]
    for index, text in enumerate(texts, start=1):
        if any(not "\u2800" <= c <= "\u283f" for c in text):
            findings.append(Finding("error", "a row holds characters outside 6-dot braille "
                                             "U+2800-U+283F", f"{where} row {index}"))
        if len(text) > expect.cells:
            findings.append(Finding("error", f"a row of {len(text)} cells, more than "
                                             f"{expect.cells}", f"{where} row {index}"))
    return texts


def _compare(path: Path, brf_pages: list[list[str]], pef_pages: list[list[str]],
             findings: list[Finding]) -> None:
    if len(brf_pages) != len(pef_pages):
        findings.append(Finding("error", f"the BRF has {len(brf_pages)} pages, the PEF "
                                         f"{len(pef_pages)}", path.name))
    for number, (brf_page, pef_page) in enumerate(zip(brf_pages, pef_pages), start=1):
        as_dots = [louis.charToDots([DISPLAY_TABLE], line, mode=louis.ucBrl) if line else ""
                   for line in brf_page]
        if _normalise(as_dots) != _normalise(pef_page):
            findings.append(Finding("error", "the PEF page differs from the BRF page",
                                    f"{path.name} page {number}"))
            return


def _normalise(rows: list[str]) -> list[str]:
    out = [row.replace(" ", "\u2800").rstrip("\u2800") for row in rows]
    while out and not out[-1]:
        out.pop()
    return out
