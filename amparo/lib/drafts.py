"""Drafts kept in the browser, encrypted with a key the server holds for the session.

A form that opts in (`data-draft-name`, `data-draft-key`; web/static/web/drafts.js) keeps what is
typed in the phone's localStorage as AES-GCM ciphertext. The key lives only in the server-side
session and is written into the page (never cached: the page is sent with no-store), so the phone
alone cannot decrypt a draft: signing out, "sign out everywhere" or the idle timeout deletes the
session, and with it the only copy of the key.
"""

from __future__ import annotations

import base64
import secrets

from django.http import HttpRequest

SESSION_KEY = "amparo_draft_key"
SENT_TAG = "draft-sent"


def draft_key_for(request: HttpRequest) -> str:
    """This session's draft key (base64 of 32 random bytes), made on first use."""
    key = request.session.get(SESSION_KEY)
    if not isinstance(key, str) or len(key) != 44:
        key = base64.b64encode(secrets.token_bytes(32)).decode()
        request.session[SESSION_KEY] = key
    return key


def sent_tags(draft_name: str) -> str:
    """Extra message tags telling drafts.js, on the next page, that this draft was sent: wipe it."""
    return f"{SENT_TAG} draft-{draft_name}"
