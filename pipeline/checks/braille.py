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

from ..document import Document, iter_blocks
from ..reading import plain_text, runs_language, runs_of
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
BLANK, HYPHEN = "\u2800", "\u2824"


@dataclass(frozen=True)
class BrailleExpectations:
    cells: int
    lines: int
    number_at_top: bool  # braille page number on line 1 (UKAAF) or the last line (BANA)
    duplex: bool
    table: str  # the liblouis table the body was translated with
    min_recall: float  # back-translated words in order: below this is an error
    recall_is_error: bool = True  # False: below min_recall is only a warning (non-UEB codes)
    right_hand_only: bool = False  # interpoint: page information line on right-hand pages only
    uncontracted_table: str = ""  # addresses are uncontracted: they read back with this table
    sheets_per_volume: int = 0  # 0: no limit checked
    eight_dot: bool = False  # 8-dot braille: PEF only, no BRF
    # (language, table, min_recall, below-is-error) of parts brailled with another language's
    # table (a bilingual report's other half)
    part_tables: tuple[tuple[str, str, float, bool], ...] = ()

    @property
    def pages_per_volume(self) -> int:
        return self.sheets_per_volume * (2 if self.duplex else 1)


# Web and email addresses in the source, which must read back exactly (the check's own pattern).
ADDRESS = re.compile(r"(?:https?://|www\.)\S+[^\s.,;:!?)]|[\w.+-]+@[\w-]+\.[\w.-]*\w")


def source_addresses(doc: Document) -> list[str]:
    found: list[str] = []

    def walk(inlines) -> None:
        for node in inlines:
            url = getattr(node, "url", None)
            if url and not url.startswith("#"):
                found.append(url.removeprefix("mailto:"))
            if hasattr(node, "inlines"):
                walk(node.inlines)
            text = getattr(node, "text", None)
            if isinstance(text, str):
                found.extend(m.group(0) for m in ADDRESS.finditer(text))

    for block in iter_blocks(doc.blocks):
        for name in ("inlines", "caption", "attribution"):
            walk(getattr(block, name, ()) or ())
    return list(dict.fromkeys(found))


