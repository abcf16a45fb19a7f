"""Text of an email -> which report(s), which format(s), with which options, in which language.

Rules and vocabulary only, all in this file, so a person can read, test and extend them. No
model weights: a reader's sentences are matched against these tables. Hand-written because
no library knows what "braille, but not the shortened kind" asks a charity for.

How a request is read:
- The text is cut into clauses (at . ! ? ; , newlines and "but"), because a negation or a
  preference reaches only to the end of its clause: "not braille, audio please" negates braille
  only; "braille, but not the shortened kind" negates the contraction, not braille.
- A format word is *wanted* unless a negation or a "rather than" stands shortly before it in its
  clause ("I'd prefer not to get a PDF. Word please." asks for Word).
- Words that describe a person ("my colleague uses a screen reader") are NEEDS, not requests:
  they choose a format only when no format is asked for outright.
- Options are read the same way: "not contracted" and "no contractions" ask for grade 1.
- Reports are ranked by how they are named (title > short title/subtitle > alias, exact > near
  miss), by the year (named or, when none is named, the newest of a series); two reports
  equally likely for the same words are a question back, never both (unless "both" is said).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from .catalogue import YEAR, Catalogue, CatalogueEntry


def N_(message: str) -> str:
    """Marks a message id for the catalogue; reply.py translates it in the request's language."""
    return message


# ------------------------------------------------------------------ vocabulary: formats
# (pattern, stage name). Patterns run on lower-cased text with typographic apostrophes made
# plain. English, Welsh ("print bras", "fersiwn sain", "e-lyfr") and a little French.
FORMAT_WORDS: list[tuple[str, str]] = [
    (r"\bbraille\b|\bbrf\b|\bembosser\b|\bembossed\b|\bpef\b|\bbr[eê]l\b", "braille"),
    (
        r"\b(?:large|larger|big|bigger|enlarged|bold)[\s-]+(?:print|font|text|type|letters?|writing)\b"
        r"|\blarge[\s-]print\b|\bmodified large print\b|\b(?:in\s+)?a\s+(?:bigger|larger)\s+size\b"
        r"|\b(?:print|text|font|writing|letters)\s+(?:that'?s|that is|which is)\s+"
        r"easier to (?:read|see)\b"
        r"|\beasier[\s-]to[\s-](?:read|see)\s+(?:print|text|font|type)\b"
        r"|\bprint\s+(?:bras|mawr)\b|\bllythrennau\s+(?:bras|mawr)\b|\bffont\s+(?:fwy|mawr)\b"
        r"|\bgros\s+caract[eè]res\b",
        "large-print",
    ),
    (
        r"\baudio\b|\bmp3s?\b|\blisten(?:ing)?\b|\bspoken\b|\bread (?:it )?(?:aloud|out)\b"
        r"|\bread\b[^.?!\n]{0,60}?\b(?:out loud|out to (?:me|him|her|them|us)|aloud)\b"
        r"|\bread (?:it )?to me\b|\bhear (?:it|the|them|this)\b|\bto hear\b"
        r"|\bnarrat(?:ed|ion)\b|\baudio-?books?\b|\brecording\b"
        r"|\bfersiwn\s+sain\b|\bffeil\s+sain\b|\bsain\b|\bgwrando\b|\bdarllen\s+yn\s+uchel\b"
        r"|\brecordiad\b",
        "audio",
    ),
    (
        r"\be-?books?\b|\bepub\s?3?s?\b|\be-?readers?\b|\bkobo\b|\bapple books\b|\be-?lyfr(?:au)?\b"
        r"|\bkindle\b|\bmobi\b|\bazw3?\b",
        "epub",
    ),
    (
        r"\b(?:ms|microsoft)\s+word\b|\bword\s+(?:doc|docs|document|file|format|version|copy)\b"
        r"|\b(?:in|as)\s+(?:a\s+)?word\b|\bdocx?\b|\.docx?\b|^word\b|\bword please\b"
        r"|\b(?:have|get|want|send|prefer|like|receive)\s+(?:it\s+)?(?:in\s+|as\s+)?(?:a\s+)?word"
        r"\b(?!\s+(?:of|with|for|about))"
        r"|\bdogfen\s+word\b|\bffeil\s+word\b|\btext[\s-]only\b|\bplain[\s-]text\b"
        r"|\btestun\s+yn\s+unig\b",
        "word",
    ),
    (r"\bpdfs?\b", "pdf"),
    (r"\bhtml\b|\bweb\s?page\b|\bweb version\b|\btudalen\s+we\b", "html"),
    (r"\bdaisy\b|\btalking[\s-]books?\b|\bread[\s-]along\b|\bllyfr\s+llafar\b", "daisy"),
]

# Words that describe the person, not the file: they choose a format only when no format is
# asked for outright ("my colleague uses a screen reader; the review as an EPUB" is EPUB).
NEED_WORDS: list[tuple[str, str]] = [
    (
        r"\bscreen[\s-]?readers?\b|\bjaws\b|\bnvda\b|\bvoiceover\b|\btalkback\b"
        r"|\bdarllenydd\s+sgr[iî]n\b",
        "word",
    ),
]

