from __future__ import annotations

import base64
from urllib.parse import quote

import segno
from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice


def provisioning_uri(device: TOTPDevice, *, secret_only: bool = False) -> str:
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    if secret_only:
        return secret
    issuer = getattr(settings, "OTP_TOTP_ISSUER", "Amparo")
    label = quote(f"{issuer}:{device.user.get_username()}")
    return f"otpauth://totp/{label}?secret={secret}&issuer={quote(issuer)}&digits={device.digits}&period={device.step}"


def provisioning_qr_svg(device: TOTPDevice) -> str:
    """The enrolment QR as inline SVG markup (no image request, no third party)."""
    qr = segno.make(provisioning_uri(device), error="m")
    return qr.svg_inline(scale=5, dark="#1d1b20", light="#ffffff", omitsize=False)
