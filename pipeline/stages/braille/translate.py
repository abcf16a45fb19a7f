"""Text to braille cells with liblouis: table choice, emphasis typeforms, note references.

Everything here returns Unicode braille (U+2800-U+283F): we translate once, to dots, and make the
BRF and the PEF from the same cells (brf.py maps dots to Braille ASCII), so line breaking and
pagination are done once and the two files cannot disagree.
"""

from __future__ import annotations

import ctypes
import functools
import re
import unicodedata
from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path

import louis

from ...reading import Run, Runs, runs_language
from . import readback

TABLE_FOLDER = Path("/usr/share/liblouis/tables")
# A zero-width mark the translator leaves inside web and email addresses after a slash, dot,
# hyphen, underscore or @: layout.wrap may end a line there without adding a hyphen (UEB: an
# address is divided after such a symbol, no hyphen inserted), and removes every mark it keeps.
ADDRESS_BREAK = "\u200b"
SLASH_BREAK = "\u200c"  # before ADDRESS_BREAK: the break follows a slash (preferred)
ADDRESS_START = "\u2060"  # where an address or code begins: never hyphenated when divided
MARKS = (ADDRESS_BREAK, SLASH_BREAK, ADDRESS_START)
BREAK_AFTER = set("/.-_@?&=#:~+")
DOTS_MODE = louis.dotsIO | louis.ucBrl
BLANK = "\u2800"  # the empty cell: the only word separator in braille
HYPHEN = "\u2824"  # dots 3-6
NUMBER_SIGN = "\u283c"  # dots 3-4-5-6
DIGIT_CELLS = "\u281a\u2801\u2803\u2809\u2819\u2811\u280b\u281b\u2813\u280a"  # 0 = j, 1 = a ...
HOW_TO_LIST = (
    f"the installed tables are the files in {TABLE_FOLDER} "
    f"(run `ls {TABLE_FOLDER}`); for example en-ueb-g2.ctb (UEB contracted), "
    "en-ueb-g1.ctb (UEB uncontracted), or give a language such as 'cy' or 'de', "
    "or 'auto' for the report's language"
)


# Web and email addresses written in running text: uncontracted, as UEB 10 advises for them.
WEB_ADDRESS = re.compile(r"(?:https?://|www\.)\S+[^\s.,;:!?)]|[\w.+-]+@[\w-]+\.[\w.-]*\w")


class TableError(ValueError):
    """An unknown or unusable braille table; the message says how to find the installed ones."""


# liblouis logs table errors to stderr; collect them instead so our error message carries them
# and stderr stays a progress channel.
_log: list[str] = []


@louis.LogCallback
def _collect_log(level: int, message: bytes) -> None:
    if level >= louis.LOG_WARN:
        _log.append(message.decode("utf-8", "replace"))


louis.registerLogCallback(_collect_log)


def _c_function(name: str, restype: type, argtypes: list[type]):
    # The bindings' own getTypeformForEmphClass is broken in 3.24 (NameError _is_py3) and
    # lou_findTable / lou_getTableInfo are not wrapped: call the C library directly.
    function = getattr(louis.liblouis, name)
    function.restype, function.argtypes = restype, argtypes
    return function


_find_table = _c_function("lou_findTable", ctypes.c_char_p, [ctypes.c_char_p])
_table_info = _c_function("lou_getTableInfo", ctypes.c_char_p, [ctypes.c_char_p, ctypes.c_char_p])
_emph_typeform = _c_function(
    "lou_getTypeformForEmphClass", ctypes.c_ushort, [ctypes.c_char_p, ctypes.c_char_p]
)


def is_table_name(value: str) -> bool:
    """A liblouis table file name (en-ueb-g2.ctb), as opposed to a language tag (cy, en-GB)."""
    return "." in value or "/" in value or "," in value