# What we tell the reader when their words map to a format we send under another name.
FORMAT_NOTES: list[tuple[str, str, str]] = [
    (
        r"\bkindle\b",
        "epub",
        N_(
            "Kindles read EPUB: send the EPUB file to your Kindle with Amazon's Send to Kindle "
            "(the app, or the web page amazon.com/sendtokindle)."
        ),
    ),
    (
        r"\bmobi\b|\bazw3?\b",
        "epub",
        N_(
            "MOBI is a retired format that Amazon no longer accepts, so we have sent EPUB, which "
            "Kindles read through Send to Kindle."
        ),
    ),
    (
        r"\btext[\s-]only\b|\bplain[\s-]text\b|\btestun\s+yn\s+unig\b",
        "word",
        N_(
            "For a text-only version we send the Word document: it is the text with its headings, "
            "and opens in any word processor."
        ),
    ),
]

# Formats we do not make: (pattern, name msgid, nearest stage we offer, why msgid).
CANNOT_MAKE: list[tuple[str, str, str, str]] = [
    (
        r"\bmoon\s+(?:type|script|version|format)\b|\bin moon\b",
        N_("Moon"),
        "braille",
        N_("we cannot produce Moon type"),
    ),
    (
        r"\beasy[\s-]read\b|\bhawdd ei ddarllen\b",
        N_("Easy Read"),
        "word",
        N_("Easy Read versions are rewritten by people, so we cannot make one automatically"),
    ),
    (
        r"\bsign language\b|\bbsl\b",
        N_("British Sign Language video"),
        "audio",
        N_("we do not make sign language videos"),
    ),
    (
        r"\b(?:audio\s+)?cds?\b|\bcassettes?\b|\btapes?\b",
        N_("CDs or tapes"),
        "audio",
        N_("we no longer post CDs or tapes"),
    ),
]

# When a stage is not available on this machine, what we offer instead (first one available).
NEAREST: dict[str, tuple[str, ...]] = {
    "braille": ("word", "html", "epub"),
    "large-print": ("word", "pdf", "html"),
    "audio": ("epub", "html", "word"),
    "daisy": ("audio", "epub", "word"),
    "epub": ("html", "word", "pdf"),
    "word": ("html", "pdf", "epub"),
    "pdf": ("word", "html", "epub"),
    "html": ("word", "pdf", "epub"),
}

# How we name each format to a reader (msgids; reply.py translates them).
FORMAT_LABELS = {
    "braille": N_("braille"),
    "large-print": N_("large print"),
    "audio": N_("audio (MP3)"),
    "epub": N_("EPUB 3 e-book"),
    "word": N_("Word document"),
    "pdf": N_("PDF"),
    "html": N_("web page (HTML)"),
    "daisy": N_("DAISY talking book"),
}

# ------------------------------------------------------------------ negation and preference
# A negation shortly before a word, in the same clause, turns it into "not that one".
NEGATORS = (
    r"not|no|don'?t|do not|doesn'?t|does not|didn'?t|can'?t|cannot|can not|won'?t"
    r"|never|without|rather than|instead of|other than|except|apart from|nothing"
    r"|dim|nid|nage|heb|yn lle|yn hytrach na|nid mewn|pas de|sans"
)
NEGATION_BEFORE = re.compile(rf"(?:^|\b)(?:{NEGATORS})\s+(?:[\w'-]+\s+){{0,4}}$")
# "I'd rather have Word than a PDF": `than` negates what follows when a preference came first.
PREFERENCE_THAN = re.compile(
    r"\b(?:rather|sooner|prefer|prefers|preferably|better)\b.*\bthan\s+"
    r"(?:[\w'-]+\s+){0,2}$"
)
# Words after a format that say it does not work for the reader: "my screen reader struggles
# with PDFs" and "I find PDFs hard" are not requests for a PDF.
DIFFICULTY_BEFORE = re.compile(
    r"\b(?:struggl\w*|trouble|problems?|difficult\w*|issues?|hate"
    r"|hates|dislike|can'?t cope|cannot cope)\s+(?:with\s+)?"
    r"(?:[\w'-]+\s+){0,2}$"
)
DIFFICULTY_AFTER = re.compile(
    r"^\W*(?:[\w'-]+\s+){0,3}?(?:are |is |were |was )?"
    r"(?:hard|difficult|impossible"
    r"|tricky|a struggle|a nightmare|no good|useless|inaccessible"
    r"|(?:do|does|did)(?:n'?t| not) work"
    r"|(?:are|is)(?:n'?t| not) accessible"
    r"|(?:are|is)(?:n'?t| not) (?:any )?good)\b"
)
# Phrases with "not" that negate nothing after them.
NOT_A_NEGATION = re.compile(
    r"\b(?:not sure|not certain|if not|whether or not|not only"
    r"|no problem|no rush|no hurry|no worries)\b"
)
CLAUSE_BREAK = re.compile(
    r"[.!?;,:\n()]+|\s(?:but|however|though|so|because|since|as well as"
    r"|ond|felly|achos|oherwydd|mais)\s"
)

# ------------------------------------------------------------------ vocabulary: options
SIZE_PATTERNS = [
    r"\b(\d{2})\s*-?\s*(?:pt|pts|point|points|pwynt)\b",
    r"\b(?:size|font size|point size|type size|print size|maint|pwynt)\s*(?:of\s*)?(\d{2})\b",
    r"\b(\d{2})\s*(?:size|font)\b",
]
SMALLEST_SIZE, LARGEST_SIZE = 10, 72