def check_braille(
    doc: Document,
    brf: Path | None,
    pef: Path,
    expect: BrailleExpectations,
    volume_brfs: list[Path] | None = None,
) -> CheckResult:
    findings: list[Finding] = []
    metrics: dict[str, object] = {}
    volumes = _read_pef(pef, expect, findings)
    if volumes is None:
        return CheckResult(tuple(findings[:MAX_FINDINGS]), metrics)
    all_pages = [page for volume in volumes for page in volume]
    metrics["table"] = Path(expect.table).name  # the code, as liblouis names its table
    metrics["pages"] = len(all_pages)
    metrics["volumes"] = len(volumes)
    metrics["sheets"] = [(len(v) + 1) // 2 if expect.duplex else len(v) for v in volumes]
    if brf is not None:
        brf_pages = _read_brf(brf, expect, findings)
        _compare(brf, brf_pages, all_pages, findings)
    for number, path in enumerate(volume_brfs or [], start=1):
        if number <= len(volumes):
            _compare(path, _read_brf(path, expect, findings), volumes[number - 1], findings)
    if volume_brfs is not None and len(volumes) > 1 and len(volume_brfs) != len(volumes):
        findings.append(
            Finding(
                "error",
                f"{len(volumes)} volumes in the PEF but {len(volume_brfs)} volume BRF files",
                pef.name,
            )
        )
    body_lines: list[str] = []
    previous_body = 0
    prelim_counts = []
    for number, volume in enumerate(volumes, start=1):
        where = f"{pef.name} volume {number}"
        if expect.duplex and len(volume) % 2:
            findings.append(
                Finding(
                    "error",
                    f"an interpoint volume of {len(volume)} pages: it must be an even number (whole sheets)",
                    where,
                )
            )
        if expect.sheets_per_volume and len(volume) > expect.pages_per_volume:
            findings.append(
                Finding("error", f"{len(volume)} pages, more than {expect.sheets_per_volume} sheets", where)
            )
        ascii_pages = [[_to_ascii(row) for row in page] for page in volume]
        numbers = _check_page_numbers(where, ascii_pages, expect, findings, previous_body)
        prelim_counts.append(sum(1 for prelim, _ in numbers if prelim))
        if not numbers or numbers[0] != (True, 1):
            findings.append(Finding("error", "the volume does not start with its title page (p1)", where))
        body = [value for prelim, value in numbers if not prelim and value > 0]
        previous_body = body[-1] if body else previous_body
        for index, ((prelim, _), page) in enumerate(zip(numbers, volume)):
            if not prelim:
                body_lines += _text_lines(page, expect, right_hand=index % 2 == 0)
    metrics["preliminary_pages"] = prelim_counts[0] if len(prelim_counts) == 1 else prelim_counts
    metrics["body_pages"] = previous_body
    parts = _recall_by_part(doc, _join_lines(body_lines), expect)
    total = sum(count for *_, count in parts)
    metrics["back_translation_recall"] = round(
        sum(recall * count for _, _, recall, _, _, count in parts) / total if total else 1.0, 4
    )
    for part, table, recall, least, is_error, _ in parts:
        if len(parts) > 1:
            metrics[f"back_translation_recall_{part or 'main'}"] = round(recall, 4)
        if recall < least:
            what = f"the {part} part" if part else "the body"
            findings.append(
                Finding(
                    "error" if is_error else "warning",
                    f"{what} back-translated with {table} recovers only {recall:.3f} of the "
                    f"source's words in order (need {least}): text is missing or garbled",
                    pef.name,
                )
            )
    _check_addresses(doc, body_lines, expect, pef, findings, metrics)
    return CheckResult(tuple(findings[:MAX_FINDINGS]), metrics)


def _recall_by_part(
    doc: Document, body: str, expect: BrailleExpectations
) -> list[tuple[str, str, float, float, bool, int]]:
    """Words read back in order, each language's parts with its own table. The whole body is
    read with each table: the other language's lines read with it are extra words, which cost
    the in-order measure nothing, while every source word of that language must be there."""
    tables = {language: (table, least, is_error) for language, table, least, is_error in expect.part_tables}
    main = (expect.table, expect.min_recall, expect.recall_is_error)
    expected: dict[str, list[str]] = {"": []}
    for block in doc.blocks:
        text = words(plain_text(Document(doc.meta, (block,))))
        language = _block_language(block)
        part = language if language in tables else ""
        expected.setdefault(part, []).extend(text)
    if len(expected) == 1:
        expected = {"": source_words(doc)}  # notes' and figures' words placed as in print
    out = []
    for part, expected_words in expected.items():
        table, least, is_error = tables.get(part, main)
        recall = in_order_recall(expected_words, words(_back_translate(body, table)))
        out.append((part, table, recall, least, is_error, len(expected_words)))
    return out


def _block_language(block) -> str | None:
    inlines = getattr(block, "inlines", None)
    if inlines is None:
        return None
    language = runs_language(runs_of(inlines))
    return language.split("-")[0].lower() if language else None


def _to_ascii(row: str) -> str:
    """A PEF row as Braille ASCII (liblouis' display table), to read its page number."""
    return louis.dotsToChar([DISPLAY_TABLE], row) if row else ""


def _back_translate(cells: str, table: str) -> str:
    """Unicode braille back to text with the table (via its own display characters, which works
    for 6-dot and 8-dot tables alike)."""
    return louis.backTranslateString([table], louis.dotsToChar([table], cells)) if cells else ""


def _check_addresses(
    doc: Document,
    body_lines: list[str],
    expect: BrailleExpectations,
    pef: Path,
    findings: list[Finding],
    metrics: dict[str, object],
) -> None:
    """Every web and email address reads back exactly: lines back-translated one by one and
    joined with nothing between them (an address divided across lines has no hyphen added and
    no space), with the code's table or its uncontracted partner (addresses are uncontracted)."""
    addresses = source_addresses(doc)
    if not addresses:
        return
    tables = [expect.table] + (
        [expect.uncontracted_table] if expect.uncontracted_table not in ("", expect.table) else []
    )
    joined = [
        "".join(_back_translate(line.strip("\u2800"), table) for line in body_lines if line.strip("\u2800"))
        for table in tables
    ]
    exact = [address for address in addresses if any(address in text for text in joined)]
    metrics["addresses_exact"] = f"{len(exact)}/{len(addresses)}"
    for address in addresses:
        if address not in exact:
            findings.append(
                Finding(
                    "error" if expect.recall_is_error else "warning",
                    f"the address {address} does not read back exactly: a reader could not type it in",
                    pef.name,
                )
            )


# ---------------------------------------------------------------- BRF


def _read_brf(path: Path, expect: BrailleExpectations, findings: list[Finding]) -> list[list[str]]:
    data = path.read_bytes()
    bad = [i for i, byte in enumerate(data) if not (0x20 <= byte <= 0x5F or byte in b"\r\n\f")]
    for offset in bad[:5]:
        findings.append(
            Finding(
                "error",
                f"byte 0x{data[offset]:02X} is not Braille ASCII (0x20-0x5F): embossers print it wrongly",
                f"{path.name} byte {offset}",
            )
        )
    text = data.decode("latin-1")
    chunks = text.split("\f")
    if chunks[-1] != "":
        findings.append(
            Finding("error", "the file does not end with a form feed after the last page", path.name)
        )
    pages: list[list[str]] = []
    for number, chunk in enumerate(chunks[:-1] if chunks[-1] == "" else chunks, start=1):
        where = f"{path.name} page {number}"
        if chunk and not chunk.endswith("\r\n"):
            findings.append(Finding("error", "the page's last line does not end with CR LF", where))
        lines = chunk.split("\r\n")
        if lines and lines[-1] == "":
            lines.pop()
        for row, line in enumerate(lines, start=1):
            if "\r" in line or "\n" in line:
                findings.append(
                    Finding("error", "a line ends with a bare CR or LF, not CR LF", f"{where} line {row}")
                )
            if len(line) > expect.cells:
                findings.append(
                    Finding(
                        "error",
                        f"line of {len(line)} cells is longer than {expect.cells}",
                        f"{where} line {row}",
                    )
                )
        if len(lines) > expect.lines:
            findings.append(
                Finding("error", f"page of {len(lines)} lines is longer than {expect.lines}", where)
            )
        pages.append(lines)
    return pages


def _check_page_numbers(
    where_prefix: str,
    pages: list[list[str]],
    expect: BrailleExpectations,
    findings: list[Finding],
    previous_body: int = 0,
) -> list[tuple[bool, int]]:
    """(preliminary?, number) per page of one volume; p1, p2... first, then the body, numbered
    on from the volume before. A blank back, and in UKAAF interpoint a left-hand page, carries
    an implied number (-1 here)."""
    numbers: list[tuple[bool, int]] = []
    for index, page in enumerate(pages):
        where = f"{where_prefix} page {index + 1}"
        left_hand = expect.duplex and index % 2 == 1
        if not any(line.strip() for line in page):
            if not left_hand:
                findings.append(Finding("error", "a blank right-hand page", where))
            numbers.append((numbers[-1][0] if numbers else True, -1))
            continue
        if left_hand and expect.right_hand_only:
            numbers.append((numbers[-1][0] if numbers else True, -1))
            continue
        row = 0 if expect.number_at_top else expect.lines - 1
        line = page[row].rstrip() if row < len(page) else ""
        match = PAGE_NUMBER.search(line)
        if not match:
            findings.append(
                Finding("error", "no braille page number where the layout puts it", f"{where} line {row + 1}")
            )
            numbers.append((numbers[-1][0] if numbers else True, -1))
            continue
        value = int("".join(DIGITS[c] for c in match.group(2)))
        numbers.append((match.group(1) == "P", value))
    expected_prelim, expected_body, seen_body = 1, previous_body + 1, False
    for index, (prelim, value) in enumerate(numbers, start=1):
        where = f"{where_prefix} page {index}"
        if prelim and seen_body and value != -1:
            findings.append(Finding("error", "a preliminary page (p number) after the body", where))
        if prelim:
            expected, expected_prelim = expected_prelim, expected_prelim + 1
        else:
            seen_body = True
            expected, expected_body = expected_body, expected_body + 1
        if value != expected and value != -1:
            label = f"p{expected}" if prelim else str(expected)
            findings.append(
                Finding("error", f"page numbers are not consecutive: expected {label}, found {value}", where)
            )
    # Implied numbers are filled in so callers see every page's number.
    filled, prelim_n, body_n = [], 1, previous_body + 1
    for prelim, _value in numbers:
        filled.append((prelim, prelim_n if prelim else body_n))
        prelim_n, body_n = (prelim_n + 1, body_n) if prelim else (prelim_n, body_n + 1)
    return filled


def _join_lines(lines: list[str]) -> str:
    """Lines (Unicode cells) as running text. A line ending in a hyphen (dots 3-6) ends a word
    the layout split: it is joined to the next line with its hyphen kept, which is exact for a
    break at the word's own hyphen (impact-of-) and costs one word for a forced split."""
    parts: list[str] = []
    for line in lines:
        text = line.strip(BLANK)
        if not text:
            continue
        if parts and parts[-1].endswith(HYPHEN) and len(parts[-1]) > 1 and parts[-1][-2] != HYPHEN:
            parts[-1] = parts[-1] + text
        else:
            parts.append(text)
    return BLANK.join(parts)


def _text_lines(page: list[str], expect: BrailleExpectations, right_hand: bool = True) -> list[str]:
    """A body page without its page information lines (Unicode cells)."""
    if not page:
        return []
    left_plain = expect.duplex and not right_hand and expect.right_hand_only
    lines = page if left_plain else page[1:]
    if not expect.number_at_top:
        lines = lines[: expect.lines - 2]
    return lines


# ---------------------------------------------------------------- PEF


def _read_pef(
    path: Path, expect: BrailleExpectations, findings: list[Finding]
) -> list[list[list[str]]] | None:
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
    out: list[list[list[str]]] = []
    count = 0
    for volume in volumes:
        pages: list[list[str]] = []
        out.append(pages)
        expected = {
            "cols": str(expect.cells),
            "rows": str(expect.lines),
            "rowgap": "0",
            "duplex": "true" if expect.duplex else "false",
        }
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
                count += 1
                pages.append(_pef_rows(page, expect, count, path, findings))
    return out


def _pef_rows(
    page: etree._Element, expect: BrailleExpectations, number: int, path: Path, findings: list[Finding]
) -> list[str]:
    rows = [r for r in page if isinstance(r.tag, str)]
    where = f"{path.name} page {number}"
    if any(r.tag != f"{{{PEF_NS}}}row" for r in rows):
        findings.append(Finding("error", "a page must hold only row elements", where))
    if len(rows) > expect.lines:
        findings.append(Finding("error", f"{len(rows)} rows, more than {expect.lines}", where))
    texts = [r.text or "" for r in rows]
    for index, text in enumerate(texts, start=1):
        highest = "\u28ff" if expect.eight_dot else "\u283f"
        if any(not "\u2800" <= c <= highest for c in text):
            findings.append(
                Finding(
                    "error",
                    f"a row holds characters outside {'8' if expect.eight_dot else '6'}-dot braille",
                    f"{where} row {index}",
                )
            )
        if len(text) > expect.cells:
            findings.append(
                Finding(
                    "error", f"a row of {len(text)} cells, more than {expect.cells}", f"{where} row {index}"
                )
            )
    return texts


def _compare(
    path: Path, brf_pages: list[list[str]], pef_pages: list[list[str]], findings: list[Finding]
) -> None:
    if len(brf_pages) != len(pef_pages):
        findings.append(
            Finding("error", f"the BRF has {len(brf_pages)} pages, the PEF {len(pef_pages)}", path.name)
        )
    for number, (brf_page, pef_page) in enumerate(zip(brf_pages, pef_pages), start=1):
        as_dots = [
            louis.charToDots([DISPLAY_TABLE], line, mode=louis.ucBrl) if line else "" for line in brf_page
        ]
        if _normalise(as_dots) != _normalise(pef_page):
            findings.append(
                Finding("error", "the PEF page differs from the BRF page", f"{path.name} page {number}")
            )
            return


def _normalise(rows: list[str]) -> list[str]:
    out = [row.replace(" ", "\u2800").rstrip("\u2800") for row in rows]
    while out and not out[-1]:
        out.pop()
    return out
