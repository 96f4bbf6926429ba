"""Files made by real encoders and writers (Pillow, ffmpeg, exiftool, pikepdf), carrying what a
phone or a word processor writes about place, device and person; and exiftool to read them back.

Every marker below is something that must never come back out of Amparo.
"""

from __future__ import annotations

import functools
import io
import json
import re
import subprocess
import tempfile
from pathlib import Path

# What the fixtures carry (and exiftool must not find afterwards).
MARKERS = ("Quispe", "AcmeCam", "Obturador-9", "SN4815162342", "FotoStudio", "-12.0464", "77.0428", "12 deg", "77 deg")
LAT, LON = -12.0464, -77.0428  # Lima, Cercado

# exiftool tags (group:name, name compared without group) that identify a place, device or person.
_IDENTIFYING = re.compile(
    r"(GPS|Location|Make|Model|Serial|Author|Artist|Creator|Producer|Software|Owner|Copyright|Encoder|Lens|"
    r"Comment|Title|Subject|Keywords|Description|Creation|HostComputer|UserComment|Camera|Device|Body)",
    re.IGNORECASE,
)
# Tags whose names match but that carry nothing about the person (structure of the file).
_HARMLESS = {"HandlerDescription", "CompressorID", "DeviceModelDesc", "ProfileDescription", "ColorSpaceData",
             "CreateDate", "ModifyDate", "TrackCreateDate", "TrackModifyDate", "MediaCreateDate", "MediaModifyDate"}


