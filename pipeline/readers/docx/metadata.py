"""Metadata from three places, in this order of precedence:

1. the sidecar `<slug>.yaml` beside the .docx (same keys as the Markdown front matter);
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
from dataclasses import fields
from pathlib import Path

import langcodes
import yaml

from ...document import Metadata
from ...errors import Problem

DEFAULT_LANGUAGE = "en-GB"
_LIST_KEYS = {"authors", "aliases", "keywords"}
_KNOWN_KEYS = {f.name for f in fields(Metadata)} | {"author", "lang"}
_DATE_FORMATS = ("%Y-%m-%d", "%d %B %Y", "%B %d, %Y", "%B %d %Y", "%d/%m/%Y", "%Y")


def sidecar_path(docx_path: Path) -> Path:
    return docx_path.with_suffix(".yaml")


def read_sidecar(docx_path: Path) -> tuple[dict, list[Problem]]:
    path = sidecar_path(docx_path)
    if not path.is_file():
        return {}, []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        return {}, [Problem(path, mark.line + 1 if mark else None,
                            f"the metadata file is not valid YAML ({getattr(error, 'problem', error)})",
                            "fix the line shown: each line is 'key: value'")]
    except (OSError, UnicodeDecodeError) as error:
        return {}, [Problem(path, None, f"the metadata file cannot be read ({error})",
                            "save it as UTF-8 text")]
    if not isinstance(data, dict):
        return {}, [Problem(path, 1, "the metadata file is not a list of 'key: value' lines",
                            "write one 'key: value' per line, e.g. 'contact: formats@example.org'")]
    problems = [Problem(path, None, f"unknown metadata key '{key}'",
                        f"use only: {', '.join(sorted(_KNOWN_KEYS))}")
                for key in data if key not in _KNOWN_KEYS]
    return {key: value for key, value in data.items() if key in _KNOWN_KEYS}, problems


def _as_list(value) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return tuple(part.strip() for part in str(value).replace(";", ",").split(",") if part.strip())


def _as_pronunciations(value) -> tuple[tuple[str, str], ...]:
    if isinstance(value, dict):
        return tuple((str(k), str(v)) for k, v in value.items())
    if isinstance(value, list):
        pairs = []
        for entry in value:
            if isinstance(entry, dict):
                pairs.extend((str(k), str(v)) for k, v in entry.items())
        return tuple(pairs)
    return ()


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


def build_metadata(core, shown: dict[str, list[str]], sidecar: dict,
                   default_run_lang: str | None) -> Metadata:
    """core: python-docx CoreProperties; shown: texts of Title/Subtitle/Author/Date/Abstract."""
    def pick(key: str, *fallbacks: str) -> str:
        for value in (sidecar.get(key), *fallbacks):
            if value is not None and str(value).strip():
                return str(value).strip()
        return ""

    date = sidecar.get("date")
    if isinstance(date, (dt.date, dt.datetime)):
        date = date.isoformat()[:10]
    authors = _as_list(sidecar.get("authors") or sidecar.get("author")) or \
        tuple(shown.get("author", ())) or _as_list(core.author)
    language = (normalise_language(sidecar.get("language") or sidecar.get("lang"))
                or normalise_language(core.language)
                or normalise_language(default_run_lang) or DEFAULT_LANGUAGE)
    return Metadata(
        title=pick("title", " ".join(shown.get("title", ())), core.title or ""),
        subtitle=pick("subtitle", " ".join(shown.get("subtitle", ())), core.subject or ""),
        authors=authors,
        publisher=pick("publisher"),
        date=iso_date(pick("date", " ".join(shown.get("date", ())))) if date is None
        else str(date),
        language=language,
        description=pick("description", " ".join(shown.get("abstract", ())),
                         core.comments or ""),
        contact=pick("contact"),
        version=pick("version", core.version or ""),
        aliases=_as_list(sidecar.get("aliases")),
        keywords=_as_list(sidecar.get("keywords")) or _as_list(core.keywords),
        pronunciations=_as_pronunciations(sidecar.get("pronunciations")),
        identifier=pick("identifier", core.identifier or ""),
    )
