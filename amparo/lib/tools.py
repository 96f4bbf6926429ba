"""Finding the Debian tools the checks rely on (nginx, age, exiftool, ffmpeg, openssl...).

A test that needs one fails with what to install; it never skips, so a machine without the tool
cannot pass the suite by checking less.
"""

from __future__ import annotations

import shutil
from pathlib import Path


class MissingTool(RuntimeError):
    pass


def find(tool: str) -> str | None:
    """The tool's path, looking in sbin too (nginx lives there and is not on a user's PATH)."""
    found = shutil.which(tool)
    if found:
        return found
    for folder in ("/usr/sbin", "/sbin", "/usr/local/sbin"):
        candidate = Path(folder) / tool
        if candidate.exists():
            return str(candidate)
    return None


def require(tool: str, *, package: str) -> str:
    found = find(tool)
    if found is None:
        raise MissingTool(f"{tool} is missing: `make tools` installs it (apt-get install {package}).")
    return found
