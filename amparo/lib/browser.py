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


def page_width(page: Any) -> int:
    """How wide the page is laid out, in CSS pixels, once its stylesheets have loaded."""
    page.wait_for_load_state("load")
    return int(page.evaluate("document.documentElement.scrollWidth"))


def fits_the_screen(page: Any) -> bool:
    """Nothing wider than the screen: the person never scrolls sideways (360 px on the phones we test)."""
    return page_width(page) <= page.viewport_size["width"]


def current_totp_code(user: Any) -> str:
    """The code the user's authenticator app shows now (tests only: reads the device key)."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=user, confirmed=True)
    return f"{totp(device.bin_key):06d}"


def sign_in(page: Any, base_url: str, user: Any, password: str) -> None:
    """Sign in through the real password and two-factor pages, as a person would."""
    page.goto(f"{base_url}/cuenta/entrar/")
    page.fill("#id_username", user.get_username())
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/cuenta/verificar/")
    page.fill("#id_token", current_totp_code(user))
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")