BRAILLE_GRADE_1 = (
    r"\buncontracted\b|\bun-contracted\b|\bnon-contracted\b|\bgrade\s*(?:1|one|i)\b"
    r"|\bg1\b|\bfully spelled\b|\bspelled out\b|\bgradd\s*(?:1|un)\b"
    r"|\banghyfangedig\b|\banghywasgedig\b|\bint[eé]gral\b"
)
# Contracted braille (grade 2): negated ("not contracted", "no contractions", "not the
# shortened kind") it asks for grade 1.
BRAILLE_GRADE_2 = (
    r"\bcontracted\b|\bcontractions?\b"
    r"|\bshort(?:ened)?(?:\s+(?:kind|form|forms|version))?\b"
    r"|\bgrade\s*(?:2|two|ii)\b|\bg2\b|\bgradd\s*(?:2|dau)\b|\b[cg]yfangedig\b"
    r"|\b[cg]ywasgedig\b"
    r"|\b[cg]yfangiad(?:au)?\b"
    r"|\bbyrfoddau\b|\babr[eé]g[eé]\b"
)
BRAILLE_CODES: dict[str, tuple[str, str]] = {
    "english": ("en-ueb-g1.ctb", "en-ueb-g2.ctb"),
    "ueb": ("en-ueb-g1.ctb", "en-ueb-g2.ctb"),
    "american": ("en-us-g1.ctb", "en-us-g2.ctb"),
    "ebae": ("en-us-g1.ctb", "en-us-g2.ctb"),
    "welsh": ("cy-cy-g1.utb", "cy-cy-g2.ctb"),
    "cymraeg": ("cy-cy-g1.utb", "cy-cy-g2.ctb"),
    "french": ("fr-bfu-comp6.utb", "fr-bfu-g2.ctb"),
    "german": ("de-g1.ctb", "de-g2.ctb"),
    "spanish": ("es-g1.ctb", "es-g2.ctb"),
    "irish": ("ga-g1.utb", "ga-g2.ctb"),
}
# The braille code of a report's own language, when the reader names none.
LANGUAGE_CODES = {
    "en": "english",
    "cy": "welsh",
    "fr": "french",
    "de": "german",
    "es": "spanish",
    "ga": "irish",
}
BRAILLE_CODE_PATTERN = (
    r"\b(" + "|".join(BRAILLE_CODES) + r")\s+braille\b"
    r"|\bbraille\s+in\s+(" + "|".join(BRAILLE_CODES) + r")\b"
    r"|\bbraille\s+(cymraeg)\b"
)
BRAILLE_CELLS = r"\b(\d{2})[\s-]*(?:cells?|celloedd|characters (?:a|per|to a) line)\b"
BRAILLE_LINES = r"\b(\d{2})\s*(?:lines|llinell|llinellau)\b"
# A page size as cells by lines: "28 by 25", "32 x 27", "28 wrth 25" (Welsh).
BRAILLE_PAGE = r"\b(\d{2})\s*(?:by|x|×|wrth)\s*(\d{2})\b"
# 8-dot computer braille: its own code, with no grades (the liblouis table the stage names).
COMPUTER_BRAILLE = (
    r"\bcomputer braille\b|\b(?:8|eight)[\s-]*dots?\b(?:\s+braille)?"
    r"|\bbraille\s+cyfrifiadur(?:ol)?\b|\bwyth\s+dot\b"
)
COMPUTER_TABLE = "en-gb-comp8.ctb"
# Sheets per volume: "70 sheets per volume", "volumes of 50 sheets", "50 dalen ym mhob cyfrol".
SHEETS_PER_VOLUME = [
    r"\b(\d{2,3})\s*(?:-\s*)?sheets?\s+(?:per|a|each|in each|to a|for each|in a)\s+volume\b",
    r"\bvolumes?\s+of\s+(?:at most\s+|no more than\s+|up to\s+|about\s+)?(\d{2,3})\s+sheets?\b",
    r"\b(\d{2,3})[\s-]sheet volumes?\b",
    r"\b(\d{2,3})\s+dalen(?:nau)?\s+(?:y\s+gyfrol|ym mhob cyfrol|i bob cyfrol|fesul cyfrol)\b",
    r"\bcyfrolau\s+o\s+(?:hyd at\s+)?(\d{2,3})\s+dalen\b",
]
SHEETS_RANGE = (10, 200)
# Both sides of the paper (interpoint) or one side.
INTERPOINT = (
    r"\binter-?point(?:ed)?\b|\bdouble[\s-]sided\b|\bboth sides\b"
    r"|\b(?:ar\s+)?(?:dd|d)wy\s+ochr\b"
)
SINGLE_SIDED = r"\bsingle[\s-]sided\b|\bone[\s-]sided\b|\bone side\b|\bun\s+ochr\b"

SPEECH_SLOWER = (
    r"\bslower\b|\bmore slowly\b|\bslowly\b"
    r"|\bslow (?:pace|speed|voice|reading|speech)\b"
    r"|\bnot (?:so|too) fast\b|\barafach\b|\byn araf\b|\bplus lent(?:ement)?\b"
)
SPEECH_FASTER = (
    r"\bfaster\b|\bquicker\b|\bspeed(?:ed)? up\b|\bfast (?:pace|speed|reading)\b"
    r"|\bcyflymach\b"
)
SPEECH_RATE = {"slower": "140", "faster": "210"}
# Section files (a zip) instead of the one MP3: asked for, or for a player that wants tracks.
AUDIO_TRACKS = (
    r"\btracks?\b|\bfor my (?:mp3 |audio )?player\b"
    r"|\bseparate (?:files|chapters|sections)\b"
    r"|\bchapter files\b|\bone file (?:per|for each) (?:chapter|section)\b"
    r"|\bfiles? (?:per|for each) (?:chapter|section)\b|\btraciau\b|\bfesul pennod\b"
)

