"""The words the pipeline adds around the author's text, in the report's language.

Every string a stage, a check or a reply writes around the author's words ("Contents", "Page 3
of 12", "Notes", the accessibility statement, the audio's opening) is an English message id
looked up in one gettext catalogue per language: `pipeline/locale/<lang>/LC_MESSAGES/
accessible_formats.po`. The catalogues are read with Babel (the Python ecosystem's gettext
tooling) straight from the .po files, so there is no compile step to forget; dates and numbers
are formatted by Babel in the report's locale.

Use it as gettext is used, so `pybabel extract` (and the catalogue test) finds every message:

    _ = words_for(doc.meta.language)
    _("Contents")
    _("Page {page} of {pages}", page=3, pages=12)
    _.date("2024-03-15")            # "15 March 2024", "15 Mawrth 2024"

A language without a catalogue falls back to English; `Words.fallback` says so, and the build
records it as a warning in the manifest. English is the source language: its catalogue may be
empty, every message id is its own English text.
"""

from __future__ import annotations

import datetime as dt
import gettext
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

DOMAIN = "accessible_formats"
LOCALE_DIR = Path(__file__).parent / "locale"
SOURCE_LANGUAGE = "en"


def primary_language(tag: str) -> str:
    """'cy' for 'cy-GB', 'en' for 'en-GB': the catalogue a BCP 47 tag is read with."""
    return (tag or SOURCE_LANGUAGE).replace("_", "-").split("-")[0].lower()


def catalogue_languages() -> list[str]:
    """Languages that have a catalogue (English always does: it is the source language)."""
    found = {p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")}
    return sorted(found | {SOURCE_LANGUAGE})


@cache
def _catalogue(language: str) -> tuple[dict[str, str | tuple[str, ...]], Callable[[int], int]]:
    """The catalogue's translations, and its Plural-Forms rule (n -> index of the plural form)."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.is_file():
        return {}, _english_plural
    with path.open("rb") as handle:
        # abort_invalid: a broken catalogue is an error, never a warning printed on stdout
        # (where `--json` output goes); the catalogue tests parse both catalogues the same way.
        catalog = read_po(handle, locale=language, abort_invalid=True)
    out: dict[str, str | tuple[str, ...]] = {}
    for message in catalog:
        if not message.id or not message.string or message.fuzzy:
            continue
        key = message.id[0] if isinstance(message.id, (list, tuple)) else message.id
        value = message.string
        out[key] = tuple(value) if isinstance(value, (list, tuple)) else value
    # gettext's own reading of the C expression in the header ("(n==1) ? 0 : ...").
    return out, gettext.c2py(catalog.plural_expr)


def _english_plural(n: int) -> int:
    return int(n != 1)


def _messages(language: str) -> dict[str, str | tuple[str, ...]]:
    return _catalogue(language)[0]


def _babel_locale(tag: str) -> Locale:
    try:
        return Locale.parse(tag.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        try:
            return Locale.parse(primary_language(tag))
        except (UnknownLocaleError, ValueError):
            return Locale.parse("en_GB")


@dataclass(frozen=True)
class Words:
    """gettext for one report's language, with Babel's dates and numbers for its locale."""

    tag: str  # the report's BCP 47 tag, e.g. "cy" or "en-GB"
    language: str  # the catalogue used: "cy", or "en"
    fallback: bool  # True: no catalogue for `tag`, English used
    _locale: Locale = field(repr=False, compare=False, default=None)  # type: ignore[assignment]

    def __call__(self, message: str, **values: object) -> str:
        text = _messages(self.language).get(message, message)
        if isinstance(text, tuple):
            text = text[0]
        return text.format(**values) if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: object) -> str:
        found = _messages(self.language).get(singular)
        if isinstance(found, tuple) and found:
            text = found[min(_catalogue(self.language)[1](n), len(found) - 1)]
        else:
            text = singular if n == 1 else plural
        return text.format(n=n, **values)

    def date(self, value: str | dt.date) -> str:
        """A date in words in the report's locale: '15 March 2024', '15 Mawrth 2024'. A value
        that is not an ISO date (a year, 'Spring 2024') is the author's words, kept as written."""
        if isinstance(value, str):
            written = value
            try:
                value = dt.date.fromisoformat(written.strip())
            except ValueError:
                return written
        return format_date(value, "d MMMM y", locale=self._locale)

    def number(self, value: int | float) -> str:
        return format_decimal(value, locale=self._locale)


@cache
def words_for(tag: str) -> Words:
    language = primary_language(tag)
    has_catalogue = language in catalogue_languages()
    return Words(
        tag=tag,
        language=language if has_catalogue else SOURCE_LANGUAGE,
        fallback=not has_catalogue,
        _locale=_babel_locale(tag if has_catalogue else "en-GB"),
    )
