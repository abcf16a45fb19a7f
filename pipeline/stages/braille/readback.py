"""Welsh tables that read back what they write.

liblouis 3.24's Welsh tables (cy-cy-g1.utb, cy-cy-g2.ctb; unchanged upstream since 2022) write
good cells but read many of them back as something else, so a back-translation of correct Welsh
braille comes back garbled and our read-back check could not tell a real fault from the table's:

- the punctuation of running text is written forward only (`noback always . 256`), and the same
  cells are the table's lowered digits, so "nesaf." reads back as "nesaf4";
- letter pairs that are also signs read back as the sign: "ae" as "æ", "par" as "¶", "dg" as "º",
  "l" before a-j as "£" and a digit ("lawer" as "£1wer");
- whole-word contractions written with `always` read back inside any word whose letters have the
  same cells: "bl" (blwyddyn) makes "blaen" "blwyddynaen", "dw" (diwedd) makes "dweud"
  "diweddeud", and "st" and "stori" share one cell, so "Aberystwyth" reads "Aberystoriwyth";
- an alphabetic wordsign before an apostrophe ("gyda'r", "mae'r") reads back as its bare letter.

So the stage uses, for these two tables, a copy of the installed table (made once per machine in
the user's cache folder) whose back-translation reads what its forward translation writes:

- every added rule is `nofor` (back-translation only) and is added only when the installed
  table's own forward translation of its text gives exactly its cells, so it can only teach the
  reader what the writer does;
- the whole-word contractions above become `noback always` (writing exactly as before) plus
  `nofor word` (read as the word only when the cells stand alone);
- the one sign added for writing is UEB's bullet (Welsh braille takes its symbols from UEB): the
  installed table has none, so a list's "•" was spelled out as "(bullet)".

The braille a reader gets is therefore liblouis' own Welsh translation, cell for cell (a test
compares every block of the Welsh sample with the installed table's), and the check reads it with
the same table the stage wrote it with. Written by hand because liblouis has no way to remove or
reorder a rule of an included table; the rules come from the installed table, so a newer liblouis
with fixed tables needs none of them (a rule is dropped when the table no longer writes it).
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import tempfile
from pathlib import Path

import louis

from ...user_cache import user_cache_folder

INSTALLED = Path("/usr/share/liblouis/tables")
GRADE_1, GRADE_2 = "cy-cy-g1.utb", "cy-cy-g2.ctb"
# Bump when the rules below change, so an old copy in the cache folder is not reused.
RULES_VERSION = "6"

# (text, cells) the installed grade 1 table writes but reads back as something else.
PUNCTUATION = [",", ".", ";", ":", "!", "?"]
LETTER_PAIRS_THAT_ARE_SIGNS = ["ae", "par", "dg", "ss"]
# Welsh accented vowels (and the other accents Welsh uses) read back as capitals ("dŵr" as
# "dŴr"), and "ŷ" as "¥" ("tŷ" as "t¥"). A rule of one character cannot outrank the table's
# own, so the rules give the accent with what stands beside it: a letter, a space, "'".
ACCENTED = list("âêîôûŵŷäëïöüÿàèìòùáéíóúý")
LETTERS = "abcdefghijklmnopqrstuvwxyz"
# After a thousands comma ("1,200") the digits read back as letters ("1,bjj"): the groups of
# three digits after the comma, which is how a thousands comma is always followed.
THOUSANDS = [f",{group:03d}" for group in range(1000)]
# "£" before a number is written as "l" (dots 1-2-3), so "l" before a-j reads as "£" and a digit.
POUND_BEFORE_DIGIT_LETTERS = ["l" + letter for letter in "abcdefghij"]
# Signs of UEB (its rulebook, section 3) missing from the Welsh tables: the bullet.
UEB_SIGNS = {0x2022: "456-256"}
DOTS_MODE = louis.dotsIO | louis.ucBrl
WORD_RULE = re.compile(r"^(always|word)\s+(\S+)\s+(\S+)", re.MULTILINE)


class ReadbackTableError(ValueError):
    """The copy of a Welsh table could not be written; the message says what to do."""


def supplemented(name: str) -> bool:
    return Path(name).name in (GRADE_1, GRADE_2) and "/" not in name


def cache_folder() -> Path:
    """Where the copies live (pipeline/user_cache.py): made once per machine, not per build."""
    return user_cache_folder("liblouis")


@functools.lru_cache(maxsize=1)
def _installed_texts() -> tuple[str, str, str]:
    grade_1_text = (INSTALLED / GRADE_1).read_text(encoding="utf-8")
    grade_2_text = (INSTALLED / GRADE_2).read_text(encoding="utf-8")
    digest = hashlib.sha256(
        f"{RULES_VERSION}\0{louis.version()}\0{grade_1_text}\0{grade_2_text}".encode()
    ).hexdigest()[:16]
    return grade_1_text, grade_2_text, digest


def readback_table(name: str) -> str:
    """The path of the table to use for a Welsh table name (see the module docstring), made
    once per machine and made again if it has gone."""
    grade_1_text, grade_2_text, digest = _installed_texts()
    folder = cache_folder() / digest
    grade_1 = folder / GRADE_1
    grade_2 = folder / GRADE_2
    if not (grade_1.is_file() and grade_2.is_file()):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            # grade 2 includes "cy-cy-g1.utb", which liblouis finds beside it first: our copy.
            _write(grade_1, grade_1_text + _section(_grade_1_rules()) + _ueb_signs(grade_1_text))
            rewritten, whole_words = _rewrite_contractions(grade_2_text)
            _write(grade_2, rewritten + _section(_grade_2_rules(grade_2_text, whole_words)))
        except OSError as error:
            raise ReadbackTableError(
                f"could not write the Welsh braille tables to {folder} ({error.strerror}): "
                "set XDG_CACHE_HOME to a folder this user can write to"
            ) from None
    return str(grade_1 if Path(name).name == GRADE_1 else grade_2)


def _ueb_signs(text: str) -> str:
    """The one thing added to what the tables write: signs Welsh braille takes from UEB, its
    base code, which the installed table does not have (a list's bullet would otherwise be
    spelled out by name, in English)."""
    missing = [(code, dots) for code, dots in UEB_SIGNS.items() if f"\\X{code:04X}" not in text.upper()]
    lines = [f"sign \\x{code:04X} {dots}" for code, dots in missing]
    return "\n# accessible-formats: signs from UEB, Welsh braille's base code\n" + "\n".join(lines) + "\n"


def _write(path: Path, text: str) -> None:
    # Atomic: two stage workers may make the copy at once.
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".part")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(temporary, path)


def _section(rules: list[str]) -> str:
    return (
        "\n# accessible-formats: back-translation of what the rules above write\n" + "\n".join(rules) + "\n"
    )


def _cells(table: str, text: str) -> str:
    return louis.translateString([table], text, mode=DOTS_MODE)


def _dots(cells: str) -> str:
    """Unicode cells as a liblouis dot pattern ("⠃⠇" -> "12-123")."""
    return "-".join(
        "".join(str(dot + 1) for dot in range(8) if (ord(cell) - 0x2800) >> dot & 1) or "0" for cell in cells
    )


def _read_back(table: str, cells: str) -> str:
    return louis.backTranslateString([table], louis.dotsToChar([table], cells))


def _grade_1_rules() -> list[str]:
    table = str(INSTALLED / GRADE_1)
    rules = []
    for mark in PUNCTUATION:
        cells = _cells(table, f"a{mark}")[1:]  # after a letter, as in running text
        if cells and _read_back(table, "\u2801" + cells) != f"a{mark}":
            rules.append(f"nofor always {mark} {_dots(cells)}")
    rules += _letter_rules(table, LETTER_PAIRS_THAT_ARE_SIGNS + POUND_BEFORE_DIGIT_LETTERS)
    rules += _thousands_rules(table)
    for accented in ACCENTED:
        if len(_cells(table, accented)) > 2:  # not in the table (written as an escape)
            continue
        beside = [x + accented for x in LETTERS] + [accented + x for x in LETTERS + "'"]
        rules += _letter_rules(table, beside)
        cells = _cells(table, f" {accented}")
        if _read_back(table, cells) != f" {accented}":
            rules.append(f"nofor always \\s{accented} {_dots(cells)}")
    return rules


def _thousands_rules(table: str) -> list[str]:
    number_sign = _cells(table, "1")[0]
    rules = []
    for group in THOUSANDS:
        cells = _cells(table, "1" + group)
        if cells.startswith(number_sign) and _read_back(table, cells) != "1" + group:
            rules.append(f"nofor always {group} {_dots(cells[2:])}")
    return rules


def _letter_rules(table: str, texts: list[str]) -> list[str]:
    rules = []
    for text in texts:
        cells = _cells(table, text)
        if _read_back(table, cells) != text:
            rules.append(f"nofor always {text} {_dots(cells)}")
    return rules


def _rewrite_contractions(text: str) -> tuple[str, list[tuple[str, str]]]:
    """Whole-word contractions the installed table writes with `always` but whose cells are
    also the letters of other words: written as before, read back only as a whole word. Returns
    the table's text and the (text, dots) of the contractions rewritten."""
    grade_1 = str(INSTALLED / GRADE_1)
    shortest_for_dots: dict[str, str] = {}
    for opcode, chars, dots in WORD_RULE.findall(text):
        if opcode == "always" and len(chars) < len(shortest_for_dots.get(dots, chars + " ")):
            shortest_for_dots[dots] = chars

    def rewrite(match: re.Match[str]) -> str:
        opcode, chars, dots = match.groups()
        if opcode != "always" or not chars.isalpha():
            return match.group(0)
        letters = _read_back(grade_1, _unicode(dots))
        spelled_by_letters = letters.isalpha() and letters != chars
        shares_a_shorter_rule = shortest_for_dots.get(dots, chars) != chars
        if not (spelled_by_letters or shares_a_shorter_rule):
            return match.group(0)
        rewritten.append((chars, dots))
        return f"noback always {chars} {dots}\nnofor word {chars} {dots}"

    rewritten: list[tuple[str, str]] = []
    return WORD_RULE.sub(rewrite, text), rewritten


