"""Text normalisation for speech: what espeak-ng would say wrongly, said as a narrator says it.

The reference is how a good human narrator reads a report aloud (RNIB's and UKAAF's guidance for
audio production): years as years ("twenty twenty-three", "the nineteen nineties"), dates as
"the first of March", times ("nine thirty a m"), ranges with "to", ordinals, phone numbers as
digits in the groups they are written in ("oh two nine, two oh three four, ..."), postcodes and
reference codes letter by letter with the hyphens left silent, road numbers as roads are said
("the A four oh six seven", "the M four"), web and email addresses read plainly ("kettle and
compass dot org dot uk slash ethics"), money in words, optionally short ("one point one eight
million pounds"). The report's own pronunciations (front matter) come first.

espeak-ng reads ordinary numbers well in both English and Welsh ("1,482" -> "one thousand four
hundred and eighty-two"), so plain counts are left as digits; everything it reads badly is
rewritten here with num2words (en_GB: the British "and"). Welsh (`cy`) has its own, smaller rule
set: espeak's Welsh voice drops "£" and says "%" in English, and ranges need "i", not "to".

Each rule is a (pattern, replacement) pair applied in order; the order matters (addresses and
codes before numbers, money before ranges, dates before years). Entry point:
`normalise(text, pronunciations, vocabulary=..., short_sums=..., language=...)`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from num2words import num2words

LANG = "en_GB"

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_MONTH_ABBREVIATIONS = {m[:3]: m for m in MONTHS} | {"Sept": "September"}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Currency symbol -> (major singular, major plural, minor singular, minor plural)
CURRENCIES = {
    "£": ("pound", "pounds", "penny", "pence"),
    "$": ("dollar", "dollars", "cent", "cents"),
    "€": ("euro", "euros", "cent", "cents"),
}

SCALES = {
    "k": "thousand",
    "thousand": "thousand",
    "m": "million",
    "million": "million",
    "bn": "billion",
    "billion": "billion",
    "tn": "trillion",
    "trillion": "trillion",
}

# Words that, after a four-digit number, show it is a count and not a year ("1500 people").
COUNT_NOUNS = (
    "people",
    "persons",
    "staff",
    "members",
    "children",
    "adults",
    "volunteers",
    "words",
    "pages",
    "items",
    "times",
    "hours",
    "minutes",
    "days",
    "weeks",
    "metres",
    "miles",
    "km",
    "households",
    "homes",
    "responses",
    "visits",
    "participants",
    "students",
    "pounds",
    "calls",
    "copies",
    "cups",
)

# Short words a web address may be made of, besides the report's own vocabulary.
COMMON_WORDS = frozenset("a an and the of for to in on at my our your we us it is be".split())

ABBREVIATIONS = (
    (r"\band/or\b", "and or"),
    (r"\be\.g\.", "for example"),
    (r"\bi\.e\.", "that is"),
    (r"\betc\.", "et cetera"),
    (r"\bapprox\.", "approximately"),
    (r"\bvs\.?(?=\s)", "versus"),
    (r"\bNo\.\s?(?=\d)", "number "),
    (r"\bDr\.?\s(?=[A-Z])", "Doctor "),
)

UNITS = (
    (r"(?<=\d)\s?km\b", " kilometres"),
    (r"(?<=\d)\s?kg\b", " kilograms"),
    (r"(?<=\d)\s?mph\b", " miles an hour"),
    (r"(?<=\d)\s?cm\b", " centimetres"),
    (r"(?<=\d)\s?mm\b", " millimetres"),
    (r"(?<=\d)\s?hrs?\b", " hours"),
    (r"(?<=\d)\s?mins?\b", " minutes"),
)

SYMBOLS = (
    (r"\s*&\s*", " and "),
    (r"(?<=\w)/(?=\w)", " or "),  # "and/or", "staff/volunteers"
    (r"\s+\+\s+|(?<=\d)\+(?=\s|$)", " plus "),
    (r"\s+=\s+", " equals "),
    (r"°C\b", " degrees Celsius"),
    (r"(?<=\d)\s*×\s*(?=\d)", " times "),
    (r"½", " and a half"),
    (r"¼", " and a quarter"),
    (r"¾", " and three quarters"),
    (r"^\s*[–—-]+\s*", ""),  # an attribution's leading dash is not spoken
    (r"\s+[–—-]+\s+|(?<=[a-z])[—](?=[a-z])", ", "),  # a dash between words is a pause
    (r"[•▪◦]", " "),
    (r"…", "..."),
    (r"<", " less than "),  # espeak would say the angle brackets literally
    (r">", " more than "),
    (r"#", " number "),
)

_NUMBER = r"\d{1,3}(?:,\d{3})+|\d+"
_AMOUNT = rf"(?:{_NUMBER})(?:\.\d+)?"
_MONTH_NAMES = "|".join(MONTHS)
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"


def words(number: int) -> str:
    return num2words(number, lang=LANG)


def ordinal(number: int) -> str:
    return num2words(number, lang=LANG, to="ordinal")


def year_words(year: int) -> str:
    """'twenty twenty-three', 'nineteen oh-five' -> 'nineteen oh five', 'two thousand'."""
    return num2words(year, lang=LANG, to="year").replace("oh-", "oh ")


def decimal_words(text: str) -> str:
    """'2.5' -> 'two point five'; '1,200' -> 'one thousand, two hundred'."""
    whole, _, fraction = text.replace(",", "").partition(".")
    spoken = words(int(whole or "0"))
    if fraction:
        spoken += " point " + " ".join(words(int(digit)) for digit in fraction)
    return spoken


DIGIT_NAMES = ("oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def digits(text: str) -> str:
    """'029' -> 'oh two nine': a British reading of a digit string, one digit at a time."""
    return " ".join(DIGIT_NAMES[int(d)] for d in text if d.isdigit())


def spelled(text: str) -> str:
    """'KCC' -> 'K C C': letters one by one (espeak says a capital letter on its own by name)."""
    return " ".join(text.upper())


def _plural(count: int, singular: str, plural: str) -> str:
    return singular if count == 1 else plural


# ---------------------------------------------------------------- addresses and codes


def split_words(label: str, vocabulary: frozenset[str]) -> str:
    """'kettleandcompass' -> 'kettle and compass' when every piece is a known word; else as is.

    Hand-written (a few lines of dynamic programming) because the only dictionary that matters
    is the report's own vocabulary: a name run together in a domain is made of words the report
    uses. The split with the fewest words wins.
    """
    lower = label.lower()
    if lower in vocabulary or len(lower) > 40:
        return label
    best: list[list[str] | None] = [[]] + [None] * len(lower)
    for end in range(1, len(lower) + 1):
        for start in range(max(0, end - 20), end):
            piece = lower[start:end]
            previous = best[start]
            if previous is not None and piece in vocabulary and (len(piece) > 1 or piece == "a"):
                if best[end] is None or len(previous) + 1 < len(best[end]):  # type: ignore[arg-type]
                    best[end] = previous + [piece]
    found = best[len(lower)]
    return " ".join(found) if found and len(found) > 1 else label


def _host_words(host: str, vocabulary: frozenset[str], dot: str = "dot") -> str:
    labels = [label for label in host.split(".") if label]
    if labels and labels[0].lower() == "www":
        labels = labels[1:]
    return f" {dot} ".join(split_words(label, vocabulary) for label in labels)


def _path_words(path: str, vocabulary: frozenset[str], slash: str = "slash") -> str:
    pieces = [p for p in re.split(r"/", path.strip("/")) if p]
    spoken = []
    for piece in pieces:
        piece = re.sub(r"\.(html?|php|aspx?)$", "", piece)
        spoken.append(" ".join(split_words(w, vocabulary) for w in re.split(r"[-_.]+", piece) if w))
    return f" {slash} ".join(spoken)


def speak_url(url: str, vocabulary: frozenset[str], dot: str = "dot", slash: str = "slash") -> str:
    """'https://www.kettleandcompass.org.uk/ethics' -> 'kettle and compass dot org dot uk slash
    ethics': no scheme, no 'www', hyphens as spaces, a trailing slash unsaid. (Welsh speakers
    say "dot" too, and "slaes".)"""
    rest = re.sub(r"^[a-z]+://", "", url, flags=re.IGNORECASE)
    host, _, path = rest.partition("/")
    spoken = _host_words(host, vocabulary, dot)
    path = path.split("?")[0].split("#")[0]
    if path.strip("/"):
        spoken += f" {slash} " + _path_words(path, vocabulary, slash)
    return spoken


def speak_email(local: str, domain: str, vocabulary: frozenset[str]) -> str:
    local_words = " dot ".join(
        " ".join(split_words(w, vocabulary) for w in re.split(r"[-_]+", p)) for p in local.split(".")
    )
    return f"{local_words} at {_host_words(domain, vocabulary)}"


def speak_code(code: str) -> str:
    """'KCC-ETH-2023-01' -> 'K C C, E T H, twenty twenty-three, oh one': letters one by one,
    digit groups digit by digit (a year-like group as a year), the separators as pauses."""
    groups = [g for g in re.split(r"[-/]", code) if g]
    spoken = []
    for group in groups:
        parts = re.findall(r"[A-Za-z]+|\d+", group)
        said = []
        for part in parts:
            if part.isdigit():
                said.append(year_words(int(part)) if re.fullmatch(r"(19|20)\d\d", part) else digits(part))
            else:
                said.append(spelled(part))
        spoken.append(" ".join(said))
    return ", ".join(spoken)


def speak_postcode(outward: str, inward: str) -> str:
    """'CF10 3AT' -> 'C F ten, three A T' (as people say postcodes: the district as a number)."""
    letters = re.match(r"[A-Z]+", outward).group(0)  # type: ignore[union-attr]
    rest = outward[len(letters) :]
    district = re.match(r"\d+", rest).group(0)  # type: ignore[union-attr]
    tail = rest[len(district) :]
    first = f"{spelled(letters)} {words(int(district))}" + (f" {spelled(tail)}" if tail else "")
    return f"{first}, {words(int(inward[0]))} {spelled(inward[1:])}"


def speak_road(letter: str, number: str, motorway: str) -> str:
    """'A4067' -> 'A four oh six seven', 'A40' -> 'A forty', 'M4' -> 'M four'."""
    spoken = words(int(number)) if len(number) <= 2 else digits(number)
    return f"{letter} {spoken}" + (" M" if motorway else "")


def speak_phone(number: str, say_digits: Callable[[str], str] = digits, plus: str = "plus") -> str:
    """'029 2034 5678' -> 'oh two nine, two oh three four, five six seven eight' (in Welsh,
    with welsh_digits and "plws": 'dim dau naw, ...')."""
    text = number.strip()
    prefix = ""
    if text.startswith("+"):
        country = re.match(r"\+(\d{1,3})", text).group(1)  # type: ignore[union-attr]
        prefix = f"{plus} {say_digits(country)}, "
        text = text[len(country) + 1 :].replace("(0)", "")
    groups = [g for g in re.split(r"[\s-]+", text) if g]
    if len(groups) == 1 and len(groups[0]) == 11:  # unspaced UK number: 5 + 6
        groups = [groups[0][:5], groups[0][5:]]
    return prefix + ", ".join(say_digits(g) for g in groups)


# ---------------------------------------------------------------- money and numbers


def short_sum(amount: float) -> str:
    """1179818.54 -> 'one point one eight million': three significant figures, for listening."""
    for scale, name in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if amount >= scale:
            value = f"{amount / scale:.3g}"
            return f"{decimal_words(value)} {name}"
    return words(round(amount))


def _money(match: re.Match[str], short: bool) -> str:
    symbol, amount, scale = match.group("symbol"), match.group("amount"), match.group("scale")
    major_one, major_many, minor_one, minor_many = CURRENCIES[symbol]
    if scale:
        # "£2.5m" -> "two point five million pounds"
        return f"{decimal_words(amount)} {SCALES[scale.lower()]} {major_many}"
    whole_text, _, fraction = amount.replace(",", "").partition(".")
    whole = int(whole_text or "0")
    if short and whole >= 1_000_000:
        return f"{short_sum(float(amount.replace(',', '')))} {major_many}"
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
    return f"{decimal_words(match.group('low'))} to {decimal_words(match.group('high'))} per cent"


# ---------------------------------------------------------------- dates and times


def _day_month_year(day: int, month: int, year: int | None) -> str:
    spoken = f"the {ordinal(day)} of {MONTHS[month - 1]}"
    if year is not None:
        spoken += f" {year_words(year)}"
    return spoken


def _month_number(name: str) -> int:
    name = name.capitalize().rstrip(".")
    return MONTHS.index(_MONTH_ABBREVIATIONS.get(name, name)) + 1


def _iso_date(match: re.Match[str]) -> str:
    year, month, day = (int(match.group(name)) for name in ("year", "month", "day"))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return match.group(0)
    return _day_month_year(day, month, year)


def _numeric_date(match: re.Match[str]) -> str:
    """'15/03/2024' (day first, as in the UK) -> 'the fifteenth of March twenty twenty-four'."""
    day, month, year = (int(match.group(name)) for name in ("day", "month", "year"))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return match.group(0)
    return _day_month_year(day, month, year)


def _written_date(match: re.Match[str]) -> str:
    day = int(match.group("day"))
    year = match.group("year")
    if not 1 <= day <= 31:
        return match.group(0)
    weekday = f"{match.group('weekday')} " if match.groupdict().get("weekday") else ""
    return weekday + _day_month_year(day, _month_number(match.group("month")), int(year) if year else None)


def _month_day_year(match: re.Match[str]) -> str:
    """'March 15, 2024' (American order) -> 'March the fifteenth, twenty twenty-four'."""
    day = int(match.group("day"))
    if not 1 <= day <= 31:
        return match.group(0)
    spoken = f"{MONTHS[_month_number(match.group('month')) - 1]} the {ordinal(day)}"
    if match.group("year"):
        spoken += f", {year_words(int(match.group('year')))}"
    return spoken


def _day_range(match: re.Match[str]) -> str:
    """'4-6 March 2024' -> 'the fourth to the sixth of March twenty twenty-four'."""
    low, high = int(match.group("low")), int(match.group("high"))
    month = MONTHS[_month_number(match.group("month")) - 1]
    year = match.group("year")
    spoken = f"the {ordinal(low)} to the {ordinal(high)} of {month}"
    return spoken + (f" {year_words(int(year))}" if year else "")


def _month_range(match: re.Match[str]) -> str:
    year = match.group("year")
    return f"{match.group('first')} to {match.group('second')}" + (
        f" {year_words(int(year))}" if year else ""
    )


def _month_year(match: re.Match[str]) -> str:
    return f"{match.group('month')} {year_words(int(match.group('year')))}"


def clock(hour: int, minute: int, suffix: str) -> str:
    """'nine a m', 'nine thirty a m', 'nine oh five p m', 'twelve noon'."""
    if suffix == "" and (hour, minute) == (12, 0):
        return "twelve noon"
    if suffix == "" and (hour, minute) == (0, 0):
        return "midnight"
    if suffix == "":  # a 24-hour time, said the 12-hour way
        suffix = "am" if hour < 12 else "pm"
        hour = hour % 12 or 12
    spoken = words(hour)
    if minute:
        spoken += " " + (f"oh {words(minute)}" if minute < 10 else words(minute))
    return f"{spoken} {'a m' if suffix.startswith('a') else 'p m'}"


_TIME_12 = r"(?P<h{n}>1[0-2]|0?[1-9])(?:[:.](?P<m{n}>[0-5]\d))?\s?(?P<s{n}>[ap]\.?m\b\.?)"
_TIME_24 = r"(?P<h{n}>[01]?\d|2[0-3]):(?P<m{n}>[0-5]\d)(?!\d)"


def _time_at(match: re.Match[str], n: int) -> str:
    hour = int(match.group(f"h{n}"))
    minute = int(match.group(f"m{n}") or 0)
    suffix = (match.groupdict().get(f"s{n}") or "").replace(".", "").lower()
    if not suffix and not 0 <= hour <= 23:
        return match.group(0)
    return clock(hour, minute, suffix)


def _time(match: re.Match[str]) -> str:
    return _time_at(match, 1)


def _time_range(match: re.Match[str]) -> str:
    return f"{_time_at(match, 1)} to {_time_at(match, 2)}"


def _decade(match: re.Match[str]) -> str:
    """'the 1990s' -> 'the nineteen nineties', '2000s' -> 'two thousands'."""
    spoken = year_words(int(match.group("decade")))
    last = spoken.split()[-1]
    plural = last[:-1] + "ies" if last.endswith("y") else last + "s"
    return (match.group("the") or "") + spoken[: len(spoken) - len(last)] + plural


def _year_range(match: re.Match[str]) -> str:
    """'2019-2023' -> 'twenty nineteen to twenty twenty-three'; '2023/24' -> '... to
    twenty-four' (a financial year); '2019-20' -> 'twenty nineteen to twenty twenty'."""
    low, high = match.group("low"), match.group("high")
    if len(high) == 2:
        if match.group("sep") == "/":
            return f"{year_words(int(low))} to {words(int(high))}"
        high = low[:2] + high
    if int(high) < int(low):
        return match.group(0)
    return f"{year_words(int(low))} to {year_words(int(high))}"


