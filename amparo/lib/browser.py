"""Launch Debian's Chromium through Playwright for browser tests (Playwright may not download browsers here)."""

from __future__ import annotations

import os
import shutil
from typing import Any

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def chromium_path() -> str | None:
    return os.environ.get("AMPARO_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def launch(playwright: Any, **kwargs: Any) -> Any:
    path = chromium_path()
    if path is None:
        raise RuntimeError("Debian's chromium is not installed: `make test` installs it (apt-get install chromium).")
    return playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True, **kwargs)
