"""Every limit the pipeline puts on a source, in one place (listed in the README).

Each one exists so a careless or hostile source is refused early with a clear message naming the
file, instead of filling memory or time on a shared machine. They are generous for real reports:
a 300-page annual report is about 1 MB of Markdown and a few thousand pixels per picture side.
"""

from __future__ import annotations

# The largest source file read (Markdown text or a whole .docx). A 100,000-word book is about
# 0.7 MB of Markdown; 20 MB is thirty such books in one file.
MAX_SOURCE_BYTES = 20 * 1024 * 1024

# How deeply lists and quotes may nest (a list in a quote in a list... counts each level).
# markdown-it stops reading at its own nesting limit and silently skips the rest of the file;
# the reader sets the parser's limit well above this one and reports anything deeper, with its
# line, so nothing is ever dropped unseen. Word's own list levels stop at 9.
MAX_NESTING_DEPTH = 12

# Pixels in one picture (width x height), checked from the file's header before any decoding:
# a 12000 x 12000 PNG can be 32 KB on disk and 576 MB once decoded. 40 megapixels is a large
# camera photograph.
MAX_IMAGE_PIXELS = 40_000_000

# Table columns on one page. Up to this many a table is laid out on the page (wide ones turn the
# page to landscape where the format has pages); more cannot be read in any format, so the
# source gets a problem asking for the table to be split.
MAX_TABLE_COLUMNS = 24


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB"


# What may become a link in any format: the web, email, telephone, and places in the document.
# Anything else (javascript:, data:, vbscript:, file:, a private app's scheme) is a source
# problem naming the link: it would run code, open a local file, or go nowhere for the reader.
LINK_SCHEMES = ("http", "https", "mailto", "tel")


def link_is_allowed(url: str) -> bool:
    """http(s), mailto and tel links and in-document #targets; nothing else, however spelt
    (browsers ignore case, tabs, newlines and leading control characters in a scheme)."""
    cleaned = "".join(ch for ch in url if ch > " " and ch != "\x7f").lower()
    if cleaned.startswith("#"):
        return True
    scheme, colon, rest = cleaned.partition(":")
    if not colon or "/" in scheme or "?" in scheme or "#" in scheme:
        return False  # relative links (chapter2.html) lead nowhere once the file is moved
    return scheme in LINK_SCHEMES and bool(rest.strip("/"))
