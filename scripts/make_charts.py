"""Draw the images of the sample report (sources/impact-report-2023/) with Pillow.

Run: .venv/bin/python scripts/make_charts.py   (writes the PNGs beside the report)

The charts are drawn, not plotted with a charting library, to keep the project's dependencies
small. They follow accessible-chart habits: every bar carries its number as text (colour is never
the only cue), dark bars on white (contrast well above 3:1), large type, no gridline clutter.
The numbers here must match the report's text and alt text; the reader tests check both.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

REPORT_FOLDER = Path(__file__).resolve().parent.parent / "sources" / "impact-report-2023"
FONT_FOLDER = Path("/usr/share/fonts/truetype/liberation")
INK = (20, 20, 20)
BAR = (23, 62, 122)  # dark blue: 10.9:1 against white
ACCENT = (166, 77, 0)  # burnt orange: 4.9:1 against white
WHITE = (255, 255, 255)

PEOPLE_REACHED = (
    ("Talks", 1482),
    ("Training sessions", 502),
    ("Co-creation sessions", 397),
    ("Cuppa meet-ups", 298),
)
FUNDING_WON = (("Research teams", 1_179_818.54), ("Kettle & Compass", 86_078.27))


def font(size: int, bold: bool = False) -> ImageFont.ImageFont:
    name = "LiberationSans-Bold.ttf" if bold else "LiberationSans-Regular.ttf"
    try:
        return ImageFont.truetype(str(FONT_FOLDER / name), size)
    except OSError:  # no Liberation fonts: Pillow's own scalable font still works
        return ImageFont.load_default(size=size)


def horizontal_bar_chart(
    title: str, rows: tuple[tuple[str, float], ...], label_of, colours: tuple[tuple[int, int, int], ...]
) -> Image.Image:
    width, row_height, top, left, right = 1400, 110, 130, 420, 360
    image = Image.new("RGB", (width, top + row_height * len(rows) + 50), WHITE)
    draw = ImageDraw.Draw(image)
    draw.text((40, 40), title, font=font(44, bold=True), fill=INK)
    largest = max(value for _, value in rows)
    for index, (name, value) in enumerate(rows):
        y = top + index * row_height
        bar_length = max(4, round((width - left - right) * value / largest))
        colour = colours[index % len(colours)]
        draw.text((left - 24, y + 40), name, font=font(36), fill=INK, anchor="rm")
        draw.rectangle((left, y + 10, left + bar_length, y + 70), fill=colour)
        draw.text(
            (left + bar_length + 20, y + 40), label_of(value), font=font(36, bold=True), fill=INK, anchor="lm"
        )
    draw.line((left, top, left, top + row_height * len(rows) - 20), fill=INK, width=3)
    return image


def decorative_divider() -> Image.Image:
    """A row of steaming cups: pure ornament, marked {.decorative} in the report."""
    width, height = 1400, 90
    image = Image.new("RGB", (width, height), WHITE)
    draw = ImageDraw.Draw(image)
    for index, x in enumerate(range(60, width - 40, 140)):
        colour = BAR if index % 2 == 0 else ACCENT
        draw.rounded_rectangle((x, 40, x + 50, 80), radius=10, fill=colour)  # the cup
        draw.arc((x + 40, 48, x + 66, 72), start=270, end=90, fill=colour, width=6)  # handle
        for steam in (x + 14, x + 32):
            draw.arc((steam - 6, 8, steam + 6, 36), start=90, end=270, fill=colour, width=3)
    return image


def main() -> list[Path]:
    REPORT_FOLDER.mkdir(parents=True, exist_ok=True)
    drawings = {
        "people-reached.png": horizontal_bar_chart(
            "People reached in 2023, by kind of activity",
            PEOPLE_REACHED,
            lambda value: f"{value:,.0f} people",
            (BAR,),
        ),
        "funding-won.png": horizontal_bar_chart(
            "Money won through five research bids in 2023",
            FUNDING_WON,
            lambda value: f"£{value:,.2f}",
            (BAR, ACCENT),
        ),
        "cups-divider.png": decorative_divider(),
    }
    written = []
    for name, image in drawings.items():
        target = REPORT_FOLDER / name
        image.save(target, optimize=True)
        written.append(target)
    return written


WELSH_REPORT_FOLDER = REPORT_FOLDER.parent / "cydgynhyrchu-yn-gymraeg"
PEOPLE_BY_PLACE = (("Bangor", 52), ("Aberystwyth", 41), ("Caerfyrddin", 38), ("Ar-lein", 29))


def welsh_sample() -> list[Path]:
    """The images of the Welsh sample report, with Welsh words on the chart."""
    WELSH_REPORT_FOLDER.mkdir(parents=True, exist_ok=True)
    drawings = {
        "pobl-fesul-lle.png": horizontal_bar_chart(
            "Pobl a ddaeth i'r hyfforddiant, fesul lle",
            PEOPLE_BY_PLACE,
            lambda value: f"{value:,.0f} o bobl",
            (BAR,),
        ),
        "cwpanau.png": decorative_divider(),
    }
    written = []
    for name, image in drawings.items():
        target = WELSH_REPORT_FOLDER / name
        image.save(target, optimize=True)
        written.append(target)
    return written


if __name__ == "__main__":
    for path in main() + welsh_sample():
        print(path)
