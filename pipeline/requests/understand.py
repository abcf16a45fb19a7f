"""Text of an email -> which report(s), which format(s), with which options.

Rules and vocabulary only, all in this file, so a person can read, test and extend them:
FORMAT_WORDS (synonyms per format), SUBSTITUTES (names we answer with a nearby format),
CANNOT_MAKE (formats we do not make, with the nearest we do), and the option rules below them.
No model weights: a reader's sentence is matched against these tables.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from .catalogue import Catalogue, CatalogueEntry

# ------------------------------------------------------------------ vocabulary: formats
# (pattern, stage name, how we name it to the reader). Patterns run on lower-cased text.
FORMAT_WORDS: list[tuple[str, str, str]] = [
    (r"\bbraille\b|\bbrf\b|\bembosser\b|\bembossed\b|\bpef\b", "braille", "braille"),
    (r"\b(?:large|larger|big|bigger|enlarged)[\s-]+(?:print|font|text|type|letters?|writing)\b"
     r"|\blarge[\s-]print\b|\bmodified large print\b", "large-print", "large print"),
    (r"\baudio\b|\bmp3\b|\blisten(?:ing)?\b|\bspoken\b|\bread aloud\b|\btalking book\b"
     r"|\bnarrat(?:ed|ion)\b|\baudiobook\b|\brecording\b", "audio", "audio (MP3)"),
    (r"\be-?books?\b|\bepub\s?3?\b|\be-?readers?\b|\bkobo\b|\bapple books\b", "epub", "EPUB 3 e-book"),
    (r"\b(?:ms|microsoft)\s+word\b|\bword\s+(?:doc|docs|document|file|format|version|copy)\b"
     r"|\b(?:in|as)\s+(?:a\s+)?word\b|\bdocx?\b|\.docx?\b", "word", "Word document"),
    (r"\bpdfs?\b", "pdf", "PDF"),
    (r"\bhtml\b|\bweb\s?page\b|\bweb version\b", "html", "web page (HTML)"),
]

# Names we answer with a format we do make, and what we tell the reader about it.
SUBSTITUTES: list[tuple[str, tuple[str, ...], str]] = [
    (r"\bscreen[\s-]?readers?\b|\bjaws\b|\bnvda\b|\bvoiceover\b|\btalkback\b", ("word", "pdf"),
     "For a screen reader we send the Word document and the tagged PDF: both have headings, "
     "described images and marked-up tables, so use whichever your screen reader prefers."),
    (r"\bkindle\b", ("epub",),
     "Kindles take EPUB files now: send the EPUB to your Kindle with Amazon's Send to Kindle."),
    (r"\bmobi\b|\bazw3?\b", ("epub",),
     "MOBI is a retired format (Amazon no longer accepts it); Kindles take EPUB now, so we have "
     "sent the EPUB 3 e-book instead."),
    (r"\bdaisy\b", ("epub",),
     "For DAISY we send EPUB 3, the DAISY Consortium's own successor to DAISY books. It does not "
     "yet have synchronised audio; we can send the audio (MP3) separately if that helps."),
    (r"\b(?:audio\s+)?cds?\b|\bcassettes?\b|\btapes?\b", ("audio",),
     "We no longer post CDs or tapes; the MP3 audio plays on phones, computers and most "
     "DAISY players."),
]

# Formats we do not make: (pattern, name, nearest stage we offer, why).
CANNOT_MAKE: list[tuple[str, str, str, str]] = [
    (r"\bmoon\s+(?:type|script|version|format)\b|\bin moon\b", "Moon", "braille",
     "we cannot produce Moon type"),
    (r"\beasy[\s-]read\b", "Easy Read", "word",
     "Easy Read versions are rewritten by people, so we cannot make one automatically"),
    (r"\bsign language\b|\bbsl\b", "British Sign Language video", "audio",
     "we do not make sign language videos"),
]

# When a stage is not available on this machine, what we offer instead (first one available).
NEAREST: dict[str, tuple[str, ...]] = {
    "braille": ("word", "html", "epub"),
    "large-print": ("word", "pdf", "html"),
    "audio": ("epub", "html", "word"),
    "epub": ("html", "word", "pdf"),
    "word": ("html", "pdf", "epub"),
    "pdf": ("word", "html", "epub"),
    "html": ("word", "pdf", "epub"),
}

FORMAT_LABELS = {stage: label for _, stage, label in FORMAT_WORDS}

# A word shortly before a format name that turns it into "not that one".
NEGATION = re.compile(r"\b(?:not|no|don't|dont|do not|rather than|instead of|without|never)\s+"
                      r"(?:[\w'-]+\s+){0,2}$")

# ------------------------------------------------------------------ vocabulary: options
SIZE_PATTERNS = [
    r"\b(\d{2})\s*-?\s*(?:pt|pts|point|points)\b",
    r"\b(?:size|font size|point size|type size|print size)\s*(?:of\s*)?(\d{2})\b",
    r"\b(\d{2})\s*(?:size|font)\b",
]
SMALLEST_SIZE, LARGEST_SIZE = 10, 72

BRAILLE_GRADE_1 = r"\buncontracted\b|\bgrade\s*(?:1|one|i)\b|\bg1\b|\bun-contracted\b"
BRAILLE_GRADE_2 = r"\bcontracted\b|\bgrade\s*(?:2|two|ii)\b|\bg2\b"
# Braille codes by language: (grade 1 table, grade 2 table). English (UEB) is the default.
BRAILLE_CODES: dict[str, tuple[str, str]] = {
    "english": ("en-ueb-g1.ctb", "en-ueb-g2.ctb"),
    "ueb": ("en-ueb-g1.ctb", "en-ueb-g2.ctb"),
    "american": ("en-us-g1.ctb", "en-us-g2.ctb"),
    "us": ("en-us-g1.ctb", "en-us-g2.ctb"),
    "ebae": ("en-us-g1.ctb", "en-us-g2.ctb"),
    "welsh": ("cy-cy-g1.utb", "cy-cy-g2.ctb"),
    "french": ("fr-bfu-comp6.utb", "fr-bfu-g2.ctb"),
    "german": ("de-g1.ctb", "de-g2.ctb"),
    "spanish": ("es-g1.ctb", "es-g2.ctb"),
    "irish": ("ga-g1.utb", "ga-g2.ctb"),
}
BRAILLE_CODE_PATTERN = (r"\b(" + "|".join(BRAILLE_CODES) + r")\s+braille\b"
                        r"|\bbraille\s+in\s+(" + "|".join(BRAILLE_CODES) + r")\b")
BRAILLE_CELLS = r"\b(\d{2})[\s-]*cells?\b"
BRAILLE_LINES = r"\b(\d{2})\s*lines\b"

SPEECH_SLOWER = r"\bslower\b|\bmore slowly\b|\bslowly\b|\bslow (?:pace|speed|voice|reading)\b"
SPEECH_FASTER = r"\bfaster\b|\bquicker\b|\bspeed(?:ed)? up\b|\bfast (?:pace|speed|reading)\b"
SPEECH_RATE = {"slower": "140", "faster": "210"}

PAPER_COLOUR = (r"\b(cream|yellow|buff|blue|pink|green|lilac|grey|gray|ivory)\s+"
                r"(?:colou?red\s+)?(?:paper|background|pages?)\b")
HIGH_CONTRAST = (r"\bhigh[\s-]contrast\b|\b(?:white|yellow) (?:text |writing )?on (?:a )?black\b"
                 r"|\bdark (?:background|mode)\b")
FONT_FAMILIES = {"arial": "Arial", "verdana": "Verdana", "tahoma": "Tahoma",
                 "helvetica": "Arial", "sans serif": "Arial", "sans-serif": "Arial"}
FONT_PATTERN = r"\b(arial|verdana|tahoma|helvetica|sans[\s-]serif)\b"
LINE_SPACING = [(r"\bdouble[\s-]spac(?:ed|ing)\b", "2.0"),
                (r"\b(?:1\.5|one and a half)[\s-]*(?:line[\s-]*)?spac(?:ed|ing)\b", "1.5")]

PRINT_FORMATS = ("large-print", "word")


# ------------------------------------------------------------------ results


@dataclass(frozen=True)
class FormatRequest:
    format: str                               # stage name: "large-print"
    options: tuple[tuple[str, str], ...] = ()  # (option, value) as strings, for make_options

    @property
    def options_dict(self) -> dict[str, str]:
        return dict(self.options)


@dataclass(frozen=True)
class CannotMake:
    asked: str                    # what the reader asked for, in their words
    nearest: str                  # stage we offer instead ("" when none)
    why: str


@dataclass(frozen=True)
class Understanding:
    reports: tuple[CatalogueEntry, ...]
    formats: tuple[FormatRequest, ...]
    notes: tuple[str, ...] = ()               # things to tell the reader ("MOBI is retired...")
    cannot_make: tuple[CannotMake, ...] = ()
    report_guess: str = ""                    # set when we picked one report of several alike

    @property
    def kind(self) -> str:
        """"ok", "unknown-report" (a format but no report we know) or "unclear"."""
        if self.reports and (self.formats or self.cannot_make):
            return "ok"
        if not self.reports and (self.formats or self.cannot_make):
            return "unknown-report"
        return "unclear"


# ------------------------------------------------------------------ understanding


def understand(subject: str, body: str, catalogue: Catalogue) -> Understanding:
    text = request_text(subject, body)
    reports, guess = match_reports(text, catalogue)
    formats, notes, cannot = _formats(text)
    formats = _with_options(text, formats)
    return Understanding(reports=tuple(reports), formats=tuple(formats), notes=tuple(notes),
                         cannot_make=tuple(cannot), report_guess=guess)


def request_text(subject: str, body: str) -> str:
    subject = re.sub(r"^(?:\s*(?:re|fwd?|aw|sv)\s*:\s*)+", "", subject, flags=re.IGNORECASE)
    return f"{subject}\n{body}".lower()


def _found(pattern: str, text: str) -> list[re.Match]:
    """Matches of pattern in text that are not negated ("not braille, audio please")."""
    return [match for match in re.finditer(pattern, text)
            if not NEGATION.search(text[max(0, match.start() - 30):match.start()])]


def _formats(text: str) -> tuple[list[str], list[str], list[CannotMake]]:
    wanted: list[tuple[int, str]] = []
    notes: list[str] = []
    for pattern, stage, _ in FORMAT_WORDS:
        matches = _found(pattern, text)
        if matches:
            wanted.append((matches[0].start(), stage))
    for pattern, stages, note in SUBSTITUTES:
        matches = _found(pattern, text)
        if matches:
            wanted.extend((matches[0].start(), stage) for stage in stages)
            notes.append(note)
    cannot = []
    for pattern, name, nearest, why in CANNOT_MAKE:
        if _found(pattern, text):
            cannot.append(CannotMake(asked=name, nearest=nearest, why=why))
    # Options that only make sense for one format imply it ("24 point please" -> large print).
    implied = [("large-print", SIZE_PATTERNS + [PAPER_COLOUR, HIGH_CONTRAST]),
               ("braille", [BRAILLE_GRADE_1, BRAILLE_GRADE_2, BRAILLE_CODE_PATTERN])]
    stages_so_far = {stage for _, stage in wanted}
    for stage, patterns in implied:
        if stage == "large-print" and stages_so_far & set(PRINT_FORMATS):
            continue
        if stage in stages_so_far:
            continue
        positions = [m.start() for p in patterns for m in _found(p, text)]
        if positions:
            wanted.append((min(positions), stage))
    ordered: list[str] = []
    for _, stage in sorted(wanted, key=lambda item: item[0]):
        if stage not in ordered:
            ordered.append(stage)
    return ordered, notes, cannot


def _first_int(patterns: list[str], text: str, low: int, high: int) -> str | None:
    for pattern in patterns:
        for match in _found(pattern, text):
            value = next(group for group in match.groups() if group)
            if low <= int(value) <= high:
                return value
    return None


def _with_options(text: str, formats: list[str]) -> list[FormatRequest]:
    requests = []
    # Print options go to large print when asked for, else to Word.
    print_target = next((f for f in PRINT_FORMATS if f in formats), None)
    for stage in formats:
        options: dict[str, str] = {}
        if stage == print_target:
            options.update(_print_options(text))
        elif stage == "braille":
            options.update(_braille_options(text))
        elif stage == "audio":
            options.update(_speech_options(text))
        requests.append(FormatRequest(stage, tuple(sorted(options.items()))))
    return requests


def _print_options(text: str) -> dict[str, str]:
    options: dict[str, str] = {}
    size = _first_int(SIZE_PATTERNS, text, SMALLEST_SIZE, LARGEST_SIZE)
    if size:
        options["font_size"] = size
    colour = _found(PAPER_COLOUR, text)
    if colour:
        options["paper_colour"] = colour[0].group(1).replace("gray", "grey")
    if _found(HIGH_CONTRAST, text):
        options["high_contrast"] = "true"
    font = _found(FONT_PATTERN, text)
    if font:
        options["font_family"] = FONT_FAMILIES[font[0].group(1).replace("-", " ")
                                               if "sans" in font[0].group(1) else font[0].group(1)]
    for pattern, spacing in LINE_SPACING:
        if _found(pattern, text):
            options["line_spacing"] = spacing
            break
    return options


def _braille_options(text: str) -> dict[str, str]:
    grade_1 = _found(BRAILLE_GRADE_1, text)
    grade_2 = _found(BRAILLE_GRADE_2, text)
    code = _found(BRAILLE_CODE_PATTERN, text)
    language = next((g for g in code[0].groups() if g), "english") if code else "english"
    options: dict[str, str] = {}
    if grade_1 or grade_2 or code:
        # Grade 1 only when asked for and grade 2 not asked for earlier in the text.
        uncontracted = bool(grade_1) and (not grade_2 or grade_1[0].start() < grade_2[0].start())
        options["table"] = BRAILLE_CODES[language][0 if uncontracted else 1]
    cells = _first_int([BRAILLE_CELLS], text, 20, 50)
    if cells:
        options["cells"] = cells
    lines = _first_int([BRAILLE_LINES], text, 15, 40)
    if lines:
        options["lines"] = lines
    return options


def _speech_options(text: str) -> dict[str, str]:
    slower, faster = _found(SPEECH_SLOWER, text), _found(SPEECH_FASTER, text)
    if slower and not faster:
        return {"rate": SPEECH_RATE["slower"]}
    if faster and not slower:
        return {"rate": SPEECH_RATE["faster"]}
    return {}


# ------------------------------------------------------------------ reports

EXACT, GOOD_ENOUGH = 100.0, 85.0
YEAR = re.compile(r"\b(?:19|20)\d{2}\b")


def normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", text.lower()).split())


def match_reports(text: str, catalogue: Catalogue) -> tuple[list[CatalogueEntry], str]:
    """Reports the text names: exact names first, then near misses ("anual reveiw").

    Returns the entries and a note when several reports differ only by year and none was named
    exactly (we pick the latest and say so).
    """
    words = normalise(text)
    mentions_year = bool(YEAR.search(words))
    scored = [(name_score(entry, words, mentions_year), entry) for entry in catalogue.entries]
    exact = [entry for score, entry in scored if score >= EXACT]
    if exact:
        return exact, ""
    close = [(score, entry) for score, entry in scored if score >= GOOD_ENOUGH]
    if not close:
        return [], ""
    best = max(score for score, _ in close)
    leaders = [entry for score, entry in close if score >= best - 2]
    if len(leaders) == 1:
        return leaders, ""
    latest = max(leaders, key=lambda entry: entry.slug)
    return [latest], (f"You didn't say which year, so we have sent {latest.title}. If you meant "
                      f"another one, just reply and say which.")


def name_score(entry: CatalogueEntry, words: str, mentions_year: bool) -> float:
    best = 0.0
    padded = f" {words} "
    for name in entry.names:
        candidates = [normalise(name)]
        without_year = normalise(YEAR.sub(" ", name))
        if not mentions_year and without_year != candidates[0]:
            candidates.append(without_year)
        for index, candidate in enumerate(candidates):
            penalty = 0 if index == 0 else 3   # matching without the year is a little weaker
            if len(candidate) < 3:
                continue
            if f" {candidate} " in padded:
                best = max(best, EXACT - penalty)
            elif len(candidate) >= 8:
                # Small misspellings: the best-matching stretch of the text, word-aligned.
                best = max(best, _fuzzy(candidate, words) - penalty)
    return best


def _fuzzy(name: str, words: str) -> float:
    tokens = words.split()
    width = len(name.split())
    best = 0.0
    for size in {max(1, width - 1), width, width + 1}:
        for start in range(0, max(1, len(tokens) - size + 1)):
            window = " ".join(tokens[start:start + size])
            best = max(best, fuzz.ratio(name, window))
    return best