PAPER_COLOUR = (
    r"\b(cream|yellow|buff|blue|pink|green|lilac|grey|gray|ivory)\s+"
    r"(?:colou?red\s+)?(?:paper|background|pages?)\b"
)
HIGH_CONTRAST = (
    r"\bhigh[\s-]contrast\b|\b(?:white|yellow) (?:text |writing )?on (?:a )?black\b"
    r"|\bdark (?:background|mode)\b|\bcyferbyniad uchel\b"
)
FONT_FAMILIES = {
    "arial": "Arial",
    "verdana": "Verdana",
    "tahoma": "Tahoma",
    "helvetica": "Arial",
    "sans serif": "Arial",
}
FONT_PATTERN = r"\b(arial|verdana|tahoma|helvetica|sans[\s-]serif)\b"
LINE_SPACING = [
    (r"\bdouble[\s-]spac(?:ed|ing)\b", "2.0"),
    (r"\b(?:1\.5|one and a half)[\s-]*(?:line[\s-]*)?spac(?:ed|ing)\b", "1.5"),
]

PRINT_FORMATS = ("large-print", "word")

# ------------------------------------------------------------------ the request's language
# Words only Welsh uses (common in a request); English and Welsh share too many short words to
# count those. A request is Welsh when it has more of these than of the English markers.
WELSH_MARKERS = {
    "allwn",
    "hoffwn",
    "gwelwch",
    "diolch",
    "adroddiad",
    "adolygiad",
    "mewn",
    "fersiwn",
    "sain",
    "bras",
    "cael",
    "gael",
    "ydych",
    "oes",
    "gennych",
    "annwyl",
    "dda",
    "blynyddol",
    "effaith",
    "gyda",
    "llyfr",
    "llafar",
    "arafach",
    "heb",
    "yr",
    "fy",
    "yw",
    "ydy",
    "gallu",
    "anfon",
    "copi",
    "plîs",
    "hefyd",
    "os",
    "hoffai",
    "fyddai",
    "bosib",
    "bosibl",
    "dogfen",
    "tudalen",
    "wrth",
    "nghydweithiwr",
}
ENGLISH_MARKERS = {
    "the",
    "please",
    "could",
    "would",
    "like",
    "have",
    "can",
    "you",
    "thanks",
    "thank",
    "send",
    "my",
    "of",
    "and",
    "is",
    "there",
    "version",
    "copy",
}
# Welsh names of kinds of report, so a Welsh request finds an English-named report too.
WELSH_REPORT_WORDS = {
    "adolygiad blynyddol": "annual review",
    "adroddiad blynyddol": "annual report",
    "adroddiad effaith": "impact report",
    "adroddiad ein heffaith": "impact report",
}
# "the report" / "yr adroddiad" names no report: with one report in the catalogue it is that one;
# "your latest report" is the newest; otherwise we ask which, listing them.
GENERIC_REPORT = re.compile(
    r"\b(?:report|review|adroddiad|adolygiad|publication|document"
    r"|cyhoeddiad)\b"
)
LATEST = re.compile(
    r"\b(?:latest|newest|most recent|new|this year'?s|diweddaraf|newydd)\s+"
    r"(?:[\w'-]+\s+)?(?:report|review|adroddiad|adolygiad|publication)\b"
)
MAX_TO_LIST = 6
BOTH = re.compile(r"\b(?:both|all of them|each of them|all three|the two|y ddau|y ddwy|pob un)\b")


# ------------------------------------------------------------------ results


@dataclass(frozen=True)
class FormatRequest:
    format: str  # stage name: "large-print"
    options: tuple[tuple[str, str], ...] = ()  # (option, value) as strings, for make_options
    tracks: bool = False  # audio: the section files (a zip), not one MP3

    @property
    def options_dict(self) -> dict[str, str]:
        return dict(self.options)


@dataclass(frozen=True)
class CannotMake:
    asked: str  # what the reader asked for (a msgid)
    nearest: str  # stage we offer instead ("" when none)
    why: str  # a msgid
    not_yet: bool = False  # a format we will make, whose stage is not built here yet


@dataclass(frozen=True)
class Understanding:
    reports: tuple[CatalogueEntry, ...]
    formats: tuple[FormatRequest, ...]
    notes: tuple[str, ...] = ()  # msgids to tell the reader ("Kindles read EPUB...")
    cannot_make: tuple[CannotMake, ...] = ()
    newest_of_series: str = ""  # title picked as the newest because no year was named
    candidates: tuple[CatalogueEntry, ...] = ()  # equally likely reports: we must ask which
    language: str = "en"  # the request's language: the reply's
    # Different formats of different reports ("the large print of the 2024 review and the
    # audio of the 2025 one"): (slug, its formats); empty when every report gets `formats`.
    per_report: tuple[tuple[str, tuple[FormatRequest, ...]], ...] = ()

    def formats_for(self, entry: CatalogueEntry) -> tuple[FormatRequest, ...]:
        return dict(self.per_report).get(entry.slug, self.formats)

    @property
    def kind(self) -> str:
        """ "ok"; "which-report" (equally likely reports: ask); "unknown-report" (a format but no
        report we know); or "unclear" (no format)."""
        asked = bool(self.formats or self.cannot_make)
        if self.candidates:
            return "which-report"
        if self.reports and asked:
            return "ok"
        if not self.reports and asked:
            return "unknown-report"
        return "unclear"


