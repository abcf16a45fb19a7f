"""Text normalisation for British English speech: what espeak-ng would say wrongly, said right.

espeak-ng reads plain numbers well ("1,482" -> "one thousand four hundred and eighty-two"), so
they are left alone. It reads money, dates and ranges badly: "£1,179,818.54" comes out as
"pound one million ... point five four", "2019-2023" as "... dash ...", "1 March 2024" as
"one March ...". Those are rewritten as words here, before synthesis, with num2words (its
`en_GB` output uses the British "and": "one hundred and one").

Each rule is a (pattern, replacement) pair applied in order; the order matters (money before
ranges, ISO dates before ranges). `normalise(text, pronunciations)` is the entry point.
"""
from __future__ import annotations

import re
from typing import Callable, Iterable

from num2words import num2words

LANG = "en_GB"

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")

# Currency symbol -> (major singular, major plural, minor singular, minor plural)
CURRENCIES = {
    "£": ("pound", "pounds", "penny", "pence"),
    "$": ("dollar", "dollars", "cent", "cents"),
    "€": ("euro", "euros", "cent", "cents"),
}

SCALES = {"k": "thousand", "thousand": "thousand", "m": "million", "million": "million",
          "bn": "billion", "billion": "billion", "tn": "trillion", "trillion": "trillion"}

ABBREVIATIONS = (
    (r"\band/or\b", "and or"),
    (r"\be\.g\.", "for example"),
    (r"\bi\.e\.", "that is"),
    (r"\betc\.", "et cetera"),
    (r"\bapprox\.", "approximately"),
    (r"\bvs\.?(?=\s)", "versus"),
)

SYMBOLS = (
    (r"\s*&\s*", " and "),
    (r"(?<=\w)/(?=\w)", " or "),             # "and/or", "staff/volunteers"
    (r"\s+\+\s+|(?<=\d)\+(?=\s|$)", " plus "),
    (r"\s+=\s+", " equals "),
    (r"°C\b", " degrees Celsius"),
    (r"(?<=\d)\s*×\s*(?=\d)", " times "),
    (r"½", " and a half"),
    (r"¼", " and a quarter"),
    (r"¾", " and three quarters"),
    (r"\s+[–—]\s+", ", "),                    # a spaced dash is a pause, not a word
    (r"[•▪◦]", " "),
    (r"…", "..."),
    (r"<", " less than "),                    # espeak would say the angle brackets literally
    (r">", " more than "),
)

_NUMBER = r"\d{1,3}(?:,\d{3})+|\d+"


def words(number: int) -> str:
    return num2words(number, lang=LANG)


def decimal_words(text: str) -> str:
    """'2.5' -> 'two point five'; '1,200' -> 'one thousand, two hundred'."""
    whole, _, fraction = text.replace(",", "").partition(".")
    spoken = words(int(whole or "0"))
    if fraction:
        spoken += " point " + " ".join(words(int(digit)) for digit in fraction)
    return spoken


def _plural(count: int, singular: str, plural: str) -> str:
    return singular if count == 1 else plural


def _money(match: re.Match[str]) -> str:
    symbol, amount, scale = match.group("symbol"), match.group("amount"), match.group("scale")
    major_one, major_many, minor_one, minor_many = CURRENCIES[symbol]
    if scale:
        # "£2.5m" -> "two point five million pounds"
        return f"{decimal_words(amount)} {SCALES[scale.lower()]} {major_many}"
    whole_text, _, fraction = amount.replace(",", "").partition(".")
    whole = int(whole_text or "0")
    minor = int((fraction + "00")[:2]) if fraction else 0
    parts = []
    if whole or not minor:
        parts.append(f"{words(whole)} {_plural(whole, major_one, major_many)}")
    if minor:
        parts.append(f"{words(minor)} {_plural(minor, minor_one, minor_many)}")
    return " and ".join(parts)


def _percent(match: re.Match[str]) -> str:
    return f"{decimal_words(match.group('value'))} per cent"


def _percent_range(match: re.Match[str]) -> str:
    return (f"{decimal_words(match.group('low'))} to {decimal_words(match.group('high'))} "
            "per cent")


def _day_month_year(day: int, month: int, year: int | None) -> str:
    spoken = f"the {num2words(day, lang=LANG, to='ordinal')} of {MONTHS[month - 1]}"
    if year is not None:
        spoken += f" {num2words(year, lang=LANG, to='year')}"
    return spoken