def _year(match: re.Match[str]) -> str:
    return year_words(int(match.group("year")))


def _ordinal(match: re.Match[str]) -> str:
    return ordinal(int(match.group("number").replace(",", "")))


def _range(match: re.Match[str]) -> str:
    return f"{match.group('low')} to {match.group('high')}"


# ---------------------------------------------------------------- the rules, in order

Replacement = Callable[[re.Match[str]], str] | str


@dataclass(frozen=True)
class Context:
    vocabulary: frozenset[str]
    short_sums: bool


_URL = (
    r"(?:https?://|www\.)[^\s<>()\"']+[^\s<>()\"'.,;:!?]"
    r"|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:org|com|net|gov|ac|co|cymru|wales|uk|io|info)"
    r"(?:\.uk)?(?:/[^\s<>()\"']*[^\s<>()\"'.,;:!?])?(?![\w@])"
)
_EMAIL = r"\b(?P<local>[\w.+-]+)@(?P<domain>[\w-]+(?:\.[\w-]+)+)\b"
_CODE = r"\b(?=[A-Z0-9/-]*[A-Z])(?=[A-Z0-9/-]*\d)[A-Z0-9]+(?:[-/][A-Z0-9]+)+\b|\b[A-Z]{2,}(?:-[A-Z]{2,})+\b"
_POSTCODE = r"\b(?P<out>[A-Z]{1,2}\d[A-Z\d]?)\s(?P<in>\d[A-Z]{2})\b"
_ROAD = r"\b(?P<letter>[ABM])(?P<number>\d{1,4})(?P<motorway>\(M\))?(?![\w-])"
_PHONE = (
    r"(?:\+\d{2}\s?(?:\(0\))?\s?\d{2,4}|\b0\d{2,4})(?:[\s-]\d{3,6}){1,2}(?![\d,])"
    r"|\b0\d{10}\b"
)
_YEAR = r"(?:1[1-9]|20)\d\d"