# ------------------------------------------------------------------ understanding


def understand(subject: str, body: str, catalogue: Catalogue) -> Understanding:
    text = request_text(subject, body)
    language = request_language(text)
    match = match_reports(text, catalogue)
    report_language = match.reports[0].language if match.reports else "en"
    formats, notes, cannot = _formats(text)
    requests = _with_options(text, formats, report_language)
    per_report = _per_report(text, match, language)
    return Understanding(
        reports=match.reports,
        formats=tuple(requests),
        notes=tuple(notes),
        cannot_make=tuple(cannot),
        newest_of_series=match.newest_of_series,
        candidates=match.candidates,
        language=language,
        per_report=per_report,
    )


# Where one report's part of a request ends and the next one's begins: the last of these
# between two reports' names ("the large print of the 2024 review | and the audio of ...").
REPORT_BOUNDARY = {
    "en": r"[,;.!?\n]|\band\b|\bplus\b|\bthen\b|\balso\b",
    "cy": r"[,;.!?\n]|\ba(?:c|'r)?\b|\bhefyd\b|\band\b",
}


def _per_report(
    text: str, match: ReportMatch, language: str
) -> tuple[tuple[str, tuple[FormatRequest, ...]], ...]:
    """Formats of each report when each report's own part of the text asks for its own.

    The text is cut between consecutive report names at the last boundary between them; the
    first part runs from the start, the last to the end. Only when every part asks for a
    format, and not all the same, do the reports get different formats; otherwise every
    report gets every format (as "the impact report and the 2024 review in braille" means)."""
    if len({slug for slug, _, _ in match.mentions}) < 2 or len(match.reports) < 2:
        return ()
    starts = [token.start() for token in re.finditer(r"\w+", text)]
    ends = [token.end() for token in re.finditer(r"\w+", text)]
    mentions = sorted(match.mentions, key=lambda m: m[1])
    if any(end > len(starts) for _, _, end in mentions):
        return ()  # a name found only in its English form of Welsh words: no place
    cuts = [0]
    for before, after in itertools.pairwise(mentions):
        between = text[ends[before[2] - 1] : starts[after[1]]]
        boundaries = list(re.finditer(REPORT_BOUNDARY.get(language, REPORT_BOUNDARY["en"]), between))
        if not boundaries:
            return ()
        cuts.append(ends[before[2] - 1] + boundaries[-1].start())
    cuts.append(len(text))
    entries = {entry.slug: entry for entry in match.reports}
    chosen: dict[str, list[str]] = {}
    for (slug, _, _), start, end in zip(mentions, cuts, cuts[1:]):
        formats, _, _ = _formats(text[start:end])
        if not formats:
            return ()
        chosen.setdefault(slug, [])
        chosen[slug] += [f for f in formats if f not in chosen[slug]]
    if len({tuple(formats) for formats in chosen.values()}) < 2:
        return ()
    segments = {
        slug: " ".join(
            text[start:end] for (s, _, _), start, end in zip(mentions, cuts, cuts[1:]) if s == slug
        )
        for slug in chosen
    }
    return tuple(
        (slug, tuple(_with_options(segments[slug], formats, entries[slug].language)))
        for slug, formats in chosen.items()
        if slug in entries
    )


def request_text(subject: str, body: str) -> str:
    subject = re.sub(r"^(?:\s*(?:re|fwd?|aw|sv|ateb|ymlaen)\s*:\s*)+", "", subject, flags=re.IGNORECASE)
    text = f"{subject}\n{body}".lower()
    return text.replace("\u2019", "'").replace("\u2018", "'").replace("\u00a0", " ")


def request_language(text: str) -> str:
    """ "cy" for a request written in Welsh, else "en" (the reply is written in it)."""
    tokens = re.findall(r"[\w'îâêôûŵŷ]+", text)
    welsh = sum(token in WELSH_MARKERS for token in tokens)
    english = sum(token in ENGLISH_MARKERS for token in tokens)
    return "cy" if welsh and welsh > english else "en"


def clauses(text: str) -> list[tuple[int, str]]:
    """(offset, clause) pieces of the text: a negation reaches only to the end of its clause."""
    pieces, start = [], 0
    for brk in CLAUSE_BREAK.finditer(text):
        pieces.append((start, text[start : brk.start()]))
        start = brk.end()
    pieces.append((start, text[start:]))
    return pieces


def _mentions(pattern: str, text: str) -> list[tuple[int, bool]]:
    """(position, wanted) for each match: wanted is False when negated in its clause."""
    found = []
    for offset, clause in clauses(text):
        for match in re.finditer(pattern, clause):
            before = clause[: match.start()]
            before_clean = NOT_A_NEGATION.sub(" ", before)
            negated = bool(
                NEGATION_BEFORE.search(before_clean)
                or PREFERENCE_THAN.search(before_clean)
                or DIFFICULTY_BEFORE.search(before_clean)
                or DIFFICULTY_AFTER.search(clause[match.end() :])
            )
            found.append((offset + match.start(), not negated))
    return found


