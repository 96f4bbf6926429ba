"""Validating uploaded evidence: size limits, and the type read from the file's first bytes.

What the browser claims (name, content type) is ignored: only magic bytes decide, and only
photos, PDFs and common phone audio formats are accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.utils.translation import gettext_lazy as _

# Types we accept, with the extension stored files get.
ACCEPTED = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "application/pdf": "pdf",
    "audio/mpeg": "mp3",
    "audio/ogg": "ogg",
    "audio/mp4": "m4a",
    "audio/wav": "wav",
    "audio/webm": "webm",
    "audio/amr": "amr",
}

_MP4_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"mp42", b"isom", b"3gp4", b"3gp5", b"3gp6", b"dash"}


def sniff(head: bytes) -> str | None:
    """The content type of a file from its first bytes, or None when it is not one we accept."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head[4:8] == b"ftyp" and head[8:12] in _MP4_AUDIO_BRANDS:
        return "audio/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "audio/webm"
    if head.startswith(b"#!AMR"):
        return "audio/amr"
    return None


class FileRejected(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class _Upload(Protocol):
    @property
    def size(self) -> int | None: ...
    @property
    def name(self) -> str | None: ...

    def seek(self, pos: int) -> int: ...
    def read(self, size: int = -1) -> bytes: ...


@dataclass(frozen=True)
class ValidFile:
    content_type: str
    size: int


def validate_upload(uploaded: _Upload, *, max_bytes: int) -> ValidFile:
    size = uploaded.size or 0
    if size == 0:
        raise FileRejected("empty", str(_("The file is empty.")))
    if size > max_bytes:
        raise FileRejected(
            "too_large",
            str(_("The file is too large: the limit is %(mb)s MB.") % {"mb": max_bytes // (1024 * 1024)}),
        )
    uploaded.seek(0)
    head = uploaded.read(64)
    uploaded.seek(0)
    content_type = sniff(head)
    if content_type is None:
        raise FileRejected(
            "wrong_type", str(_("This type of file is not accepted. Send photos (JPEG, PNG, WebP), PDF or audio."))
        )
    if content_type.startswith("image/"):
        _check_image(uploaded)
    return ValidFile(content_type=content_type, size=size)


def _check_image(uploaded: _Upload) -> None:
    # A file that starts like a JPEG but is not one would fail later when metadata is stripped.
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(uploaded) as image:  # type: ignore[arg-type]
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise FileRejected("broken", str(_("The image is damaged and cannot be read.")))
    finally:
        uploaded.seek(0)