# The codes a reader asks for by name (options and request emails), as liblouis tables.
CODE_NAMES = {
    "ueb": "en-ueb-g2.ctb",
    "ueb-g2": "en-ueb-g2.ctb",
    "ueb-grade-2": "en-ueb-g2.ctb",
    "ueb-g1": "en-ueb-g1.ctb",
    "ueb-grade-1": "en-ueb-g1.ctb",
    "computer": "en-gb-comp8.ctb",
    "computer-8": "en-gb-comp8.ctb",
    "8-dot": "en-gb-comp8.ctb",
    "welsh": "cy-cy-g2.ctb",
    "welsh-g2": "cy-cy-g2.ctb",
    "welsh-g1": "cy-cy-g1.utb",
}
# Languages whose best tables lou_findTable does not pick (cy finds the old cy.tbl): by grade.
LANGUAGE_TABLES = {
    "en": {1: "en-ueb-g1.ctb", 2: "en-ueb-g2.ctb"},
    "cy": {1: "cy-cy-g1.utb", 2: "cy-cy-g2.ctb"},
}
# The uncontracted partner of a contracted table: addresses are written uncontracted, so they
# read back exactly with it.
UNCONTRACTED = {"en-ueb-g2.ctb": "en-ueb-g1.ctb", "cy-cy-g2.ctb": "cy-cy-g1.utb"}


# liblouis 3.24's Welsh tables predate Welsh braille's move to UEB as its base code: they write
# "/" as the old st sign, wrap addresses in a computer-braille indicator pair and "@" in 8 dots,
# and read them back without their dots. Web and email addresses and code in a Welsh report are
# therefore written in uncontracted UEB, the base code's own signs for them.
ADDRESS_TABLES = {"cy-cy-g2.ctb": "en-ueb-g1.ctb", "cy-cy-g1.utb": "en-ueb-g1.ctb"}


def uncontracted_table(table: str) -> str:
    return UNCONTRACTED.get(Path(table).name, table)


def address_table(table: str) -> str:
    """The table web and email addresses and code are written (and read back) with."""
    name = Path(table).name
    return ADDRESS_TABLES.get(name, uncontracted_table(table))


def is_eight_dot(table: str) -> bool:
    return "comp8" in Path(table).name


def check_table(table: str) -> str:
    """The table to give liblouis if it can compile it; TableError with the reason and where to
    look. liblouis' Welsh tables are given as our copy that reads back what it writes
    (readback.py): the same file name, so everything keyed by the name still applies. The copy
    is looked for on every call (it is made again if it has gone); compiling is checked once."""
    if readback.supplemented(table):
        try:
            table = readback.readback_table(table)
        except readback.ReadbackTableError as error:
            raise TableError(str(error)) from None
    return _compiled(table)


@functools.lru_cache(maxsize=64)
def _compiled(table: str) -> str:
    _log.clear()
    try:
        louis.checkTable([table])
    except RuntimeError:
        reason = "; ".join(_log[-2:]) or "liblouis could not compile it"
        raise TableError(f"unknown braille table '{table}' ({reason}): {HOW_TO_LIST}") from None
    return table


@functools.lru_cache(maxsize=64)
def table_for_language(tag: str, grade: int = 2) -> str:
    """The best installed 6-dot table for a BCP 47 language tag (English: UEB contracted)."""
    language = tag.lower() if tag.lower() in LANGUAGE_TABLES else _primary_language(tag)
    if language in LANGUAGE_TABLES:  # UEB is the English code in the UK, US, Canada...
        return LANGUAGE_TABLES[language][1 if grade == 1 else 2]
    _log.clear()
    found = None
    # Most specific first: lou_findTable returns nothing when a feature matches no table.
    for query in (
        f"language:{language} grade:{grade}",
        f"language:{language} dots:6",
        f"language:{language}",
    ):
        found = found or _find_table(query.encode())
    if not found:
        raise TableError(f"no installed braille table for the language '{tag}': {HOW_TO_LIST}")
    return Path(found.decode()).name


def _primary_language(tag: str) -> str:
    """The language subtag of a longer tag ("en-GB" -> "en"). A bare "en" or "cy", which every
    build's option check asks for, is answered without this: langcodes' CLDR data costs a no-op
    build 25-40 ms to import, so it is imported here, on use."""
    import langcodes

    try:
        language = langcodes.Language.get(tag).language
    except (ValueError, langcodes.tag_parser.LanguageTagError):
        language = None
    if not language:
        raise TableError(f"'{tag}' is neither a braille table nor a language tag: {HOW_TO_LIST}")
    return language