def _wanted(pattern: str, text: str) -> list[int]:
    return [position for position, wanted in _mentions(pattern, text) if wanted]


def _formats(text: str) -> tuple[list[str], list[str], list[CannotMake]]:
    wanted: list[tuple[int, str]] = []
    for pattern, stage in FORMAT_WORDS:
        positions = _wanted(pattern, text)
        if positions:
            wanted.append((positions[0], stage))
    cannot = [
        CannotMake(asked=name, nearest=nearest, why=why)
        for pattern, name, nearest, why in CANNOT_MAKE
        if _wanted(pattern, text)
    ]
    # Options that only make sense for one format imply it ("24 point please" -> large print;
    # "not contracted" -> braille).
    stages_so_far = {stage for _, stage in wanted}
    if not stages_so_far & set(PRINT_FORMATS):
        positions = [p for pattern in SIZE_PATTERNS for p in _wanted(pattern, text)]
        positions += _wanted(PAPER_COLOUR, text) + _wanted(HIGH_CONTRAST, text)
        if positions:
            wanted.append((min(positions), "large-print"))
    if "braille" not in stages_so_far:
        positions = _wanted(BRAILLE_GRADE_1, text) + _wanted(BRAILLE_CODE_PATTERN, text)
        positions += _wanted(COMPUTER_BRAILLE, text)
        if braille_grade(text) == 1:  # "no contractions" asks for braille too
            positions += [p for p, wanted in _mentions(BRAILLE_GRADE_2, text) if not wanted]
        if positions:
            wanted.append((min(positions), "braille"))
    if not wanted and not cannot:
        for pattern, stage in NEED_WORDS:  # a need chooses only when nothing was asked
            positions = [p for p, _ in _mentions(pattern, text)]
            if positions:
                wanted.append((positions[0], stage))
    ordered: list[str] = []
    for _, stage in sorted(wanted):
        if stage not in ordered:
            ordered.append(stage)
    notes = [note for pattern, stage, note in FORMAT_NOTES if stage in ordered and _wanted(pattern, text)]
    return ordered, notes, cannot


def _first_int(patterns: list[str], text: str, low: int, high: int) -> str | None:
    for pattern in patterns:
        for _offset, clause in clauses(text):
            for match in re.finditer(pattern, clause):
                value = next(group for group in match.groups() if group)
                if low <= int(value) <= high:
                    return value
    return None


def _with_options(text: str, formats: list[str], report_language: str) -> list[FormatRequest]:
    requests = []
    # Print options go to large print when asked for, else to Word.
    print_target = next((f for f in PRINT_FORMATS if f in formats), None)
    for stage in formats:
        options: dict[str, str] = {}
        tracks = False
        if stage == print_target:
            options.update(_print_options(text))
        elif stage == "braille":
            options.update(_braille_options(text, report_language))
        elif stage in ("audio", "daisy"):
            options.update(_speech_options(text))
            tracks = stage == "audio" and bool(_wanted(AUDIO_TRACKS, text))
        requests.append(FormatRequest(stage, tuple(sorted(options.items())), tracks))
    return requests


def _print_options(text: str) -> dict[str, str]:
    options: dict[str, str] = {}
    size = _first_int(SIZE_PATTERNS, text, SMALLEST_SIZE, LARGEST_SIZE)
    if size:
        options["font_size"] = size
    colour = re.search(PAPER_COLOUR, text)
    if colour and _wanted(PAPER_COLOUR, text):
        options["paper_colour"] = colour.group(1).replace("gray", "grey")
    if _wanted(HIGH_CONTRAST, text):
        options["high_contrast"] = "true"
    font = re.search(FONT_PATTERN, text)
    if font:
        name = font.group(1)
        options["font_family"] = FONT_FAMILIES["sans serif" if "sans" in name else name]
    for pattern, spacing in LINE_SPACING:
        if _wanted(pattern, text):
            options["line_spacing"] = spacing
            break
    return options


def braille_grade(text: str) -> int | None:
    """1 or 2 when the text asks for a grade, else None. Grade 1: asked outright, or
    contraction refused ("not contracted", "no contractions", "not the shortened kind")."""
    grade_1 = [p for p in _wanted(BRAILLE_GRADE_1, text)]
    grade_2 = _mentions(BRAILLE_GRADE_2, text)
    # "uncontracted" also matches "contracted" inside "un-contracted": those are grade 1.
    grade_2 = [(p, w) for p, w in grade_2 if not any(abs(p - q) <= 3 for q in grade_1)]
    refused_2 = [p for p, wanted in grade_2 if not wanted]
    wanted_2 = [p for p, wanted in grade_2 if wanted]
    signals_1 = sorted(grade_1 + refused_2)
    if signals_1 and (not wanted_2 or signals_1[0] < wanted_2[0]):
        return 1
    if wanted_2:
        return 2
    return None


