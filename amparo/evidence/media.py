"""Recognise uploaded files by their bytes and strip identifying metadata from images.

Photos from phones carry GPS coordinates and device serials in EXIF/XMP; one such photo
can lead the police to a person's home. Images are re-encoded from their pixels only.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

# Magic numbers of the types we accept: photos, PDFs, audio.
_SIGNATURES: list[tuple[bytes, int, str]] = [
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"%PDF-", 0, "application/pdf"),
    (b"ID3", 0, "audio/mpeg"),
    (b"OggS", 0, "audio/ogg"),
]

IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}
ALLOWED_TYPES = IMAGE_TYPES | {"application/pdf", "audio/mpeg", "audio/ogg", "audio/mp4", "audio/wav", "audio/webm", "audio/amr"}


class UnsupportedFile(ValueError):
    pass


def sniff(data: bytes) -> str | None:
    for magic, offset, ctype in _SIGNATURES:
        if data[offset : offset + len(magic)] == magic:
            return ctype
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "audio/wav"
    if data[4:8] == b"ftyp":
        return "audio/mp4"
    if data[:4] == b"\x1aE\xdf\xa3":
        return "audio/webm"
    if data[:6] == b"#!AMR\n":
        return "audio/amr"
    if len(data) > 1 and data[0] == 0xFF and (data[1] & 0xE0) == 0xE0:
        return "audio/mpeg"
    return None


@dataclass
class Cleaned:
    data: bytes
    content_type: str
    metadata_stripped: bool


def strip_metadata(data: bytes, content_type: str) -> Cleaned:
    """Return the file without metadata. Images are re-encoded from pixels only."""
    if content_type not in IMAGE_TYPES:
        return Cleaned(data, content_type, False)
    try:
        with Image.open(io.BytesIO(data)) as opened:
            opened.load()
            # Apply the EXIF rotation to the pixels before the EXIF block is dropped.
            img: Image.Image = ImageOps.exif_transpose(opened)
            fmt = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF", "image/webp": "WEBP"}[content_type]
            if fmt == "JPEG" and img.mode not in ("RGB", "L"):
                img = img.convert("RGB")
            # A new image holds only pixels (and a palette): no EXIF, XMP, ICC or text chunks.
            clean = Image.new(img.mode, img.size)
            clean.paste(img)
            palette = img.getpalette() if img.mode == "P" else None
            if palette:
                clean.putpalette(palette)
            out = io.BytesIO()
            params = {"quality": 90} if fmt == "JPEG" else {}
            clean.save(out, format=fmt, **params)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise UnsupportedFile(str(exc))
    return Cleaned(out.getvalue(), content_type, True)
