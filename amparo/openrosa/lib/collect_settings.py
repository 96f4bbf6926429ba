"""ODK Collect / KoboCollect settings QR payloads: base64(zlib(JSON)), per ODK's format
(https://docs.getodk.org/collect-import-export/), with the settings a phone that may be
seized should have.
"""

from __future__ import annotations

import base64
import json
import zlib
from dataclasses import dataclass
from typing import Any

import segno

# What a collector's phone should and should not be able to do. Keys are ODK Collect's
# ProjectKeys / ProtectedProjectKeys; keys a given version does not know are ignored by it.
HARDENED_GENERAL: dict[str, Any] = {
    "protocol": "odk_default",
    # Finalised forms leave the phone as soon as there is any connection, and are then
    # deleted from it: what a seized phone holds is only what could not be sent yet.
    "autosend": "wifi_and_cellular",
    "delete_send": True,
    # Older Collect and KoboCollect: finish forms as "complete" so they are sent, not kept.
    "default_completed": True,
    # The phone mirrors the server's form list, so a withdrawn form disappears from it.
    "form_update_mode": "match_exactly",
    "periodic_form_updates_check": "every_one_hour",
    "automatic_update": True,
    "hide_old_form_versions": True,
    "constraint_behavior": "on_finalize",
    "analytics": False,
    # No identity in form metadata: the collector account is the only link to a person.
    "metadata_username": "",
    "metadata_phonenumber": "",
    "metadata_email": "",
    "instance_sync": True,
    "image_size": "large",
}

HARDENED_ADMIN: dict[str, Any] = {
    # No browsing or editing of what was already sent or saved.
    "edit_saved": False,
    "view_sent": False,
    "delete_saved": True,
    "send_finalized": True,
    "get_blank": True,
    # The collector cannot point the phone elsewhere or undo these choices.
    "change_server": False,
    "change_project_display": False,
    "change_form_metadata": False,
    "change_autosend": False,
    "delete_after_send": False,
    "form_update_mode": False,
    "periodic_form_updates_check": False,
    "automatic_update": False,
    "hide_old_form_versions": False,
    "analytics": False,
    "instance_form_sync": False,
    # Form entry: a draft is an unsent interview kept on the phone; allow it only as much as
    # the interview needs (the organisation can switch it off per phone: `allow_drafts`).
    # Current Collect has two protected keys for it (getodk/collect,
    # settings/src/main/java/org/odk/collect/settings/keys/ProtectedProjectKeys.kt):
    # KEY_SAVE_MID = "save_mid", the save button during form entry, and
    # KEY_SAVE_AS_DRAFT = "save_as_draft", the "Save as draft" button at the end of the form
    # (FormEndViewModel.isSaveDraftEnabled). KEY_FINALIZE_IN_FORM_ENTRY = "finalize_in_form_entry"
    # must stay on, or no form could be finished at all. Older Collect (and KoboCollect) read
    # "mark_as_finalized" instead: off, with "default_completed" on, every form is finalised
    # (Collect's own settings migration turns that pair into save_as_draft off).
    "save_mid": True,
    "save_as_draft": True,
    "finalize_in_form_entry": True,
    "mark_as_finalized": True,
    "jump_to": True,
    "moving_backwards": True,
    "access_settings": False,
    "change_language": True,
}


# The protected settings that let a collector keep an unfinished interview on the phone.
DRAFT_KEYS = ("save_mid", "save_as_draft", "mark_as_finalized")


@dataclass(frozen=True)
class PhoneSettings:
    server_url: str
    username: str
    password: str
    admin_password: str
    project_name: str
    project_icon: str = "A"
    project_color: str = "#5b2a86"
    language: str = "es"
    allow_drafts: bool = True

    def as_dict(self) -> dict[str, Any]:
        general = dict(HARDENED_GENERAL)
        general.update(
            server_url=self.server_url, username=self.username, password=self.password, app_language=self.language
        )
        admin = dict(HARDENED_ADMIN)
        admin["admin_pw"] = self.admin_password
        for key in DRAFT_KEYS:
            admin[key] = self.allow_drafts
        return {
            "general": general,
            "admin": admin,
            "project": {"name": self.project_name, "icon": self.project_icon, "color": self.project_color},
        }


def encode(settings: dict[str, Any]) -> str:
    if "general" not in settings or "admin" not in settings:
        raise ValueError("ODK settings need 'general' and 'admin' sections")
    raw = json.dumps(settings, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return base64.b64encode(zlib.compress(raw, 9)).decode("ascii")


def decode(payload: str) -> dict[str, Any]:
    return json.loads(zlib.decompress(base64.b64decode(payload)).decode("utf-8"))


def qr_svg(payload: str, *, scale: int = 4) -> str:
    """An inline SVG (no script, no external reference) to show once on the admin screen."""
    code = segno.make(payload, micro=False, error="l")
    # No width/height: the SVG scales to its container (a phone-width screen included).
    return code.svg_inline(scale=scale, dark="#000", light="#fff", border=4, omitsize=True)