def _braille_options(text: str, report_language: str) -> dict[str, str]:
    """The braille stage's options a request names: the code (`table`: a grade of the report's
    language or of a named language, or 8-dot computer braille), the page size (`cells`,
    `lines`), `sheets_per_volume` and `interpoint`."""
    grade = braille_grade(text)
    code = re.search(BRAILLE_CODE_PATTERN, text)
    options: dict[str, str] = {}
    if _wanted(COMPUTER_BRAILLE, text):
        options["table"] = COMPUTER_TABLE  # computer braille has no grades
    elif grade or code:
        language = (
            next((g for g in code.groups() if g), "english")
            if code
            else LANGUAGE_CODES.get(report_language.split("-")[0].lower(), "english")
        )
        options["table"] = BRAILLE_CODES[language][0 if grade == 1 else 1]
    page = _page_size(text)
    cells = page[0] if page else _first_int([BRAILLE_CELLS], text, 20, 50)
    lines = page[1] if page else _first_int([BRAILLE_LINES], text, 15, 40)
    if cells:
        options["cells"] = cells
    if lines:
        options["lines"] = lines
    sheets = _first_int(SHEETS_PER_VOLUME, text, *SHEETS_RANGE)
    if sheets:
        options["sheets_per_volume"] = sheets
    double, single = _mentions(INTERPOINT, text), _wanted(SINGLE_SIDED, text)
    if any(wanted for _, wanted in double) and not single:
        options["interpoint"] = "yes"
    elif single or double:  # "one side", or "not interpoint"
        options["interpoint"] = "no"
    return options


def _page_size(text: str) -> tuple[str, str] | None:
    """(cells, lines) from "28 by 25": cells per line first, as transcribers write it."""
    for match in re.finditer(BRAILLE_PAGE, text):
        cells, lines = match.groups()
        if 20 <= int(cells) <= 50 and 10 <= int(lines) <= 40:
            return cells, lines
    return None


def _speech_options(text: str) -> dict[str, str]:
    slower, faster = _wanted(SPEECH_SLOWER, text), _wanted(SPEECH_FASTER, text)
    if slower and not faster:
        return {"rate": SPEECH_RATE["slower"]}
    if faster and not slower:
        return {"rate": SPEECH_RATE["faster"]}
    return {}


# ------------------------------------------------------------------ reports
# How strongly each kind of name identifies a report. A title beats an alias: an alias such as
# "annual review" is often shared by a whole shelf of reports.
TITLE, SHORT_TITLE, ALIAS = 100.0, 96.0, 80.0
WITHOUT_YEAR = 1.0  # "annual review" for "Annual Review 2025": as good, barely weaker
YEAR_NAMED = 3.0  # the text names this report's year
OTHER_YEAR = 25.0  # a year beside the name ("annual review 2024"), not this report's
OTHER_YEAR_ELSEWHERE = 10.0  # a year elsewhere in the text ("the one from 2024"), not its
YEAR_REACH = 2  # words either side of a name where a year belongs to it
FUZZY_RATIO = 85.0  # a near miss ("anual reveiw") counts from this rapidfuzz ratio
FUZZY_COST = 6.0
TIE = 0.5


@dataclass(frozen=True)
class NameMatch:
    entry: CatalogueEntry
    score: float
    span: tuple[int, int]  # token positions in the normalised text
    key: str  # the name as matched, without a year: a series' shared name


@dataclass(frozen=True)
class ReportMatch:
    reports: tuple[CatalogueEntry, ...]
    candidates: tuple[CatalogueEntry, ...] = ()  # several equally likely: ask
    newest_of_series: str = ""
    mentions: tuple[tuple[str, int, int], ...] = ()  # (slug, first token, end token) per name


def normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", text.lower()).split())


def _strip_article(name: str) -> str:
    return re.sub(r"^(?:the|a|an|yr|y)\s+", "", name)


def match_reports(text: str, catalogue: Catalogue) -> ReportMatch:
    """Reports the text names, ranked; equally likely ones for the same words come back as
    candidates (a question), and no year named means the newest of a series."""
    words = normalise(text)
    for welsh, english in WELSH_REPORT_WORDS.items():
        if welsh in words:
            words += f" {english}"
    years = {int(year) for year in YEAR.findall(words)}
    matches = [m for m in (_best_match(entry, words, years) for entry in catalogue.entries) if m]
    matches += _year_references(words, catalogue)
    if not matches:
        return _unnamed_report(text, catalogue)
    # Matches for overlapping words compete; matches for different words are different reports.
    groups: list[list[NameMatch]] = []
    for match in sorted(matches, key=lambda m: -m.score):
        group = next((g for g in groups if any(_overlap(match.span, other.span) for other in g)), None)
        if group is None:
            groups.append([match])
        else:
            group.append(match)
    chosen: list[CatalogueEntry] = []
    candidates: list[CatalogueEntry] = []
    mentions: list[tuple[str, int, int]] = []
    newest = ""
    for group in sorted(groups, key=lambda g: min(m.span for m in g)):
        best = max(m.score for m in group)
        leaders = [m for m in group if m.score >= best - TIE]
        if len(leaders) > 1 and _one_series(leaders) and not years:
            latest = max(leaders, key=lambda m: m.entry.recency)
            leaders, newest = [latest], latest.entry.title
        if len(leaders) > 1 and not BOTH.search(text):
            candidates.extend(m.entry for m in leaders)
            continue
        chosen.extend(m.entry for m in sorted(leaders, key=lambda m: m.entry.recency, reverse=True))
        if len(leaders) == 1:
            start = min(m.span[0] for m in group)
            end = max(m.span[1] for m in group)
            mentions.append((leaders[0].entry.slug, start, end))
    unique = tuple(dict.fromkeys(chosen))
    if candidates:
        return ReportMatch((), tuple(dict.fromkeys(candidates)))
    return ReportMatch(unique, (), newest, tuple(mentions))


