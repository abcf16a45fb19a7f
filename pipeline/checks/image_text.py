"""How big is the text inside an image, once printed? A cheap estimate, for a warning only.

There is no OCR on this machine, and none is needed to tell that a chart's labels will print
too small: text rows are bands of pixel rows that cross many dark strokes (a bar crosses one),
and the shortest such band is about the height of the smallest line of text, from the tops of
its capitals to the bottoms of its descenders (about 0.93 of the font size in sans-serif
faces). Scaled by the size the image is printed at, that gives the printed font size. It can
be fooled (hatching, a dense icon row); that is why the result is a warning that names the
image and the fix, never an error.
"""

from __future__ import annotations

import io

from PIL import Image

MIN_STROKES = 4  # dark runs a pixel row must cross to count as text
MIN_BAND_PX = 6  # shorter bands are rules, dots or anti-aliasing noise
INK_PER_EM = 0.93  # capital top to descender bottom, as a share of the font size
MAX_PIXELS = 40_000_000  # a bigger image is not decoded for a warning


def text_bands(data: bytes) -> list[int]:
    """Heights in pixels of the bands of rows that look like lines of text, top to bottom."""
    with Image.open(io.BytesIO(data)) as picture:
        if picture.width * picture.height > MAX_PIXELS:
            return []
        grey = picture.convert("L")
    # dark (0) strokes on a light (255) ground; a run of 0x00 after 0xff starts a stroke
    binary = grey.point(lambda value: 0 if value < 128 else 255).tobytes()
    width = grey.width
    bands: list[int] = []
    start = None
    for row in range(grey.height):
        line = b"\xff" + binary[row * width : (row + 1) * width]
        texty = line.count(b"\xff\x00") >= MIN_STROKES
        if texty and start is None:
            start = row
        elif not texty and start is not None:
            bands.append(row - start)
            start = None
    if start is not None:
        bands.append(grey.height - start)
    return [band for band in bands if band >= MIN_BAND_PX]


def smallest_printed_text_pt(data: bytes, printed_width_pt: float) -> float | None:
    """The estimated font size, in points, of the smallest text in the image when it is
    printed printed_width_pt wide; None when nothing in it looks like text."""
    bands = text_bands(data)
    if not bands:
        return None
    with Image.open(io.BytesIO(data)) as picture:
        points_per_pixel = printed_width_pt / picture.width
    return min(bands) * points_per_pixel / INK_PER_EM