def _english_rules(context: Context) -> tuple[tuple[re.Pattern[str], Replacement], ...]:
    vocabulary = context.vocabulary
    table: list[tuple[str, int, Replacement]] = [
        # Addresses first: their dots and digits are not sentences or numbers.
        (_EMAIL, 0, lambda m: speak_email(m.group("local"), m.group("domain"), vocabulary)),
        (_URL, re.IGNORECASE, lambda m: speak_url(m.group(0), vocabulary)),
        (_POSTCODE, 0, lambda m: speak_postcode(m.group("out"), m.group("in"))),
        # Codes said as words, not letter by letter.
        (r"\bCOVID-19\b", re.IGNORECASE, "covid nineteen"),
        (_CODE, 0, lambda m: speak_code(m.group(0))),
        (_ROAD, 0, lambda m: speak_road(m.group("letter"), m.group("number"), m.group("motorway") or "")),
        (_PHONE, 0, lambda m: speak_phone(m.group(0))),
        # Money, with an optional scale: "£1,179,818.54", "£2.5m", "$3 billion", "€40".
        (
            rf"(?P<symbol>[£$€])\s?(?P<amount>{_AMOUNT})"
            r"(?:\s?(?P<scale>k|m|bn|tn|thousand|million|billion|trillion)\b)?",
            re.IGNORECASE,
            lambda m: _money(m, context.short_sums),
        ),
        # Percentages and percentage ranges: "35%", "3.5%", "10-20%".
        (rf"(?P<low>{_AMOUNT})\s?[-–]\s?(?P<high>{_AMOUNT})\s?%", 0, _percent_range),
        (rf"(?P<value>{_AMOUNT})\s?%", 0, _percent),
        # Times: "9am-5pm", "9.30am", "14:00".
        (_TIME_12.format(n=1) + r"\s?(?:-|–|to)\s?" + _TIME_12.format(n=2), re.IGNORECASE, _time_range),
        (_TIME_24.format(n=1) + r"\s?[-–]\s?" + _TIME_24.format(n=2), 0, _time_range),
        (r"\b" + _TIME_12.format(n=1), re.IGNORECASE, _time),
        (r"\b" + _TIME_24.format(n=1), 0, _time),
        # Dates: ISO "2024-03-01", "15/03/2024", day ranges "4-6 March", written dates,
        # month ranges "January-September 2024", "March 2024".
        (rf"\b(?P<year>{_YEAR})-(?P<month>\d{{2}})-(?P<day>\d{{2}})\b", 0, _iso_date),
        (rf"\b(?P<day>[0-3]?\d)/(?P<month>[01]?\d)/(?P<year>{_YEAR})\b", 0, _numeric_date),
        (
            rf"\b(?P<low>[0-3]?\d)(?:st|nd|rd|th)?\s?[-–]\s?(?P<high>[0-3]?\d)(?:st|nd|rd|th)?\s+"
            rf"(?P<month>{_MONTH_NAMES})(?:,?\s+(?P<year>{_YEAR}))?\b",
            0,
            _day_range,
        ),
        (
            rf"\b(?:(?P<weekday>{'|'.join(WEEKDAYS)}),?\s+)?{_DAY}\s+(?P<month>{_MONTH_NAMES}"
            rf"|(?:{'|'.join(_MONTH_ABBREVIATIONS)})\.?)(?:,?\s+(?P<year>{_YEAR}))?\b",
            0,
            _written_date,
        ),
        (
            rf"\b(?P<month>{_MONTH_NAMES})\s+{_DAY}(?:,\s+(?P<year>{_YEAR}))?\b(?!\s*(?:%|per))",
            0,
            _month_day_year,
        ),
        (
            rf"\b(?P<first>{_MONTH_NAMES})\s?[-–]\s?(?P<second>{_MONTH_NAMES})(?:\s+(?P<year>"
            rf"{_YEAR}))?\b",
            0,
            _month_range,
        ),
        (rf"\b(?P<month>{_MONTH_NAMES})\s+(?P<year>{_YEAR})\b", 0, _month_year),
        # Decades and years: "the 1990s", "2019-2023", "2023/24", "in 2023".
        (r"(?P<the>\bthe\s+)?\b(?P<decade>(?:1[1-9]|20)\d0)s\b", re.IGNORECASE, _decade),
        (
            rf"(?<![\d.,£$€])\b(?P<low>{_YEAR})\s?(?P<sep>[-–/]|to)\s?(?P<high>{_YEAR}|\d\d)\b"
            r"(?![.,]\d)",
            0,
            _year_range,
        ),
        (
            rf"(?<![\d.,£$€])\b(?P<year>{_YEAR})\b(?![.,]\d|-\d|\s?%|\s+(?:{'|'.join(COUNT_NOUNS)})\b)",
            0,
            _year,
        ),
        # Ordinals: "21st", "3rd".
        (rf"\b(?P<number>{_NUMBER})(?:st|nd|rd|th)\b", 0, _ordinal),
        # Number ranges: "10-20", "10–20" (unspaced hyphen or en dash between numbers).
        (rf"(?<![\d.,-])(?P<low>{_AMOUNT})\s?[-–]\s?(?P<high>{_AMOUNT})(?![\d-])", 0, _range),
    ]
    return tuple((re.compile(p, f), r) for p, f, r in table)