def resolve_table(option: str, document_language: str, grade: int = 2) -> str:
    """The option as the liblouis table to translate with: a table name, a code name (ueb-g1,
    computer), a language tag, or 'auto' (the report's language), the last two at the given
    grade. For the Welsh tables this is our read-back copy's path in the user's cache."""
    return check_table(resolve_table_name(option, document_language, grade))


def resolve_table_name(option: str, document_language: str, grade: int = 2) -> str:
    """The same table as liblouis names it (cy-cy-g2.ctb, not our copy's path): what a person
    is shown, and what a key that must be the same on every machine is made from."""
    value = option.strip()
    if value.lower() in CODE_NAMES:
        value = CODE_NAMES[value.lower()]
    if value.lower() == "auto":
        value = document_language
    if not is_table_name(value):
        value = table_for_language(value, grade)
    check_table(value)  # TableError if liblouis cannot compile it
    return value


def table_display_name(table: str) -> str:
    """'Unified English contracted braille', from the table's own metadata where it has some."""
    name = _table_info(table.encode(), b"display-name")
    return name.decode() if name else table


def is_ueb(table: str) -> bool:
    return Path(table).name.startswith("en-ueb")


def reads_back_reliably(table: str) -> bool:
    """UEB, computer braille and our Welsh tables read back what they write (>= 0.98 of the
    words is then required); other liblouis tables are unverified, so less is a warning."""
    return is_ueb(table) or is_eight_dot(table) or readback.supplemented(Path(table).name)


def number_cells(number: int) -> str:
    """A number as braille digits with the number sign (the same in UEB and most codes)."""
    return NUMBER_SIGN + "".join(DIGIT_CELLS[int(d)] for d in str(number))


def _runs_of(typeforms: list[int], bits: int) -> list[tuple[int, int]]:
    """(start, end) of each stretch whose typeform has any of `bits`."""
    spans, start = [], None
    for index, value in enumerate(typeforms + [0]):
        if value & bits and start is None:
            start = index
        elif not value & bits and start is not None:
            spans.append((start, index))
            start = None
    return spans


@dataclass(frozen=True)
class _Piece:
    text: str
    typeform: int
    code: bool = False  # code or an address: divided at its own symbols


