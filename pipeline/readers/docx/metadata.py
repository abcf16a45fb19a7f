"""Metadata from three places, in this order of precedence:

1. the sidecar `<slug>.yaml` beside the .docx (read by readers/front_matter.py, exactly as the
   Markdown front matter: same fields, same checks);
2. what the document shows: the Title, Subtitle, Author, Date and Abstract paragraph styles;
3. File > Info > Properties (core properties: title, subject, author, keywords, comments, language).

The sidecar wins because staff write it on purpose for this pipeline, while core properties are
often left over from a template ("Microsoft Office User", an old title) and are invisible when
reading the document. What the document shows beats the hidden properties for the same reason.

Language: sidecar `language`, else core properties language, else the document's default run
language (styles.xml w:docDefaults w:lang, what Word's spelling checker uses), else en-GB.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import langcodes

from ...document import Metadata
from ...errors import Problem
from ..front_matter import DEFAULT_LANGUAGE, SIDECAR, FrontMatter, read_front_matter

_DATE_FORMATS = ("%Y-%m-%d", "%d %B %Y", "%B %d, %Y", "%B %d %Y", "%d/%m/%Y", "%Y")


def sidecar_path(docx_path: Path) -> Path:
    return docx_path.with_suffix(".yaml")


def read_sidecar(docx_path: Path) -> tuple[FrontMatter, list[Problem]]:
    """The sidecar's fields, read by the same front-matter reader as a Markdown report's (same
    fields, same checks), and its problems; no sidecar is no problem."""
    path = sidecar_path(docx_path)
    if not path.is_file():
        return FrontMatter(), []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return FrontMatter(), [
            Problem(path, None, f"the metadata file cannot be read ({error})", "save it as UTF-8 text")
        ]
    problems: list[Problem] = []
    fields = read_front_matter(path, text, 0, problems, wording=SIDECAR, title_required=False)
    return fields, problems


def _as_list(value) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return tuple(part.strip() for part in str(value).replace(";", ",").split(",") if part.strip())


def iso_date(text: str) -> str:
    """'July 28, 2014' -> '2014-07-28'; text already ISO, or not a date we know, is kept."""
    text = text.strip()
    for fmt in _DATE_FORMATS:
        try:
            parsed = dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        return str(parsed.year) if fmt == "%Y" else parsed.date().isoformat()
    return text


def normalise_language(tag: str | None) -> str | None:
    if not tag or not str(tag).strip():
        return None
    try:
        return langcodes.standardize_tag(str(tag).strip())
    except (ValueError, langcodes.tag_parser.LanguageTagError):
        return None


def build_metadata(
    core, shown: dict[str, list[str]], sidecar: FrontMatter, default_run_lang: str | None
) -> Metadata:
    """core: python-docx CoreProperties; shown: texts of Title/Subtitle/Author/Date/Abstract."""

    def pick(value: str | None, *fallbacks: str) -> str:
        for candidate in (value, *fallbacks):
            if candidate is not None and str(candidate).strip():
                return str(candidate).strip()
        return ""

    authors = sidecar.authors or tuple(shown.get("author", ())) or _as_list(core.author)
    language = (
        normalise_language(sidecar.language)
        or normalise_language(core.language)
        or normalise_language(default_run_lang)
        or DEFAULT_LANGUAGE
    )
    return Metadata(
        title=pick(sidecar.title, " ".join(shown.get("title", ())), core.title or ""),
        subtitle=pick(sidecar.subtitle, " ".join(shown.get("subtitle", ())), core.subject or ""),
        authors=authors,
        publisher=pick(sidecar.publisher),
        date=sidecar.date or iso_date(" ".join(shown.get("date", ()))),
        language=language,
        description=pick(sidecar.description, " ".join(shown.get("abstract", ())), core.comments or ""),
        contact=pick(sidecar.contact),
        version=pick(sidecar.version, core.version or ""),
        aliases=sidecar.aliases,
        keywords=sidecar.keywords or _as_list(core.keywords),
        pronunciations=sidecar.pronunciations,
        identifier=pick(sidecar.identifier, core.identifier or ""),
        short_title=pick(sidecar.short_title),
    )