# ---------------------------------------------------------------- Welsh

WELSH_CURRENCY = {"£": ("o bunnoedd", "ceiniog"), "€": ("o ewros", "sent"), "$": ("o ddoleri", "sent")}


def _welsh_money(match: re.Match[str]) -> str:
    """'£5' -> '5 o bunnoedd', '£2.50' -> '2 o bunnoedd a 50 ceiniog'. "<n> o bunnoedd" is
    correct after every number, so the soft mutation "punt"/"bunt" needs no rules; espeak-ng's
    Welsh voice reads the digits in Welsh (it drops a "£" sign, so the word must be written)."""
    unit, minor_unit = WELSH_CURRENCY[match.group("symbol")]
    whole, _, fraction = match.group("amount").partition(".")
    scale = {"k": "mil", "m": "miliwn", "bn": "biliwn"}.get((match.group("scale") or "").lower())
    if scale:
        return f"{match.group('amount')} {scale} {unit}"
    minor = int((fraction + "00")[:2]) if fraction else 0
    spoken = f"{whole} {unit}"
    return spoken + (f" a {minor} {minor_unit}" if minor else "")


WELSH_MONTHS = (
    "Ionawr",
    "Chwefror",
    "Mawrth",
    "Ebrill",
    "Mai",
    "Mehefin",
    "Gorffennaf",
    "Awst",
    "Medi",
    "Hydref",
    "Tachwedd",
    "Rhagfyr",
)
_WELSH_SOFT = (
    ("Rh", "R"),
    ("M", "F"),
    ("G", ""),
    ("T", "D"),
    ("C", "G"),
    ("P", "B"),
    ("B", "F"),
    ("D", "Dd"),
    ("Ll", "L"),
)


