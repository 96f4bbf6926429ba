"""The one file sanitizer: every path that keeps a file passes it through `sanitize`.

A phone photo, video or voice note carries where it was made (GPS), on what (make, model,
serial) and by whom (author, owner, software account); one such file can lead the police to a
person's home. So a file is recognised by its bytes only (never by its name or the browser's
claim), and for each accepted type every metadata block is removed by a well-kept tool:

- photos (JPEG, PNG, WebP, GIF, HEIC/HEIF): Pillow (+ pillow-heif) decodes the pixels and a new
  file is written from them alone; HEIC becomes JPEG so every browser can show it;
- audio and video (MP4, MOV, 3GP, M4A, MP3, Ogg/Opus, WAV, WebM, AMR): ffmpeg remuxes the
  audio and video streams without re-encoding, dropping global, stream and chapter metadata,
  data/subtitle/cover streams and the encoder's own tag; mutagen then checks no tag is left;
- PDF: pikepdf drops the document information, every XMP packet, embedded files, JavaScript
  and automatic actions, and the EXIF/XMP segments of the JPEG images inside.

A file that cannot be cleaned is refused with a translated message: nothing is kept "as is".
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Content type -> extension of what is kept (HEIC/HEIF are kept as JPEG).
ACCEPTED: dict[str, str] = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/gif": "gif",
    "image/heic": "jpg",
    "image/heif": "jpg",
    "application/pdf": "pdf",
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "video/3gpp": "3gp",
    "video/webm": "webm",
    "audio/mp4": "m4a",
    "audio/3gpp": "3gp",
    "audio/mpeg": "mp3",
    "audio/ogg": "ogg",
    "audio/wav": "wav",
    "audio/webm": "webm",
    "audio/amr": "amr",
}

# ISO base media files (MP4 family) say what they are in the `ftyp` box's major brand.
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1"}
_AUDIO_MP4_BRANDS = {b"M4A ", b"M4B ", b"M4P "}
_QUICKTIME_BRANDS = {b"qt  "}
_3GP_PREFIXES = (b"3gp", b"3gg", b"3g2")
_MP4_BRANDS = {
    b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"dash", b"MSNV", b"mmp4", b"NDAS", b"XAVC",
}

# Images larger than this are refused before decoding (a small file can decode to gigabytes).
MAX_PIXELS = 50_000_000
# ffmpeg may not run longer than this on one file; a remux of 20 MB takes well under a second.
FFMPEG_TIMEOUT_SECONDS = 60


def sniff(head: bytes) -> str | None:
    """The content type of a file from its first bytes (64 are enough), or None when not accepted."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _HEIF_BRANDS:
            return "image/heif" if brand in (b"mif1", b"msf1") else "image/heic"
        if brand in _AUDIO_MP4_BRANDS:
            return "audio/mp4"
        if brand in _QUICKTIME_BRANDS:
            return "video/quicktime"
        if brand.startswith(_3GP_PREFIXES):
            return "video/3gpp"
        if brand in _MP4_BRANDS:
            return "video/mp4"
        return None
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "audio/webm"
    if head.startswith(b"#!AMR"):
        return "audio/amr"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    return None


