"""Pictures out of the package into real files the stages can open.

Figure.src must be an absolute path to a real image file, and the sources/ folder belongs to the
staff (the build must never write there). So pictures go to
`<tempfile.gettempdir()>/accessible-formats-docx/<sha256 of the .docx>/<name>`: content-addressed,
so a second read of the same file reuses them, two builds of one file agree byte for byte (the
manifest hashes images), and a changed .docx gets a fresh folder instead of stale pictures.
Files are written to a temporary name and renamed, so readers running at once never see half a file.
"""

from __future__ import annotations

import io
import os
import tempfile
import warnings
from pathlib import Path, PurePosixPath

from PIL import Image, UnidentifiedImageError

from ...limits import MAX_IMAGE_PIXELS

# Formats every stage can embed as they are (PDF, EPUB, Word, HTML); others are converted to PNG.
_KEPT_FORMATS = {"PNG": ".png", "JPEG": ".jpg"}


class PictureUnusable(Exception):
    """The picture's data is not an image the stages can show (e.g. EMF/WMF, damaged)."""


def cache_folder(docx_sha256: str) -> Path:
    return Path(tempfile.gettempdir()) / "accessible-formats-docx" / docx_sha256


class ImageStore:
    def __init__(self, docx_sha256: str):
        self.folder = cache_folder(docx_sha256)
        self._by_partname: dict[str, Path] = {}

    def extract(self, partname: str, blob: bytes) -> Path:
        """The absolute path of the picture stored in part `partname` (extracted once)."""
        if partname in self._by_partname:
            return self._by_partname[partname]
        stem = PurePosixPath(partname).stem
        try:
            with warnings.catch_warnings():  # our lower limit below is the one reported
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                opened = Image.open(io.BytesIO(blob))
            with opened as image:  # the header only, so far
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:  # before any decoding
                    raise PictureUnusable(
                        f"it is {width} x {height} pixels, more than the "
                        f"{MAX_IMAGE_PIXELS // 1_000_000} million a picture may have; make it "
                        f"smaller (Picture Format > Compress Pictures, or resize it)"
                    )
                image_format = image.format
                if image_format in _KEPT_FORMATS:
                    image.verify()
                    data, suffix = blob, _KEPT_FORMATS[image_format]
                else:
                    data, suffix = _as_png(image), ".png"
        except (
            UnidentifiedImageError,
            Image.DecompressionBombError,
            OSError,
            ValueError,
            SyntaxError,
        ) as error:
            raise PictureUnusable(f"{PurePosixPath(partname).suffix or 'unknown'} ({error})") from None
        name = f"{stem}{suffix}"
        if any(path.name == name for path in self._by_partname.values()):
            name = f"{len(self._by_partname)}-{name}"  # same file name in two package folders
        path = self.folder / name
        _write_once(path, data)
        self._by_partname[partname] = path
        return path


def _as_png(image) -> bytes:
    image.load()  # EMF/WMF raise OSError here on non-Windows systems: reported, not crashed
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA")
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False)
    return out.getvalue()


def _write_once(path: Path, data: bytes) -> None:
    if path.is_file() and path.read_bytes() == data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=".part-")
    with os.fdopen(handle, "wb") as temp:
        temp.write(data)
    os.replace(temp_name, path)