def welsh_soft_mutation(word: str) -> str:
    """'Mawrth' -> 'Fawrth', 'Tachwedd' -> 'Dachwedd', 'Rhagfyr' -> 'Ragfyr' (after 'o').
    'Ch' and vowels do not mutate; the rule is checked in this order so 'Rh'/'Ll' win."""
    if word.startswith("Ch"):
        return word
    for radical, mutated in _WELSH_SOFT:
        if word.startswith(radical):
            rest = word[len(radical) :]
            return (mutated + rest) if mutated else rest.capitalize()
    return word


def welsh_ordinal(number: int) -> str:
    return num2words(number, lang="cy", to="ordinal")


def _welsh_article(word: str) -> str:
    return ("yr " if word[:1].lower() in "aeiouwy" else "y ") + word


def _welsh_date(day: int, month: int, year: str | None) -> str:
    """'15 Mawrth 2024' -> 'y pymthegfed o Fawrth 2024' (espeak's Welsh voice reads the year)."""
    spoken = f"{_welsh_article(welsh_ordinal(day))} o {welsh_soft_mutation(WELSH_MONTHS[month - 1])}"
    return spoken + (f" {year}" if year else "")


WELSH_DIGITS = ("dim", "un", "dau", "tri", "pedwar", "pump", "chwech", "saith", "wyth", "naw")