def _grade_2_rules(text: str, whole_words: list[tuple[str, str]]) -> list[str]:
    """Letters that grade 2 writes as a sign's cells ("par"), and an alphabetic wordsign before
    an apostrophe ("gyda'r"): read as written."""
    table = str(INSTALLED / GRADE_2)
    rules = _letter_rules(table, LETTER_PAIRS_THAT_ARE_SIGNS)
    wordsigns = [(chars, dots) for opcode, chars, dots in WORD_RULE.findall(text) if opcode == "word"]
    for chars, dots in wordsigns + whole_words:
        if len(chars) < 2 or not chars.isalpha():
            continue
        written = _cells(table, f"{chars}'r")
        if written.startswith(_unicode(dots) + "\u2804"):  # the wordsign, then the apostrophe
            rules.append(f"nofor begword {chars}' {dots}-3")
        # A wordsign before "?" (and other marks whose cells are not punctuation to the
        # reader) does not read back as a whole word: "Beth?" as "B?".
        for mark in PUNCTUATION:
            cells = _cells(table, chars + mark)
            if cells.startswith(_unicode(dots)) and _read_back(table, cells) != chars + mark:
                rules.append(f"nofor word {chars}{mark} {_dots(cells)}")
    return rules


def _unicode(dots: str) -> str:
    return "".join(
        chr(0x2800 + sum(1 << (int(dot) - 1) for dot in cell if dot != "0")) for cell in dots.split("-")
    )
