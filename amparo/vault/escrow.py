"""Key escrow: the active master key as K-of-N SLIP-39 shares that trusted people write down.

Any K shares rebuild the key; fewer reveal nothing about it (Shamir's scheme over GF(256),
as the shamir-mnemonic reference implementation of SLIP-39 does it). The key id is not
secret and is printed beside each share: the keyring needs it to find the key again.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

import shamir_mnemonic
from shamir_mnemonic import MnemonicError

from amparo.vault import keyring


class EscrowError(Exception):
    pass


@dataclass(frozen=True)
class Share:
    number: int
    words: str


def split(*, key: bytes, shares: int, threshold: int) -> list[Share]:
    if not 1 <= threshold <= shares <= 16:
        raise EscrowError("Need 1 ≤ threshold ≤ shares ≤ 16.")
    if threshold == 1 and shares > 1:
        raise EscrowError("A threshold of 1 would make every share a full copy of the key; use 2 or more.")
    groups = shamir_mnemonic.generate_mnemonics(group_threshold=1, groups=[(threshold, shares)], master_secret=key)
    return [Share(i + 1, words) for i, words in enumerate(groups[0])]


def recover(mnemonics: list[str]) -> bytes:
    cleaned = [" ".join(m.lower().split()) for m in mnemonics if m.strip()]
    try:
        key = shamir_mnemonic.combine_mnemonics(cleaned)
    except MnemonicError as exc:
        raise EscrowError(f"The shares do not rebuild a key: {exc}")
    if len(key) != keyring.KEY_BYTES:
        raise EscrowError("The shares rebuild a secret that is not an Amparo master key.")
    return key


def write_qr_codes(shares: list[Share], *, key_id: str, directory: Path) -> list[Path]:
    """One SVG per share, owner-only: print them, hand them over, then delete the files."""
    import segno

    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    paths = []
    for share in shares:
        path = directory / f"{key_id}-share-{share.number}-of-{len(shares)}.svg"
        segno.make(share.words, error="m").save(str(path), scale=4)
        path.chmod(0o600)
        paths.append(path)
    return paths


def keyring_line(key_id: str, key: bytes) -> str:
    return f"{key_id}:{base64.b64encode(key).decode()}"