# A year with a kind of report: "the 2024 review", "the 2025 one", "adolygiad 2025", "the
# report from 2024". "One" means the kind named last before it ("the 2024 review and the
# 2025 one"). Kinds match a report by its names in English or Welsh.
YEAR_REFERENCE = re.compile(
    r"\b(?:(20\d\d)\s+(?:s\s+)?(review|report|one|adolygiad|adroddiad)"
    r"|(review|report|one|adolygiad|adroddiad)\s+(?:from\s+|of\s+|for\s+"
    r"|o\s+|in\s+)?(20\d\d))\b"
)
REPORT_KINDS = {
    "review": ("review", "adolygiad"),
    "adolygiad": ("review", "adolygiad"),
    "report": ("report", "adroddiad"),
    "adroddiad": ("report", "adroddiad"),
}
YEAR_AND_KIND = 90.0  # below a title, above an alias: the year names it exactly


def _year_references(words: str, catalogue: Catalogue) -> list[NameMatch]:
    found: list[NameMatch] = []
    for match in YEAR_REFERENCE.finditer(words):
        year = int(match.group(1) or match.group(4))
        kind = match.group(2) or match.group(3)
        if kind == "one":
            before = re.findall(r"\b(review|report|adolygiad|adroddiad)\b", words[: match.start()])
            kind = before[-1] if before else ""
        names = REPORT_KINDS.get(kind, ())
        start = words[: match.start()].count(" ")
        span = (start, start + match.group(0).count(" ") + 1)
        for entry in catalogue.entries:
            every_name = " ".join(
                normalise(n) for n in (*entry.title_names, *entry.aliases, entry.subtitle or "")
            )
            if entry.year == year and (not names or any(re.search(rf"\b{n}\b", every_name) for n in names)):
                found.append(NameMatch(entry, YEAR_AND_KIND, span, f"{kind} {year}"))
    return found


def _unnamed_report(text: str, catalogue: Catalogue) -> ReportMatch:
    entries = catalogue.entries
    if not entries or not GENERIC_REPORT.search(text):
        return ReportMatch(())
    if len(entries) == 1:
        return ReportMatch(entries)
    if LATEST.search(text):
        newest = max(entries, key=lambda entry: entry.recency)
        return ReportMatch((newest,), (), newest.title)
    if len(entries) <= MAX_TO_LIST:
        return ReportMatch((), tuple(sorted(entries, key=lambda e: e.recency, reverse=True)))
    return ReportMatch(())


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _one_series(leaders: list[NameMatch]) -> bool:
    """Same name but for the year, and each a different year: one report per year."""
    years = [m.entry.year for m in leaders]
    return len({m.key for m in leaders}) == 1 and None not in years and len(set(years)) == len(years)


def _best_match(entry: CatalogueEntry, words: str, years: set[int]) -> NameMatch | None:
    tokens = words.split()
    named = [(name, TITLE if index == 0 else SHORT_TITLE) for index, name in enumerate(entry.title_names)]
    named += [(alias, ALIAS) for alias in entry.aliases]
    best: NameMatch | None = None
    for name, strength in named:
        full = _strip_article(normalise(name))
        without_year = " ".join(YEAR.sub(" ", full).split())
        variants = [(full, 0.0)]
        # "2023 report" without its year is just "report": too little to name a report by.
        if without_year != full and len(without_year.split()) >= 2:
            variants.append((without_year, WITHOUT_YEAR))
        for candidate, cost in variants:
            if len(candidate) < 3:
                continue
            found = _find(candidate, tokens)
            if found is None:
                continue
            span, ratio = found
            score = strength - cost
            if ratio < 100:
                score = score * ratio / 100 - FUZZY_COST
            if years and entry.year is not None:
                score += _year_weight(entry.year, span, tokens)
            if best is None or score > best.score:
                best = NameMatch(entry, score, span, without_year or full)
    return best


def _year_weight(year: int, span: tuple[int, int], tokens: list[str]) -> float:
    """The text names years: this report's year counts for it; another year counts against it,
    most when it stands beside the name (then it is surely the year meant for this name)."""
    nearby = tokens[max(0, span[0] - YEAR_REACH) : span[1] + YEAR_REACH]
    beside = {int(t) for t in nearby if YEAR.fullmatch(t)}
    anywhere = {int(t) for t in tokens if YEAR.fullmatch(t)}
    if year in beside or (not beside and year in anywhere):
        return YEAR_NAMED
    return -OTHER_YEAR if beside else -OTHER_YEAR_ELSEWHERE


def _find(name: str, tokens: list[str]) -> tuple[tuple[int, int], float] | None:
    """Where the name stands in the tokens: exactly (ratio 100), else the best near miss of
    at least FUZZY_RATIO for names long enough to misspell (8 letters)."""
    parts = name.split()
    width = len(parts)
    for start in range(len(tokens) - width + 1):
        if tokens[start : start + width] == parts:
            return (start, start + width), 100.0
    if len(name) < 8:
        return None
    best: tuple[tuple[int, int], float] | None = None
    for size in {max(1, width - 1), width, width + 1}:
        for start in range(0, max(1, len(tokens) - size + 1)):
            window = " ".join(tokens[start : start + size])
            ratio = fuzz.ratio(name, window)
            if ratio >= FUZZY_RATIO and (best is None or ratio > best[1]):
                best = ((start, start + size), ratio)
    return best
