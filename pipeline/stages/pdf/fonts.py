"""Embedded TrueType fonts for the PDF, found by path at run time.

PDF/UA forbids unembedded fonts, and ReportLab never embeds the standard 14 (Helvetica...), so
every face the layout uses is a registered TTF: the chosen sans-serif family for text and
Liberation Mono for code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ...errors import StageFailed

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/liberation2"),
    Path("/usr/share/fonts/truetype/liberation"),
    Path("/usr/share/fonts/truetype/dejavu"),
)


@dataclass(frozen=True)
class FontFamily:
    """ReportLab names of the four faces of a registered family."""

    regular: str
    bold: str
    italic: str
    bold_italic: str


# Family name (the option value) -> file names of regular, bold, italic, bold italic.
SUPPORTED_FAMILIES: dict[str, tuple[str, str, str, str]] = {
    "Liberation Sans": (
        "LiberationSans-Regular.ttf",
        "LiberationSans-Bold.ttf",
        "LiberationSans-Italic.ttf",
        "LiberationSans-BoldItalic.ttf",
    ),
    "DejaVu Sans": (
        "DejaVuSans.ttf",
        "DejaVuSans-Bold.ttf",
        "DejaVuSans-Oblique.ttf",
        "DejaVuSans-BoldOblique.ttf",
    ),
}
MONO_FAMILY = "Liberation Mono"
MONO_FILES = (
    "LiberationMono-Regular.ttf",
    "LiberationMono-Bold.ttf",
    "LiberationMono-Italic.ttf",
    "LiberationMono-BoldItalic.ttf",
)


def _find(file_name: str, family: str) -> Path:
    for folder in FONT_DIRS:
        candidate = folder / file_name
        if candidate.is_file():
            return candidate
    searched = ", ".join(str(d) for d in FONT_DIRS)
    raise StageFailed(
        f"pdf: the font file {file_name} ({family}) was not found in {searched}. "
        f"Install it with `apt-get install fonts-liberation2 fonts-dejavu-core` (make setup does "
        f"this), or choose another font_family."
    )


def register_family(family: str, files: tuple[str, str, str, str]) -> FontFamily:
    """Register the four faces with ReportLab (once per process) and map them as one family."""
    # Imported here, not at the top: a no-op build imports this module but never ReportLab.
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    base = family.replace(" ", "")
    names = FontFamily(base, f"{base}-Bold", f"{base}-Italic", f"{base}-BoldItalic")
    if base not in pdfmetrics.getRegisteredFontNames():
        for name, file_name in zip((names.regular, names.bold, names.italic, names.bold_italic), files):
            pdfmetrics.registerFont(TTFont(name, str(_find(file_name, family))))
        pdfmetrics.registerFontFamily(
            base, normal=names.regular, bold=names.bold, italic=names.italic, boldItalic=names.bold_italic
        )
    return names


def register_fonts(family: str) -> tuple[FontFamily, FontFamily]:
    """(text family, monospace family), registered and ready for Paragraph markup."""
    if family not in SUPPORTED_FAMILIES:
        raise StageFailed(
            f"pdf: font_family '{family}' is not supported; choose one of {', '.join(SUPPORTED_FAMILIES)}"
        )
    return (register_family(family, SUPPORTED_FAMILIES[family]), register_family(MONO_FAMILY, MONO_FILES))
