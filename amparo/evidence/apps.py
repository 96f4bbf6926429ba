from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.core import checks


def ffmpeg_present(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Without ffmpeg the sanitizer refuses every audio and video file (it never keeps one as is)."""
    from amparo.evidence.sanitize import ffmpeg_available

    if ffmpeg_available():
        return []
    return [
        checks.Warning(
            "ffmpeg and ffprobe are not installed: audio and video files will be refused.",
            hint="Install Debian's ffmpeg package.",
            id="evidence.W001",
        )
    ]


class EvidenceConfig(AppConfig):
    name = "amparo.evidence"
    label = "evidence"

    def ready(self) -> None:
        checks.register(ffmpeg_present)
        # Data-key rotation re-encrypts every stored file (see amparo.vault.registry).
        from amparo.evidence import storage
        from amparo.vault import registry

        registry.register_files(
            model="evidence.EvidenceFile", name_field="storage_name", path=storage.path_for, context=storage._context
        )