def welsh_digits(text: str) -> str:
    """'029' -> 'dim dau naw': phone numbers and codes are said digit by digit."""
    return " ".join(WELSH_DIGITS[int(d)] for d in text if d.isdigit())


def speak_code_welsh(code: str) -> str:
    """'TAC-CYM-2024-02' -> 'T A C, C Y M, 2024, dim dau': the letters apart (the Welsh voice
    names each letter in Welsh: 'ti a ec'), a year-like group as a year, other digits one by
    one, the separators as pauses."""
    spoken = []
    for group in (g for g in re.split(r"[-/]", code) if g):
        said = []
        for part in re.findall(r"[A-Za-z]+|\d+", group):
            if part.isdigit():
                said.append(part if re.fullmatch(r"(19|20)\d\d", part) else welsh_digits(part))
            else:
                said.append(" ".join(part))
        spoken.append(" ".join(said))
    return ", ".join(spoken)


def speak_postcode_welsh(outward: str, inward: str) -> str:
    """'CF10 3AT' -> 'C F 10, 3 A T': the letters apart (else 'AT' is read as the word 'at'),
    the district as a number, which the Welsh voice reads in Welsh."""
    letters = re.match(r"[A-Z]+", outward).group(0)  # type: ignore[union-attr]
    rest = outward[len(letters) :]
    return f"{' '.join(letters)} {' '.join(re.findall(r'[A-Z]|[0-9]+', rest))}, {' '.join(inward)}"


