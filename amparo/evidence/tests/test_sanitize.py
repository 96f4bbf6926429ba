"""The one sanitizer: every accepted type is recognised by its bytes and kept without anything that
identifies a person, place or device (checked with exiftool), or refused with a clear message."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tempfile
from pathlib import Path

import pytest

from amparo.evidence import sanitize
from amparo.evidence.tests import fixtures

LIMIT = 20 * 1024 * 1024

# What each kind becomes once kept.
KEPT_AS = {
    "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "gif": "image/gif", "heic": "image/jpeg",
    "mp4": "video/mp4", "mov": "video/quicktime", "3gp": "video/3gpp", "m4a": "audio/mp4", "mp3": "audio/mpeg",
    "ogg": "audio/ogg", "wav": "audio/wav", "webm": "audio/webm", "pdf": "application/pdf",
}


class TestSniffer:
    @pytest.mark.parametrize(
        ("head", "expected"),
        [
            (b"\xff\xd8\xff\xe0rest", "image/jpeg"),
            (b"\x89PNG\r\n\x1a\n....", "image/png"),
            (b"GIF89a\x01\x00", "image/gif"),
            (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
            (b"%PDF-1.7\n", "application/pdf"),
            (b"ID3\x04\x00", "audio/mpeg"),
            (b"\xff\xfb\x90\x00", "audio/mpeg"),
            (b"OggS\x00\x02", "audio/ogg"),
            (b"\x00\x00\x00\x20ftypM4A \x00", "audio/mp4"),
            # A phone video is a video, and an iPhone photo a photo: neither is "audio/mp4".
            (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", "video/mp4"),
            (b"\x00\x00\x00\x18ftypmp42\x00", "video/mp4"),
            (b"\x00\x00\x00\x14ftypqt  \x00", "video/quicktime"),
            (b"\x00\x00\x00\x18ftyp3gp4\x00", "video/3gpp"),
            (b"\x00\x00\x00\x18ftypheic\x00", "image/heic"),
            (b"\x00\x00\x00\x18ftypmif1\x00", "image/heif"),
            (b"\x00\x00\x00\x18ftypavif\x00", None),
            (b"\x00\x00\x00\x18ftypcrx \x00", None),
            (b"RIFF\x00\x00\x00\x00WAVEfmt ", "audio/wav"),
            (b"\x1a\x45\xdf\xa3\x9f", "audio/webm"),
            (b"#!AMR\n", "audio/amr"),
            (b"MZ\x90\x00", None),
            (b"<html><script>", None),
            (b"PK\x03\x04", None),
        ],
    )
    def test_it_recognises_types_by_their_first_bytes(self, head, expected):
        assert sanitize.sniff(head) == expected

    @pytest.mark.parametrize("kind", fixtures.ALL_KINDS)
    def test_it_recognises_what_real_encoders_make(self, kind):
        expected = {"heic": "image/heic", "m4a": "audio/mp4"}.get(kind, KEPT_AS[kind])
        assert sanitize.sniff(fixtures.sample(kind)[:64]) == expected


class TestEveryType:
    @pytest.mark.parametrize("kind", fixtures.ALL_KINDS)
    def test_it_removes_place_device_and_person(self, kind):
        original = fixtures.sample(kind)
        assert len(fixtures.identifying(original)) >= 3, "the fixture must carry what a phone writes"
        clean = sanitize.sanitize(original, max_bytes=LIMIT)
        assert fixtures.identifying(clean.data) == {}
        assert clean.content_type == KEPT_AS[kind]
        assert clean.sha256_original == hashlib.sha256(original).hexdigest()
        assert clean.size_original == len(original)

    @pytest.mark.parametrize("kind", ["mp4", "mov", "3gp", "m4a", "mp3", "ogg", "wav", "webm"])
    def test_audio_and_video_keep_their_streams_untouched(self, kind):
        def streams(data: bytes) -> list[tuple[str, str, str]]:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "f"
                path.write_bytes(data)
                probe = subprocess.run(  # noqa: S603, S607
                    ["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(path)], capture_output=True, check=True
                )
            return [(s["codec_type"], s["codec_name"], s.get("duration", "")[:3]) for s in json.loads(probe.stdout)["streams"]]

        original = fixtures.sample(kind)
        assert streams(sanitize.sanitize(original, max_bytes=LIMIT).data) == streams(original)

    def test_a_photo_is_turned_upright_before_its_rotation_tag_goes(self):
        from PIL import Image

        clean = sanitize.sanitize(fixtures.image("jpeg"), max_bytes=LIMIT)
        assert Image.open(io.BytesIO(clean.data)).size == (48, 64)

    def test_an_iphone_photo_becomes_a_jpeg_every_browser_shows(self):
        from PIL import Image

        clean = sanitize.sanitize(fixtures.image("heic"), max_bytes=LIMIT)
        assert clean.content_type == "image/jpeg" and clean.extension == "jpg"
        assert Image.open(io.BytesIO(clean.data)).format == "JPEG"

    def test_an_animation_keeps_its_frames(self):
        from PIL import Image

        frames = [Image.new("RGB", (16, 16), colour) for colour in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
        out = io.BytesIO()
        frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], duration=200, comment=b"Rosa Quispe")
        clean = sanitize.sanitize(out.getvalue(), max_bytes=LIMIT)
        assert Image.open(io.BytesIO(clean.data)).n_frames == 3
        assert b"Quispe" not in clean.data

    def test_a_pdf_loses_attachments_javascript_and_the_exif_of_its_pictures(self):
        import pikepdf

        clean = sanitize.sanitize(fixtures.pdf(), max_bytes=LIMIT)
        with pikepdf.open(io.BytesIO(clean.data)) as pdf:
            assert "/Info" not in pdf.trailer and "/Metadata" not in pdf.Root and "/OpenAction" not in pdf.Root
            assert not pdf.attachments
            picture = pdf.pages[0].Resources.XObject.Im0.read_raw_bytes()
        assert picture.startswith(b"\xff\xd8") and b"Exif" not in picture and b"AcmeCam" not in picture
        assert fixtures.identifying(picture) == {}
        for marker in (b"Quispe", b"FotoStudio", b"app.alert"):
            assert marker not in clean.data


class TestRefusals:
    @pytest.mark.parametrize(
        ("data", "code"),
        [
            (b"", "empty"),
            (b"MZ\x90\x00 this is a windows program", "type"),
            (b"<html><script>alert(1)</script>", "type"),
            (b"\xff\xd8\xff\xe0 broken jpeg", "broken"),
            (b"%PDF-1.4 not really a document", "broken"),
            (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00" + b"\x00" * 200, "broken"),
            (b"OggS" + b"\x00" * 300, "broken"),
            (b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\x00" * 300, "broken"),
        ],
    )
    def test_it_refuses_what_it_cannot_clean(self, data, code):
        with pytest.raises(sanitize.FileRefused) as refused:
            sanitize.sanitize(data, max_bytes=LIMIT)
        assert refused.value.code == code and refused.value.message

    def test_it_refuses_a_file_over_the_limit(self):
        with pytest.raises(sanitize.FileRefused) as refused:
            sanitize.sanitize(fixtures.tiny_pdf() + b"\n" * 2048, max_bytes=1024)
        assert refused.value.code == "too_large"

    def test_it_refuses_a_pdf_with_a_password(self):
        import pikepdf

        out = io.BytesIO()
        pikepdf.new().save(out, encryption=pikepdf.Encryption(user="secreto", owner="secreto"))
        with pytest.raises(sanitize.FileRefused) as refused:
            sanitize.sanitize(out.getvalue(), max_bytes=LIMIT)
        assert refused.value.code == "encrypted"

    def test_it_refuses_an_image_bomb_before_decoding_it(self):
        from PIL import Image

        out = io.BytesIO()
        Image.new("1", (10_000, 6_000)).save(out, format="PNG")
        with pytest.raises(sanitize.FileRefused) as refused:
            sanitize.sanitize(out.getvalue(), max_bytes=LIMIT)
        assert refused.value.code == "too_large"

    def test_without_ffmpeg_audio_and_video_are_refused_not_kept_as_they_are(self, monkeypatch):
        monkeypatch.setattr(sanitize.shutil, "which", lambda name: None)
        with pytest.raises(sanitize.FileRefused) as refused:
            sanitize.sanitize(fixtures.media("mp3"), max_bytes=LIMIT)
        assert refused.value.code == "unavailable"

    def test_the_refusal_is_in_spanish(self):
        from django.utils import translation

        with translation.override("es"), pytest.raises(sanitize.FileRefused) as refused:
            sanitize.sanitize(b"MZ\x90\x00", max_bytes=LIMIT)
        assert "no se acepta" in refused.value.message.lower()

    def test_a_playlist_cannot_make_ffmpeg_read_other_files(self):
        # An HLS playlist dressed as an MP3 must be read as MP3 (and refused), never followed.
        data = b"ID3\x03\x00\x00\x00\x00\x00\x00#EXTM3U\n#EXTINF:1,\nfile:///etc/passwd\n" + b"\x00" * 100
        with pytest.raises(sanitize.FileRefused):
            sanitize.sanitize(data, max_bytes=LIMIT)


def test_a_server_without_ffmpeg_is_told_so_at_start(monkeypatch):
    from amparo.evidence.apps import ffmpeg_present

    assert ffmpeg_present() == []
    monkeypatch.setattr(sanitize.shutil, "which", lambda name: None)
    assert [m.id for m in ffmpeg_present()] == ["evidence.W001"]
