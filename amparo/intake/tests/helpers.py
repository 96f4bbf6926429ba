"""Small helpers for intake tests: fill and send the public form as a browser would."""

from __future__ import annotations

import html
import io
import json
import re
from typing import Any

from amparo.intake.lib import pow

NARRATIVE = "Los serenos nos quitaron los condones y nos golpearon en el parque Kennedy."


def page_fields(content: bytes) -> tuple[str, dict[str, Any]]:
    text = content.decode()
    token = re.search(r'name="token" value="([^"]*)"', text).group(1)
    challenge = json.loads(html.unescape(re.search(r'data-pow="([^"]*)"', text).group(1)))
    return token, challenge


def solve(challenge: dict[str, Any]) -> str:
    number = pow.solve(challenge=challenge["challenge"], salt=challenge["salt"], maxnumber=challenge["maxnumber"])
    return pow.solution_payload(challenge, number)


def form_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "violations": ["physical_assault", "confiscation"],
        "occurred_on": "2025-03-14",
        "date_precision": "day",
        "department": "15",
        "district": "Miraflores (Lima)",
        "perpetrators": ["serenazgo"],
        "narrative": NARRATIVE,
        "reporter": "victim",
        "consent_store": "on",
        "consent_share_stats": "on",
        "consent_help": "on",
        "contact": "Signal +51 999 111 222, de noche",
        "lang": "es",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def submit(client: Any, slug: str = "lima", *, solve_pow: bool = True, files: list[Any] | None = None, **overrides: Any):  # type: ignore[no-untyped-def]
    page = client.get(f"/r/{slug}/")
    token, challenge = page_fields(page.content)
    data = form_data(token=token, pow=solve(challenge) if solve_pow else "", **overrides)
    if files:
        data["files"] = files
    return client.post(f"/r/{slug}/", data)


def receipt_of(response: Any) -> tuple[str, str]:
    text = response.content.decode()
    code = re.search(r'id="receipt">([^<]+)<', text).group(1)
    phrase = re.search(r'id="passphrase">([^<]+)<', text).group(1)
    return code, phrase


def jpeg_with_gps() -> bytes:
    from PIL import Image

    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Model X-123"  # Model
    gps = exif.get_ifd(0x8825)
    gps[1] = "S"
    gps[2] = (12.0, 7.0, 15.5)
    gps[3] = "W"
    gps[4] = (77.0, 1.0, 44.2)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()