# The hours as the Welsh clock says them, and after "i" ("to"), which softens them.
WELSH_HOURS = (
    "deuddeg",
    "un",
    "dau",
    "tri",
    "pedwar",
    "pump",
    "chwech",
    "saith",
    "wyth",
    "naw",
    "deg",
    "un ar ddeg",
)
WELSH_HOURS_AFTER_I = (
    "ddeuddeg",
    "un",
    "ddau",
    "dri",
    "bedwar",
    "bump",
    "chwech",
    "saith",
    "wyth",
    "naw",
    "ddeg",
    "un ar ddeg",
)
WELSH_FIVE_MINUTES = {5: "pum munud", 10: "deng munud", 20: "ugain munud", 25: "pum munud ar hugain"}
# Minutes that are not a multiple of five: the number before "munud" (1-10, in its form before a
# noun; "dau" softens "munud"), "o funudau" after larger numbers, as Welsh counts them.
WELSH_MINUTES = {
    1: "un munud",
    2: "dau funud",
    3: "tri munud",
    4: "pedwar munud",
    6: "chwe munud",
    7: "saith munud",
    8: "wyth munud",
    9: "naw munud",
}


def _welsh_minutes(minutes: int) -> str:
    if minutes in WELSH_FIVE_MINUTES:
        return WELSH_FIVE_MINUTES[minutes]
    return WELSH_MINUTES.get(minutes) or f"{num2words(minutes, lang='cy')} o funudau"


def welsh_clock(hour: int, minute: int, part_of_day: str | None = None) -> str:
    """'19:30' -> 'hanner awr wedi saith yr hwyr', '9:45' -> 'chwarter i ddeg y bore', '12:00'
    -> 'hanner dydd'. part_of_day None: worked out from a 24-hour hour."""
    if minute == 0 and hour in (0, 12) and part_of_day is None:
        return "hanner nos" if hour == 0 else "hanner dydd"
    if part_of_day is None:
        part_of_day = "y bore" if hour < 12 else "y prynhawn" if hour < 18 else "yr hwyr"
    this, following = hour % 12, (hour + 1) % 12
    if minute == 0:
        said = f"{WELSH_HOURS[this]} o'r gloch"
    elif minute == 15:
        said = f"chwarter wedi {WELSH_HOURS[this]}"
    elif minute == 30:
        said = f"hanner awr wedi {WELSH_HOURS[this]}"
    elif minute == 45:
        said = f"chwarter i {WELSH_HOURS_AFTER_I[following]}"
    elif minute < 30:
        said = f"{_welsh_minutes(minute)} wedi {WELSH_HOURS[this]}"
    else:
        said = f"{_welsh_minutes(60 - minute)} i {WELSH_HOURS_AFTER_I[following]}"
    return f"{said} {part_of_day}"


# The soft mutation of a time's first word after "am" ("at"): "am ddeg o'r gloch".
_SOFT_LOWER = (
    ("ll", "l"),
    ("rh", "r"),
    ("p", "b"),
    ("t", "d"),
    ("c", "g"),
    ("b", "f"),
    ("d", "dd"),
    ("m", "f"),
)


def _after_am(said: str) -> str:
    if said.startswith(("ch", "dd", "ff", "th", "ph")):
        return said
    for radical, mutated in _SOFT_LOWER:
        if said.startswith(radical):
            return mutated + said[len(radical) :]
    return said[1:] if said.startswith("g") else said


# "7yh" (yr hwyr), "10yb" (y bore), "3yp" (y prynhawn), and the English "pm"/"am" Welsh text uses;
# each may follow "am", which softens the time.
_AT = r"(?P<at>\b[Aa]m\s+)?"
_WELSH_TIME_12 = (
    _AT + r"\b(?P<hour>1[0-2]|0?[1-9])(?:[:.](?P<minute>[0-5]\d))?\s?(?P<suffix>yb|yh|yp|[ap]\.?m\b\.?)"
)
_WELSH_TIME_24 = _AT + r"\b(?P<hour>[01]?\d|2[0-3]):(?P<minute>[0-5]\d)(?!\d)"


def _at(match: re.Match[str], said: str) -> str:
    return match.group("at") + _after_am(said) if match.group("at") else said


def _welsh_time_12(match: re.Match[str]) -> str:
    hour, minute = int(match.group("hour")), int(match.group("minute") or 0)
    suffix = match.group("suffix").replace(".", "").lower()
    if suffix in ("yb", "am"):
        return _at(match, welsh_clock(hour % 12, minute, "y bore"))
    evening = suffix == "yh" or (suffix == "pm" and (hour % 12) >= 6)
    return _at(match, welsh_clock(hour % 12 + 12, minute, "yr hwyr" if evening else "y prynhawn"))


def _welsh_time_24(match: re.Match[str]) -> str:
    return _at(match, welsh_clock(int(match.group("hour")), int(match.group("minute"))))