def _iso_date(match: re.Match[str]) -> str:
    year, month, day = (int(match.group(name)) for name in ("year", "month", "day"))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return match.group(0)
    return _day_month_year(day, month, year)


def _written_date(match: re.Match[str]) -> str:
    day = int(match.group("day"))
    month = MONTHS.index(match.group("month").capitalize()) + 1
    year = match.group("year")
    return _day_month_year(day, month, int(year) if year else None)


def _month_year(match: re.Match[str]) -> str:
    return f"{match.group('month')} {num2words(int(match.group('year')), lang=LANG, to='year')}"


def _ordinal(match: re.Match[str]) -> str:
    return num2words(int(match.group("number").replace(",", "")), lang=LANG, to="ordinal")


def _range(match: re.Match[str]) -> str:
    return f"{match.group('low')} to {match.group('high')}"


_MONTH_NAMES = "|".join(MONTHS)

Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str] | str]

RULES: tuple[Rule, ...] = tuple((re.compile(pattern, flags), replacement) for pattern, flags,
                                replacement in (
    # Money, with an optional scale: "£1,179,818.54", "£2.5m", "$3 billion", "€40".
    (rf"(?P<symbol>[£$€])\s?(?P<amount>(?:{_NUMBER})(?:\.\d+)?)"
     r"(?:\s?(?P<scale>k|m|bn|tn|thousand|million|billion|trillion)\b)?", re.IGNORECASE, _money),
    # Percentages and percentage ranges: "35%", "3.5%", "10-20%".
    (rf"(?P<low>(?:{_NUMBER})(?:\.\d+)?)\s?[-–]\s?(?P<high>(?:{_NUMBER})(?:\.\d+)?)\s?%",
     0, _percent_range),
    (rf"(?P<value>(?:{_NUMBER})(?:\.\d+)?)\s?%", 0, _percent),
    # Dates: ISO "2024-03-01", written "1 March 2024" / "1st March", "March 2024".
    (r"\b(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})\b", 0, _iso_date),
    (rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<month>{_MONTH_NAMES})(?:,?\s+(?P<year>\d{{4}}))?\b",
     0, _written_date),
    (rf"\b(?P<month>{_MONTH_NAMES})\s+(?P<year>\d{{4}})\b", 0, _month_year),
    # Ordinals: "21st", "3rd".
    (rf"\b(?P<number>{_NUMBER})(?:st|nd|rd|th)\b", 0, _ordinal),
    # Number ranges: "2019-2023", "10–20" (unspaced hyphen or en dash between numbers).
    (rf"(?<![\d.,-])(?P<low>(?:{_NUMBER})(?:\.\d+)?)[-–](?P<high>(?:{_NUMBER})(?:\.\d+)?)(?![\d-])",
     0, _range),
    # Email addresses, which espeak spells out oddly: "formats@example.org".
    (r"\b(?P<local>[\w.+-]+)@(?P<domain>[\w-]+(?:\.[\w-]+)+)\b", 0,
     lambda m: f"{m.group('local')} at {m.group('domain').replace('.', ' dot ')}"),
))

_ABBREVIATION_RULES = tuple((re.compile(p, re.IGNORECASE), r) for p, r in ABBREVIATIONS)
_SYMBOL_RULES = tuple((re.compile(p), r) for p, r in SYMBOLS)
_SPACES = re.compile(r"[ \t\u00a0]+")


def apply_pronunciations(text: str, pronunciations: Iterable[tuple[str, str]]) -> str:
    """Whole-word, case-sensitive replacements from the report's front matter ("NHS" -> "N H S")."""
    for word, spoken in sorted(pronunciations, key=lambda pair: -len(pair[0])):
        text = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", spoken, text)
    return text


def normalise(text: str, pronunciations: Iterable[tuple[str, str]] = ()) -> str:
    """Text as it should be spoken by a British English voice."""
    text = apply_pronunciations(text, pronunciations)
    for pattern, replacement in RULES:
        text = pattern.sub(replacement, text)
    for pattern, replacement in _ABBREVIATION_RULES + _SYMBOL_RULES:
        text = pattern.sub(replacement, text)
    return _SPACES.sub(" ", text).strip()
