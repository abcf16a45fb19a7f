"""The one reader of report metadata written as YAML: a Markdown report's front matter and a Word
report's sidecar `<slug>.yaml` (same fields, same rules, same problems with their lines).

Scalars are read as written (PyYAML's BaseLoader: no type guessing), so `version: 1.10` stays
"1.10" and `date: 2024-03-01` stays that text. Every problem goes into the caller's list with its
file and line and a fix; the fields that were fine are still returned.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import langcodes
import yaml

from ..document import Metadata
from ..errors import Problem

FRONT_MATTER_FIELDS = (
    "title",
    "subtitle",
    "author",
    "authors",
    "publisher",
    "date",
    "language",
    "description",
    "contact",
    "version",
    "identifier",
    "aliases",
    "keywords",
    "pronunciations",
    "short_title",
)
DEFAULT_LANGUAGE = "en-GB"
DATE_FORMAT = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
# The shape of a BCP 47 tag (subtags of 1-8 letters or digits joined by hyphens).
TAG_SHAPE = re.compile(r"^[A-Za-z0-9]{1,8}(-[A-Za-z0-9]{1,8})*$")


@dataclass(frozen=True)
class Wording:
    """How problems name the place: the Markdown front matter or the Word sidecar file."""

    whole: str  # "the front matter"
    field: str  # "front matter field"


FRONT_MATTER = Wording("the front matter", "front matter field")
SIDECAR = Wording("the metadata file", "metadata key")


@dataclass(frozen=True)
class FrontMatter:
    """The fields as written; None (or empty) for a field that is absent or was wrong."""

    title: str | None = None
    subtitle: str | None = None
    authors: tuple[str, ...] = ()
    publisher: str | None = None
    date: str | None = None
    language: str | None = None
    description: str | None = None
    contact: str | None = None
    version: str | None = None
    identifier: str | None = None
    aliases: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    pronunciations: tuple[tuple[str, str], ...] = ()
    short_title: str | None = None  # for running heads (braille): "Doing It Together"

    def metadata(self) -> Metadata:
        """The Document's metadata from these fields alone (the Markdown reader's case)."""
        return Metadata(
            title=self.title or "",
            subtitle=self.subtitle or "",
            authors=self.authors,
            publisher=self.publisher or "",
            date=self.date or "",
            language=self.language or DEFAULT_LANGUAGE,
            description=self.description or "",
            contact=self.contact or "",
            version=self.version or "",
            aliases=self.aliases,
            keywords=self.keywords,
            pronunciations=self.pronunciations,
            identifier=self.identifier or "",
            short_title=self.short_title or "",
        )


def read_front_matter(
    path: Path,
    text: str | None,
    first_line: int,
    problems: list[Problem],
    *,
    wording: Wording = FRONT_MATTER,
    title_required: bool = True,
) -> FrontMatter:
    """The fields of the YAML `text`, whose first line is line `first_line + 1` of `path`.

    `text` None means there is no front matter at all (a problem when a title is required)."""
    if text is None:
        if title_required:
            problems.append(_missing_title(path, 1))
        return FrontMatter()
    loader = yaml.BaseLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = first_line + 1 + mark.line if mark else first_line
        problems.append(
            Problem(
                path,
                line or None,
                f"{wording.whole} is not valid YAML ({getattr(error, 'problem', error)})",
                "check the indentation and put quotes around values that contain "
                'a colon, e.g. title: "Impact: 2023".',
            )
        )
        return FrontMatter()
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        problems.append(
            Problem(
                path,
                first_line or 1,
                f"{wording.whole} is not a list of 'field: value' lines",
                "write one 'field: value' per line, e.g. title: Our report.",
            )
        )
        return FrontMatter()
    key_lines = {
        key_node.value: first_line + 1 + key_node.start_mark.line
        for key_node, _ in (root.value if root is not None else ())
    }
    data = {
        key: _clean_value(value, path, key_lines.get(key, first_line), problems)
        for key, value in data.items()
    }
    return _Fields(path, data, key_lines, first_line, problems, wording).read(title_required)


# Characters no author types: YAML escapes ("\\0", "\\ud800") can put them in a value that
# the text lines never held, and they break XML, PDF strings and speech further on.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _clean_value(value: object, path: Path, line: int, problems: list[Problem]) -> object:
    """Each control character or lone surrogate is a problem at its field's line, replaced
    (U+FFFD) so reading goes on and every other problem is reported too."""
    if isinstance(value, str):
        found = CONTROL_CHARACTERS.search(value) or LONE_SURROGATE.search(value)
        if found:
            problems.append(
                Problem(
                    path,
                    line,
                    f"this field holds an invisible or broken character, U+{ord(found.group()):04X}",
                    "remove the escape (such as \\0 or \\ud800) and write the words plainly",
                )
            )
            return LONE_SURROGATE.sub("\ufffd", CONTROL_CHARACTERS.sub("\ufffd", value))
        return value
    if isinstance(value, list):
        return [_clean_value(item, path, line, problems) for item in value]
    if isinstance(value, dict):
        return {
            _clean_value(k, path, line, problems): _clean_value(v, path, line, problems)
            for k, v in value.items()
        }
    return value


def _missing_title(path: Path, line: int) -> Problem:
    return Problem(
        path,
        line,
        "the report has no title",
        "start the file with front matter: a line '---', 'title: Your title', then another '---'.",
    )


@dataclass
class _Fields:
    path: Path
    data: dict[str, Any]
    key_lines: dict[str, int]
    first_line: int
    problems: list[Problem]
    wording: Wording

    def line(self, key: str) -> int:
        return self.key_lines.get(key, self.first_line)

    def problem(self, key: str, message: str, fix: str) -> None:
        self.problems.append(Problem(self.path, self.line(key) or None, message, fix))

    def string(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            self.problem(
                key, f"'{key}' should be one piece of text", f"write it on one line: {key}: some text."
            )
            return None
        return value.strip()

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            return (value.strip(),) if value.strip() else ()
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return tuple(item.strip() for item in value if item.strip())
        self.problem(
            key,
            f"'{key}' should be text or a list of texts",
            f"write {key}: [first, second] or one '- item' line per entry.",
        )
        return ()

    def pronunciations(self) -> tuple[tuple[str, str], ...]:
        value = self.data.get("pronunciations", {})
        if isinstance(value, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            return tuple((word.strip(), spoken.strip()) for word, spoken in value.items())
        self.problem(
            "pronunciations",
            "'pronunciations' should map each word to how to say it",
            "write one 'WORD: how to say it' line per word under 'pronunciations:', "
            "indented, e.g.   NHS: N H S.",
        )
        return ()

    def read(self, title_required: bool) -> FrontMatter:
        for key in self.data:
            if key not in FRONT_MATTER_FIELDS:
                close = difflib.get_close_matches(str(key), FRONT_MATTER_FIELDS, n=1)
                hint = f"did you mean '{close[0]}'? " if close else ""
                self.problem(
                    key,
                    f"unknown {self.wording.field} '{key}'",
                    f"{hint}Known fields are: {', '.join(FRONT_MATTER_FIELDS)}.",
                )
        title = self.string("title")
        if title_required and not title:
            self.problems.append(
                Problem(
                    self.path,
                    self.first_line or 1,
                    "the report has no title",
                    "add a line 'title: Your title' to the front matter.",
                )
            )
        if "author" in self.data and "authors" in self.data:
            self.problem(
                "author",
                "both 'author' and 'authors' are given",
                "keep one: authors: [First Author, Second Author].",
            )
        language = self.string("language") or None
        problem = language_problem(language) if language else None
        if problem:
            self.problem("language", *problem)
            language = None
        date = self.string("date")
        if date and not DATE_FORMAT.match(date):
            self.problem(
                "date",
                f"the date '{date}' is not in the form YYYY-MM-DD",
                "write it as 2024-03-01 (or just the year, 2024).",
            )
        identifier = self.string("identifier")
        if identifier and not identifier_is_valid(identifier):
            self.problem(
                "identifier",
                f"the identifier '{identifier}' is neither a valid ISBN nor a URN",
                "check the ISBN's digits (the last is a check digit), "
                "write a URN starting 'urn:', or remove the line to let us make one.",
            )
        return FrontMatter(
            title=title,
            subtitle=self.string("subtitle"),
            authors=self.strings("authors") + self.strings("author"),
            publisher=self.string("publisher"),
            date=date,
            language=language,
            description=self.string("description"),
            contact=self.string("contact"),
            version=self.string("version"),
            identifier=identifier,
            aliases=self.strings("aliases"),
            keywords=self.strings("keywords"),
            pronunciations=self.pronunciations() if "pronunciations" in self.data else (),
            short_title=self.string("short_title"),
        )


def identifier_is_valid(identifier: str) -> bool:
    """A URN, or an ISBN-10 or ISBN-13 whose check digit is right."""
    if identifier.lower().startswith("urn:"):
        return True
    digits = re.sub(r"[\s-]", "", identifier.upper().removeprefix("ISBN").strip(": "))
    if re.fullmatch(r"\d{13}", digits):
        total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(digits))
        return total % 10 == 0
    if re.fullmatch(r"\d{9}[\dX]", digits):
        total = sum((10 - i) * (10 if d == "X" else int(d)) for i, d in enumerate(digits))
        return total % 11 == 0
    return False


def language_problem(tag: str) -> tuple[str, str] | None:
    """(message, fix) when `tag` is not a BCP 47 tag naming a real language, else None."""
    fix = (
        "use a BCP 47 language tag such as en-GB (English), cy (Welsh), ga (Irish), "
        "gd (Scottish Gaelic), pl (Polish) or ur (Urdu)."
    )
    # langcodes quietly accepts underscores (en_GB); BCP 47 does not, and neither do EPUB or HTML.
    if "_" in tag:
        return (
            f"'{tag}' is not a language tag (BCP 47 uses hyphens)",
            f"write {tag.replace('_', '-')} instead.",
        )
    if not TAG_SHAPE.match(tag):
        return f"'{tag}' is not a language tag", fix
    if not langcodes.tag_is_valid(tag):
        return f"'{tag}' is not a known language tag", fix
    language = langcodes.Language.get(tag).language or "und"  # langcodes reads "und" as None
    # Valid in the registry but naming no particular language: speech and braille cannot use them.
    if language in {"und", "mul", "zxx", "mis"} or "qaa" <= language <= "qtz":
        return f"'{tag}' does not name a particular language", fix
    return None