class FileRefused(ValidationError):
    """A file that is not kept, with a message for the person who sent it (translated)."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message, code=code)


@dataclass(frozen=True)
class CleanFile:
    """What is kept of an upload: the cleaned bytes, and the fingerprint of what was received."""

    data: bytes
    content_type: str
    sha256_original: str
    size_original: int

    @property
    def extension(self) -> str:
        return ACCEPTED[self.content_type]


def too_large_message(max_bytes: int) -> str:
    return _("The file is too large (the limit is %(mb)d MB).") % {"mb": max_bytes // (1024 * 1024)}


def refused_type_message() -> str:
    return _("This type of file is not accepted. Send a photo, a video, a PDF or an audio file.")


def check_size(size: int, *, max_bytes: int) -> None:
    if size <= 0:
        raise FileRefused(_("The file is empty."), code="empty")
    if size > max_bytes:
        raise FileRefused(too_large_message(max_bytes), code="too_large")


def sanitize(data: bytes, *, max_bytes: int) -> CleanFile:
    """The file without anything that identifies a person, place or device; FileRefused otherwise."""
    check_size(len(data), max_bytes=max_bytes)
    content_type = sniff(data[:64])
    if content_type is None:
        raise FileRefused(refused_type_message(), code="type")
    if content_type.startswith("image/"):
        cleaned, content_type = _clean_image(data, content_type)
    elif content_type == "application/pdf":
        cleaned = _clean_pdf(data)
    else:
        cleaned, content_type = _clean_media(data, content_type)
    return CleanFile(
        data=cleaned, content_type=content_type, sha256_original=hashlib.sha256(data).hexdigest(), size_original=len(data)
    )


# -- photos ------------------------------------------------------------------------------------

_PIL_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF", "image/webp": "WEBP"}


def _broken_image() -> FileRefused:
    return FileRefused(_("The image could not be read. It may be damaged."), code="broken")


def _clean_image(data: bytes, content_type: str) -> tuple[bytes, str]:
    from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

    if content_type in ("image/heic", "image/heif"):
        import pillow_heif

        pillow_heif.register_heif_opener()
        fmt, content_type = "JPEG", "image/jpeg"
    else:
        fmt = _PIL_FORMATS[content_type]
    try:
        with Image.open(io.BytesIO(data), formats=None) as opened:
            width, height = opened.size
            if width * height > MAX_PIXELS:
                raise FileRefused(_("The image is too large (more than 50 megapixels)."), code="too_large")
            frames = getattr(opened, "n_frames", 1)
            out = io.BytesIO()
            if frames > 1 and fmt in ("GIF", "WEBP"):
                # Animations keep every frame and its timing; each frame is rebuilt from its pixels.
                pictures = [_pixels_only(frame.convert("RGBA")) for frame in ImageSequence.Iterator(opened)]
                durations = [int(frame.info.get("duration", 100)) for frame in ImageSequence.Iterator(opened)]
                pictures[0].save(
                    out, format=fmt, save_all=True, append_images=pictures[1:], duration=durations, loop=0,
                    **({"lossless": True} if fmt == "WEBP" else {}),
                )
                return out.getvalue(), content_type
            opened.load()
            # Turn the pixels upright before the EXIF block with the rotation is dropped, and into
            # sRGB before the colour profile (which can name the device) is dropped.
            image: Image.Image = ImageOps.exif_transpose(opened)
            image = _to_srgb(image, opened.info.get("icc_profile"))
            if fmt == "JPEG" and image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            clean = _pixels_only(image)
            params: dict[str, object] = {"quality": 90} if fmt == "JPEG" else {}
            if fmt == "WEBP":
                params = {"lossless": True} if opened.format == "WEBP" and _webp_lossless(data) else {"quality": 90}
            clean.save(out, format=fmt, **params)
    except FileRefused:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError):
        raise _broken_image()
    return out.getvalue(), content_type


def _pixels_only(image):  # type: ignore[no-untyped-def]
    """A new image holding only the pixels (and palette): no EXIF, XMP, ICC, comments or text chunks."""
    from PIL import Image

    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    if image.mode == "P" and (palette := image.getpalette()):
        clean.putpalette(palette)
        if "transparency" in image.info and isinstance(image.info["transparency"], int):
            clean.info["transparency"] = image.info["transparency"]
    return clean


def _to_srgb(image, icc: bytes | None):  # type: ignore[no-untyped-def]
    if not icc or image.mode not in ("RGB", "RGBA"):
        return image
    from PIL import ImageCms

    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        return ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode=image.mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        # An unreadable profile: the pixels are kept as they are (colours may look a little off).
        return image


def _webp_lossless(data: bytes) -> bool:
    return b"VP8L" in data[12:40]


# -- audio and video ---------------------------------------------------------------------------

# Sniffed type -> (ffmpeg demuxer, muxer for a file with video, muxer for audio only, type if audio only)
_MEDIA: dict[str, tuple[str, str, str, str]] = {
    "video/mp4": ("mov", "mp4", "ipod", "audio/mp4"),
    "video/quicktime": ("mov", "mov", "ipod", "audio/mp4"),
    "video/3gpp": ("mov", "3gp", "3gp", "audio/3gpp"),
    "audio/mp4": ("mov", "mp4", "ipod", "audio/mp4"),
    "audio/mpeg": ("mp3", "", "mp3", "audio/mpeg"),
    "audio/ogg": ("ogg", "", "ogg", "audio/ogg"),
    "audio/wav": ("wav", "", "wav", "audio/wav"),
    "audio/webm": ("matroska", "webm", "webm", "audio/webm"),
    "audio/amr": ("amr", "", "amr", "audio/amr"),
}
_VIDEO_TYPE = {"mp4": "video/mp4", "mov": "video/quicktime", "3gp": "video/3gpp", "webm": "video/webm"}
# Audio codecs the iPod (M4A) muxer takes; anything else in an audio-only MP4 stays in an MP4.
_M4A_CODECS = {"aac", "alac", "ac3", "eac3", "mp3"}


def ffmpeg_available() -> bool:
    return bool(shutil.which("ffmpeg") and shutil.which("ffprobe"))


def _unreadable_media() -> FileRefused:
    return FileRefused(_("The audio or video file could not be read. It may be damaged."), code="broken")


def _run(args: list[str], *, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(  # noqa: S603 (fixed program, arguments built here, no shell)
            args, cwd=cwd, capture_output=True, timeout=FFMPEG_TIMEOUT_SECONDS, check=False, stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise _unreadable_media()


def _clean_media(data: bytes, content_type: str) -> tuple[bytes, str]:
    if not ffmpeg_available():
        # Fail closed: without the tool that strips them, audio and video are not kept.
        raise FileRefused(_("Audio and video files cannot be accepted on this server for now."), code="unavailable")
    demuxer, video_muxer, audio_muxer, audio_type = _MEDIA[content_type]
    # The input is read with the demuxer the bytes announced, from a private directory, and only
    # through the `file` protocol: no playlist or reference inside the file can reach anything else.
    with tempfile.TemporaryDirectory(prefix="amparo-media-") as tmp:
        work = Path(tmp)
        source = work / "in"
        source.write_bytes(data)
        probe = _run(
            ["ffprobe", "-v", "error", "-protocol_whitelist", "file", "-f", demuxer, "-show_streams", "-of", "json", "file:in"],
            cwd=work,
        )
        try:
            streams = json.loads(probe.stdout or b"{}").get("streams", []) if probe.returncode == 0 else []
        except ValueError:
            streams = []
        video = [s for s in streams if s.get("codec_type") == "video" and not s.get("disposition", {}).get("attached_pic")]
        audio = [s for s in streams if s.get("codec_type") == "audio"]
        if not video and not audio:
            raise _unreadable_media()
        if video and video_muxer:
            muxer, kept_type = video_muxer, _VIDEO_TYPE[video_muxer]
        else:
            muxer, kept_type = audio_muxer, audio_type
            if muxer == "ipod" and not {s.get("codec_name") for s in audio} <= _M4A_CODECS:
                muxer = "mp4"
            video = []
        args = [
            "ffmpeg", "-nostdin", "-v", "error", "-threads", "1", "-protocol_whitelist", "file", "-f", demuxer, "-i", "file:in",
            # Only the picture and sound: no data (GPS tracks, timecode), subtitle or cover-art streams.
            *(["-map", "0:V"] if video else []), "-map", "0:a?", "-c", "copy",
            # No global, stream or chapter metadata; no encoder tag; no creation time.
            "-map_metadata", "-1", "-map_metadata:s", "-1", "-map_chapters", "-1",
            "-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact",
        ]
        if muxer == "mp3":
            args += ["-id3v2_version", "0", "-write_id3v1", "0"]
        args += ["-f", muxer, "file:out"]
        done = _run(args, cwd=work)
        target = work / "out"
        if done.returncode != 0 or not target.exists() or target.stat().st_size == 0:
            raise _unreadable_media()
        _drop_remaining_tags(target)
        return target.read_bytes(), kept_type


def _drop_remaining_tags(path: Path) -> None:
    """Belt and braces: whatever tag a muxer still wrote (a vendor string, an empty tag block) goes."""
    import mutagen

    try:
        found = mutagen.File(path)  # type: ignore[attr-defined]
    except mutagen.MutagenError:  # type: ignore[attr-defined]
        return
    if found is not None and found.tags:
        try:
            found.delete()
        except mutagen.MutagenError:  # type: ignore[attr-defined]
            raise _unreadable_media()


# -- PDF ---------------------------------------------------------------------------------------

_ROOT_KEYS = ("/Metadata", "/PieceInfo", "/OpenAction", "/AA", "/AF", "/SpiderInfo", "/Threads", "/Collection")
_ANY_KEYS = ("/Metadata", "/PieceInfo", "/AA", "/AF", "/LastModified")


def _clean_pdf(data: bytes) -> bytes:
    import pikepdf

    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if "/Info" in pdf.trailer:
                del pdf.trailer["/Info"]
            root = pdf.Root
            for key in _ROOT_KEYS:
                if key in root:
                    del root[key]
            if "/Names" in root:
                for key in ("/EmbeddedFiles", "/JavaScript"):
                    if key in root.Names:
                        del root.Names[key]
            for obj in pdf.objects:
                if not isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
                    continue
                for key in _ANY_KEYS:
                    if key in obj:
                        del obj[key]
                if "/JS" in obj:  # a JavaScript action anywhere (links, form fields)
                    del obj["/JS"]
                if obj.get("/Subtype") == "/Image" and isinstance(obj, pikepdf.Stream) and obj.get("/Filter") == "/DCTDecode":
                    raw = obj.read_raw_bytes()
                    stripped = strip_jpeg_segments(raw)
                    if stripped != raw:
                        obj.write(stripped, filter=pikepdf.Name.DCTDecode)
            for page in pdf.pages:
                if "/Annots" in page.obj:
                    kept = [a for a in page.obj.Annots if a.get("/Subtype") != "/FileAttachment"]
                    page.obj.Annots = pikepdf.Array(kept)
            out = io.BytesIO()
            # Written whole (earlier revisions, which may hold the old metadata, are not carried
            # over), unencrypted, with an identifier derived from the content rather than the clock.
            pdf.save(out, encryption=False, deterministic_id=True, fix_metadata_version=False)
    except pikepdf.PasswordError:
        raise FileRefused(_("The PDF is protected by a password. Send it without the password."), code="encrypted")
    except (pikepdf.PdfError, OSError, ValueError, TypeError, KeyError):
        raise FileRefused(_("The PDF could not be read. It may be damaged."), code="broken")
    return out.getvalue()


# JPEG segments that carry only metadata: APP1 (EXIF, XMP), APP2 (ICC, FlashPix), APP3-APP13
# (maker notes, Photoshop IRB with IPTC) and COM. APP0 (JFIF) and APP14 (Adobe colour transform)
# are needed to show the image correctly and hold nothing about the person or device.
_JPEG_DROP = set(range(0xE1, 0xEE)) | {0xEF, 0xFE}


def strip_jpeg_segments(data: bytes) -> bytes:
    """A JPEG stream (as embedded in a PDF) without its metadata segments; the image data untouched.

    Used for PDFs only, where re-encoding every picture would change the document; stand-alone
    photos are re-encoded from their pixels by Pillow instead.
    """
    if not data.startswith(b"\xff\xd8"):
        return data
    out = bytearray(b"\xff\xd8")
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return data  # not a well-formed marker sequence: leave it to the viewer
        marker = data[pos + 1]
        if marker == 0xDA:  # start of scan: the rest is image data
            out += data[pos:]
            return bytes(out)
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        end = pos + 2 + length
        if length < 2 or end > len(data):
            return data
        if marker not in _JPEG_DROP:
            out += data[pos:end]
        pos = end
    return data