def _welsh_rules(context: Context) -> tuple[tuple[re.Pattern[str], Replacement], ...]:
    vocabulary = context.vocabulary
    table: list[tuple[str, int, Replacement]] = [
        (_EMAIL, 0, lambda m: f"{m.group('local')} at {m.group('domain').replace('.', ' dot ')}"),
        (_URL, re.IGNORECASE, lambda m: speak_url(m.group(0), vocabulary, slash="slaes")),
        (_POSTCODE, 0, lambda m: speak_postcode_welsh(m.group("out"), m.group("in"))),
        (_CODE, 0, lambda m: speak_code_welsh(m.group(0))),
        # (espeak's Welsh voice would read "2034" as "dwy fil tri deg pedwar")
        (_PHONE, 0, lambda m: speak_phone(m.group(0), welsh_digits, "plws")),
        (_WELSH_TIME_12, re.IGNORECASE, _welsh_time_12),
        (_WELSH_TIME_24, 0, _welsh_time_24),
        (
            rf"(?P<symbol>[£$€])\s?(?P<amount>{_AMOUNT})(?:\s?(?P<scale>k|m|bn)\b)?",
            re.IGNORECASE,
            _welsh_money,
        ),
        (
            rf"(?P<low>{_AMOUNT})\s?[-–]\s?(?P<high>{_AMOUNT})\s?%",
            0,
            lambda m: f"{m.group('low')} i {m.group('high')} y cant",
        ),
        (
            rf"\b(?P<year>{_YEAR})-(?P<month>[01]\d)-(?P<day>[0-3]\d)\b",
            0,
            lambda m: (
                _welsh_date(int(m.group("day")), int(m.group("month")), m.group("year"))
                if 1 <= int(m.group("month")) <= 12 and 1 <= int(m.group("day")) <= 31
                else m.group(0)
            ),
        ),
        (
            rf"\b(?P<day>[0-3]?\d)(?:af|il|ydd|ed|fed)?\s+(?P<month>{'|'.join(WELSH_MONTHS)})"
            rf"(?:\s+(?P<year>{_YEAR}))?\b",
            0,
            lambda m: (
                _welsh_date(int(m.group("day")), WELSH_MONTHS.index(m.group("month")) + 1, m.group("year"))
                if 1 <= int(m.group("day")) <= 31
                else m.group(0)
            ),
        ),
        (r"\b(?P<number>\d{1,3})(?:af|il|ydd|ed|fed)\b", 0, lambda m: welsh_ordinal(int(m.group("number")))),
        (rf"(?P<value>{_AMOUNT})\s?%", 0, lambda m: f"{m.group('value')} y cant"),
        (
            rf"(?<![\d.,-])(?P<low>{_AMOUNT})[-–](?P<high>{_AMOUNT})(?![\d-])",
            0,
            lambda m: f"{m.group('low')} i {m.group('high')}",
        ),
    ]
    return tuple((re.compile(p, f), r) for p, f, r in table)


# Lower-case abbreviations match in any case ("E.g."); titles and "No." only as written.
_ABBREVIATION_RULES = tuple(
    (re.compile(p, 0 if re.search(r"[A-Z]", p) else re.IGNORECASE), r) for p, r in ABBREVIATIONS
)
_UNIT_RULES = tuple((re.compile(p), r) for p, r in UNITS)
_SYMBOL_RULES = tuple((re.compile(p), r) for p, r in SYMBOLS)
_WELSH_SYMBOL_RULES = ((re.compile(r"\s*&\s*"), " a "),) + tuple(
    rule for rule in _SYMBOL_RULES if rule[0].pattern not in (r"\s*&\s*", r"(?<=\w)/(?=\w)")
)
_SPACES = re.compile(r"[ \t\u00a0]+")


@lru_cache(maxsize=32)
def _rules(language: str, context: Context) -> tuple[tuple[re.Pattern[str], Replacement], ...]:
    if language == "cy":
        return _welsh_rules(context) + _WELSH_SYMBOL_RULES
    return _english_rules(context) + _ABBREVIATION_RULES + _UNIT_RULES + _SYMBOL_RULES


def apply_pronunciations(text: str, pronunciations: Iterable[tuple[str, str]]) -> str:
    """Whole-word, case-sensitive replacements from the report's front matter ("NHS" -> "N H S")."""
    for word, spoken in sorted(pronunciations, key=lambda pair: -len(pair[0])):
        text = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", spoken, text)
    return text


def vocabulary_of(text: str) -> frozenset[str]:
    """The words of a text (lower case, two letters or more) plus common short words: the
    dictionary web addresses are split with. The addresses themselves are left out, so that a
    name run together in one ("kettleandcompass") is not taken for a word."""
    text = re.sub(_EMAIL + "|" + _URL, " ", text, flags=re.IGNORECASE)
    return frozenset(w for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 1) | COMMON_WORDS


def supported_language(language: str) -> str | None:
    """'en' or 'cy' for a BCP 47 tag this module has rules for, else None."""
    primary = (language or "en").lower().replace("_", "-").split("-")[0]
    return primary if primary in ("en", "cy") else None


def normalise(
    text: str,
    pronunciations: Iterable[tuple[str, str]] = (),
    *,
    vocabulary: frozenset[str] = COMMON_WORDS,
    short_sums: bool = False,
    language: str = "en",
) -> str:
    """Text as it should be spoken by a British English (or, with language='cy', Welsh) voice."""
    text = apply_pronunciations(text, pronunciations)
    context = Context(vocabulary, short_sums)
    for pattern, replacement in _rules(supported_language(language) or "en", context):
        text = pattern.sub(replacement, text)
    return _SPACES.sub(" ", text).strip()