def exiftool(data: bytes, *, suffix: str = "") -> dict[str, object]:
    """Every tag exiftool finds in the bytes (`exiftool -j -a -G1`), the System group left out."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"file{suffix}"
        path.write_bytes(data)
        out = subprocess.run(["exiftool", "-j", "-a", "-G1", "-ee", str(path)], capture_output=True, check=True)  # noqa: S603, S607
    tags = json.loads(out.stdout)[0]
    return {k: v for k, v in tags.items() if not k.startswith(("System:", "ExifTool:", "SourceFile"))}


def identifying(data: bytes) -> dict[str, object]:
    """The tags left in a file that could identify a place, device or person, and any marker found."""
    found: dict[str, object] = {}
    for key, value in exiftool(data).items():
        name = key.split(":", 1)[-1]
        text = json.dumps(value)
        if any(marker.lower() in text.lower() for marker in MARKERS) or _IDENTIFYING.search(name) and name not in _HARMLESS and value not in ("", 0, "0000:00:00 00:00:00"):
            found[key] = value
    for marker in MARKERS[:5]:
        if marker.encode() in data:
            found[f"bytes:{marker}"] = True
    return found


def _exiftool_write(path: Path, *args: str) -> None:
    subprocess.run(["exiftool", "-q", "-q", "-overwrite_original", *args, str(path)], check=True)  # noqa: S603, S607


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)  # noqa: S603, S607


def _tagged(path: Path, *, video: bool) -> bytes:
    """Add what a phone writes: GPS, make, model, serial, author, software (for the file's kind)."""
    common = [f"-XMP:GPSLatitude={LAT}", f"-XMP:GPSLongitude={LON}", "-XMP:Make=AcmeCam", "-XMP:Model=Obturador-9",
              "-XMP:SerialNumber=SN4815162342", "-XMP:Creator=Rosa Quispe", "-XMP:CreatorTool=FotoStudio"]
    if video:
        _exiftool_write(path, f"-Keys:GPSCoordinates={LAT}, {LON}, 150", "-UserData:Make=AcmeCam",
                        "-Keys:Model=Obturador-9", "-UserData:Author=Rosa Quispe", "-Keys:Software=FotoStudio", *common)
    return path.read_bytes()


@functools.cache
def image(kind: str) -> bytes:
    """A photo (jpeg, png, webp, gif, heic) with EXIF GPS/make/model/serial/artist/software and XMP."""
    from PIL import Image

    img = Image.new("RGB", (64, 48), (200, 30, 90))
    exif = Image.Exif()
    exif[0x010F] = "AcmeCam"  # Make
    exif[0x0110] = "Obturador-9"  # Model
    exif[0x013B] = "Rosa Quispe"  # Artist
    exif[0x0131] = "FotoStudio"  # Software
    exif[0x0112] = 6  # Orientation: rotate 90° when shown
    exif.get_ifd(0x8769)[0xA431] = "SN4815162342"  # BodySerialNumber
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "S", (12.0, 2.0, 47.04)
    gps[3], gps[4] = "W", (77.0, 2.0, 34.08)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"photo.{kind}"
        if kind == "heic":
            import pillow_heif

            pillow_heif.register_heif_opener()
            img.save(path, format="HEIF", exif=exif.tobytes(), quality=80)
        elif kind == "gif":
            img.convert("P").save(path, format="GIF", comment=b"Rosa Quispe AcmeCam")
            _exiftool_write(path, "-XMP:Creator=Rosa Quispe", "-XMP:SerialNumber=SN4815162342", f"-XMP:GPSLatitude={LAT}")
            return path.read_bytes()
        else:
            img.save(path, format={"jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}[kind], exif=exif.tobytes())
        _exiftool_write(path, "-XMP:Creator=Rosa Quispe", "-XMP:SerialNumber=SN4815162342", "-XMP:CreatorTool=FotoStudio")
        return path.read_bytes()


@functools.cache
def media(kind: str) -> bytes:
    """Audio or video as phones make it, tagged: mp4, mov, 3gp, m4a, mp3, ogg (Opus), wav, webm."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"clip.{kind}"
        sound = ["-f", "lavfi", "-i", "sine=frequency=440:duration=1"]
        picture = ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1"]
        meta = ["-metadata", "title=Rosa Quispe", "-metadata", "artist=Rosa Quispe", "-metadata", "comment=AcmeCam Obturador-9",
                "-metadata", "encoder=FotoStudio", "-metadata", "location=-12.0464-077.0428/",
                "-metadata", "copyright=SN4815162342", "-metadata:s:a:0", "title=Quispe"]
        if kind in ("mp4", "mov", "3gp"):
            vcodec = ["-c:v", "libx264", "-pix_fmt", "yuv420p"] if kind != "3gp" else ["-c:v", "h263", "-s", "176x144"]
            acodec = ["-c:a", "aac"] if kind != "3gp" else ["-c:a", "aac", "-ar", "8000", "-ac", "1"]
            _ffmpeg(*picture, *sound, *vcodec, *acodec, "-shortest", *meta, str(path))
            return _tagged(path, video=True)
        if kind == "m4a":
            _ffmpeg(*sound, "-c:a", "aac", *meta, str(path))
            return _tagged(path, video=True)
        if kind == "mp3":
            _ffmpeg(*sound, "-c:a", "libmp3lame", *meta, "-id3v2_version", "3", "-write_id3v1", "1", str(path))
            return path.read_bytes()
        if kind == "ogg":  # a WhatsApp voice note: Opus in Ogg
            _ffmpeg(*sound, "-c:a", "libopus", *meta, str(path))
            return path.read_bytes()
        if kind == "wav":
            _ffmpeg(*sound, "-c:a", "pcm_s16le", *meta, str(path))
            return path.read_bytes()
        if kind == "webm":
            _ffmpeg(*sound, "-c:a", "libopus", *meta, str(path))
            return path.read_bytes()
    raise ValueError(kind)


@functools.cache
def pdf() -> bytes:
    """A one-page PDF with author, creator, producer, title in both the Info dictionary and XMP,
    an attached file, JavaScript, and an embedded JPEG whose EXIF holds GPS and the camera."""
    import pikepdf

    document = pikepdf.new()
    document.add_blank_page(page_size=(200, 200))
    photo = image("jpeg")
    stream = pikepdf.Stream(document, photo)
    stream.Type, stream.Subtype, stream.Filter = pikepdf.Name.XObject, pikepdf.Name.Image, pikepdf.Name.DCTDecode
    stream.Width, stream.Height, stream.BitsPerComponent = 64, 48, 8
    stream.ColorSpace = pikepdf.Name.DeviceRGB
    page = document.pages[0]
    page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=stream))
    page.Contents = document.make_stream(b"q 64 0 0 48 10 10 cm /Im0 Do Q")
    document.docinfo["/Author"] = "Rosa Quispe"
    document.docinfo["/Creator"] = "FotoStudio"
    document.docinfo["/Producer"] = "AcmeCam Obturador-9"
    document.docinfo["/Title"] = "Denuncia de Rosa Quispe"
    with document.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["dc:creator"] = ["Rosa Quispe"]
        meta["xmp:CreatorTool"] = "FotoStudio"
    document.attachments["quispe.txt"] = b"Rosa Quispe, SN4815162342"
    document.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert('Quispe')"))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def tiny_pdf(text: str = "x") -> bytes:
    """A valid PDF with one blank page (for tests about something else than metadata)."""
    import pikepdf

    document = pikepdf.new()
    document.add_blank_page(page_size=(100, 100))
    document.pages[0].Contents = document.make_stream(f"% {text}".encode())
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


ALL_KINDS = ("jpeg", "png", "webp", "gif", "heic", "mp4", "mov", "3gp", "m4a", "mp3", "ogg", "wav", "webm", "pdf")


def sample(kind: str) -> bytes:
    if kind == "pdf":
        return pdf()
    if kind in ("jpeg", "png", "webp", "gif", "heic"):
        return image(kind)
    return media(kind)