class Translator:
    """Translate runs of one table to braille cells, a paragraph at a time.

    A paragraph goes to liblouis in one call (so contractions across words and emphasis passages
    come out right); it is cut only at forced line breaks and at note references, which have no
    print text of their own.
    """

    def __init__(self, table: str, language: str):
        self.table = check_table(table)
        self.language = (language or "en").split("-")[0].lower()
        self.ueb = is_ueb(table)
        encoded = table.encode()
        self.italic = _emph_typeform(encoded, b"italic")
        self.bold = _emph_typeform(encoded, b"bold")
        self.eight_dot = is_eight_dot(table)
        self.grade = 1 if Path(table).name in UNCONTRACTED.values() or "g1" in table else 2
        self._partners: dict[str, Translator | None] = {}

    def partner(self, language: str) -> Translator | None:
        """The translator for a part of the report in another language (a bilingual report's
        Welsh or English half), at this code's grade; None when no table has the language, or
        for computer braille, which is the same for every language."""
        primary = language.split("-")[0].lower()
        if self.eight_dot or primary == self.language:
            return None
        if primary not in self._partners:
            try:
                self._partners[primary] = Translator(table_for_language(primary, self.grade), primary)
            except TableError:
                self._partners[primary] = None
        return self._partners[primary]

    # ------------------------------------------------------------ plain strings

    def text(self, text: str, *, contracted: bool = True) -> str:
        """Cells for a plain string (labels, titles); uncontracted on request."""
        return self._translate([_Piece(text, 0 if contracted else louis.no_contract)])

    def note_marker(self, number: int) -> str:
        """A note reference: in UEB the superscript of the number (grade 1 indicator, level
        change up, number), as UEB writes a superscript note number; other codes get "[n]"."""
        if self.ueb:
            return "\u2830\u2814" + number_cells(number)
        return self.text(f"[{number}]")

    def transcriber_note(self, cells: str) -> str:
        """Cells wrapped in the UEB transcriber's note indicators (dots 4 46 126 ... 4 46 345)."""
        if self.ueb:
            return "\u2808\u2828\u2823" + cells + "\u2808\u2828\u281c"
        return self.text("[") + cells + self.text("]")

    # ------------------------------------------------------------ runs

    def runs(self, runs: Runs) -> list[str]:
        """Cells for a paragraph's runs: one string per forced line (LineBreak). A paragraph
        wholly in another language is brailled with that language's table (a few foreign words
        inside a paragraph stay in this code, uncontracted, as UEB 13 asks)."""
        language = runs_language(runs)
        other = self.partner(language) if language else None
        if other is not None:
            return other.runs(tuple(replace(run, lang=None) for run in runs))
        lines: list[str] = []
        current: list[str] = []
        pieces: list[_Piece] = []

        def flush_pieces() -> None:
            if pieces:
                current.append(self._translate(pieces))
                pieces.clear()

        for run in _with_visible_urls(runs):
            if run.note is not None:
                flush_pieces()
                current.append(self.note_marker(run.note))
            elif run.text == "\n":
                flush_pieces()
                lines.append("".join(current))
                current = []
            else:
                pieces.append(_Piece(run.text, self._typeform(run), code=run.code))
        flush_pieces()
        lines.append("".join(current))
        return lines

    def _typeform(self, run: Run) -> int:
        typeform = 0
        if run.emphasis:
            typeform |= self.italic
        if run.strong:
            typeform |= self.bold
        foreign = run.lang is not None and run.lang.split("-")[0].lower() != self.language
        # Code, web addresses and words in another language are written uncontracted (UEB 13).
        if run.code or foreign:
            typeform |= louis.no_contract
        return typeform

    def _translate(self, pieces: list[_Piece]) -> str:
        text_parts, typeforms, code = [], [], []
        for piece in pieces:
            clean = self._describe_undefined(piece.text)
            text_parts.append(clean)
            typeforms.extend([piece.typeform] * len(clean))
            code.extend([1 if piece.code else 0] * len(clean))
        text = "".join(text_parts)
        if not text:
            return ""
        addresses = [(m.start(), m.end()) for m in WEB_ADDRESS.finditer(text)]
        for start, end in addresses:  # addresses typed in the text, not as links
            for index in range(start, end):
                typeforms[index] |= louis.no_contract
        spans = sorted(set(_runs_of(code, 1) + addresses))
        own_table = address_table(self.table) != uncontracted_table(self.table)
        cells = "".join(
            self._segment(text, typeforms, start, end, spans, own_table and (start, end) in spans)
            for start, end in self._segments(text, typeforms, spans if own_table else [])
        )
        if not self.eight_dot and any("\u2840" <= cell <= "\u28ff" for cell in cells):
            if self.table_is_eight_dot():
                raise TableError(
                    f"the braille table '{self.table}' writes 8-dot braille; use "
                    f"the 8-dot code 'computer', or a 6-dot table ({HOW_TO_LIST})"
                )
            # A 6-dot table that writes a stray 8-dot cell (liblouis 3.24's Welsh tables write
            # "@" as dots 4-7): drop dots 7 and 8, the fallback PEF 1.0 itself gives embossers.
            cells = "".join(
                chr(0x2800 | (ord(c) - 0x2800) & 0x3F) if "\u2840" <= c <= "\u28ff" else c for c in cells
            )
        return cells

    @functools.lru_cache(maxsize=1)
    def table_is_eight_dot(self) -> bool:
        """The table writes dots 7 and 8 for ordinary capitals (computer braille)."""
        cells = louis.translateString([self.table], "ABC", mode=DOTS_MODE)
        return any("\u2840" <= c <= "\u28ff" for c in cells)

    def _segments(
        self, text: str, typeforms: list[int], address_spans: list[tuple[int, int]]
    ) -> list[tuple[int, int]]:
        """Spans translated in one liblouis call each. An emphasised stretch of three words or
        more that starts and ends at word boundaries is its own call: liblouis 3.24 then writes
        UEB's passage indicators around it (given more text after the stretch it closes the
        passage early and marks the last word separately, which a transcriber would correct)."""
        emphasis = self.italic | self.bold
        cuts = {0, len(text)}
        for start, end in _runs_of(typeforms, emphasis):
            boundary = (start == 0 or not text[start - 1].isalnum()) and (
                end == len(text) or not text[end].isalnum()
            )
            if boundary and len(text[start:end].split()) >= 3:
                cuts |= {start, end}
        for start, end in address_spans:  # written with their own table (ADDRESS_TABLES)
            cuts |= {start, end}
        ordered = sorted(cuts)
        return list(pairwise(ordered))

    def _segment(
        self,
        text: str,
        typeforms: list[int],
        start: int,
        end: int,
        address_spans: list[tuple[int, int]],
        as_address: bool = False,
    ) -> str:
        typeform = typeforms[start:end]
        # Without emphasis or uncontracted stretches, no typeform: liblouis is twice as fast.
        table = address_table(self.table) if as_address else self.table
        if as_address:
            typeform = [louis.no_contract] * (end - start)
        cells, _, out_pos, _ = louis.translate(
            [table], text[start:end], typeform=typeform if any(typeform) else None, mode=DOTS_MODE
        )
        cells = cells.replace(" ", BLANK)
        # Where a line may end inside an address: after a break symbol, not between two of them
        # ("//"), at the cell where the next character's braille begins.
        marks: dict[int, bool] = {}  # cell position -> the break follows a slash
        starts = set()
        for a_start, a_end in address_spans:
            if start <= a_start < end:
                starts.add(out_pos[a_start - start])
            for index in range(max(a_start, start), min(a_end, end) - 1):
                if (
                    text[index] in BREAK_AFTER
                    and text[index + 1] not in BREAK_AFTER
                    and not text[index + 1].isspace()
                ):
                    position = out_pos[index + 1 - start]
                    if 0 < position < len(cells):
                        marks[position] = text[index] == "/"
        for position in sorted(set(marks) | starts, reverse=True):
            mark = ADDRESS_START if position in starts else ""
            if position in marks:
                mark += (SLASH_BREAK if marks[position] else "") + ADDRESS_BREAK
            cells = cells[:position] + mark + cells[position:]
        return cells

    def _describe_undefined(self, text: str) -> str:
        """Replace characters the table cannot write (emoji...) by their Unicode name, so the
        reader learns something was there instead of meeting liblouis' escape codes."""
        text = text.replace("\t", " ").replace("\r", " ")
        out = []
        for char in text:
            if ord(char) > 0x7E and not self._defined(char):
                name = unicodedata.name(char, "symbol").lower()
                out.append(f" ({name}) ")
            else:
                out.append(char)
        return "".join(out)

    @functools.lru_cache(maxsize=4096)
    def _defined(self, char: str) -> bool:
        cells = louis.translateString([self.table], char, mode=DOTS_MODE | louis.noUndefined)
        return bool(cells.strip(BLANK + " "))


def _with_visible_urls(runs: Runs) -> list[Run]:
    """Runs with an external link's address written after its text, uncontracted: a braille
    reader cannot follow a link, but can type the address (UKAAF and BANA both give URLs)."""
    out: list[Run] = []
    for index, run in enumerate(runs):
        out.append(run)
        url = run.link
        link_ends = url and (index + 1 == len(runs) or runs[index + 1].link != url)
        if url and link_ends and not url.startswith("#"):
            shown = url.removeprefix("mailto:")
            start = index  # this link's own runs only, not another link
            while start > 0 and runs[start - 1].link == url:  # to the same address
                start -= 1
            link_text = "".join(r.text for r in runs[start : index + 1]).strip()
            if link_text not in (url, shown):
                out.append(Run(" ("))
                out.append(Run(shown, code=True))  # code: written uncontracted
                out.append(Run(")"))
    return out
