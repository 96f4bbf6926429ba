"""Web Push message encryption, RFC 8291 with the aes128gcm content coding of RFC 8188.

One record only: push services accept at most 4096 bytes of body, so a message either fits in one
record or is refused. ``decrypt`` is what a browser does; it lets tests check what we send.
"""

from __future__ import annotations

import os
import struct

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hmac import HMAC

RECORD_SIZE = 4096
TAG_LENGTH = 16
HEADER_LENGTH = 16 + 4 + 1 + 65
# The largest plaintext that fits one 4096-byte record with its delimiter and tag.
MAX_PLAINTEXT = RECORD_SIZE - HEADER_LENGTH - TAG_LENGTH - 1


class EncryptionError(ValueError):
    pass


def _hmac_sha256(key: bytes, data: bytes) -> bytes:
    mac = HMAC(key, hashes.SHA256())
    mac.update(data)
    return mac.finalize()


def _hkdf(salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    prk = _hmac_sha256(salt, ikm)  # HKDF-Extract
    return _hmac_sha256(prk, info + b"\x01")[:length]  # HKDF-Expand, one block is enough


def _public_bytes(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def public_key_from_bytes(data: bytes) -> ec.EllipticCurvePublicKey:
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), data)
    except ValueError as exc:
        raise EncryptionError("not a P-256 public key") from exc


def private_key_from_bytes(data: bytes) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(int.from_bytes(data, "big"), ec.SECP256R1())


def _keys(
    *, ecdh_secret: bytes, auth_secret: bytes, ua_public: bytes, as_public: bytes, salt: bytes
) -> tuple[bytes, bytes]:
    ikm = _hkdf(auth_secret, ecdh_secret, b"WebPush: info\x00" + ua_public + as_public, 32)
    cek = _hkdf(salt, ikm, b"Content-Encoding: aes128gcm\x00", 16)
    nonce = _hkdf(salt, ikm, b"Content-Encoding: nonce\x00", 12)
    return cek, nonce


def encrypt(
    plaintext: bytes,
    *,
    ua_public: bytes,
    auth_secret: bytes,
    salt: bytes | None = None,
    as_private: ec.EllipticCurvePrivateKey | None = None,
) -> bytes:
    """Encrypt for the subscription keys ``p256dh`` (ua_public) and ``auth``. Salt and sender key
    are fresh for every message; they are parameters only so the RFC test vector can be replayed."""
    if len(plaintext) > MAX_PLAINTEXT:
        raise EncryptionError("payload too large for one Web Push record")
    if len(auth_secret) != 16:
        raise EncryptionError("auth secret must be 16 bytes")
    ua_key = public_key_from_bytes(ua_public)
    salt = os.urandom(16) if salt is None else salt
    as_private = ec.generate_private_key(ec.SECP256R1()) if as_private is None else as_private
    as_public = _public_bytes(as_private.public_key())
    ecdh_secret = as_private.exchange(ec.ECDH(), ua_key)
    cek, nonce = _keys(
        ecdh_secret=ecdh_secret,
        auth_secret=auth_secret,
        ua_public=ua_public,
        as_public=as_public,
        salt=salt,
    )
    record = AESGCM(cek).encrypt(nonce, plaintext + b"\x02", None)
    return salt + struct.pack("!IB", RECORD_SIZE, len(as_public)) + as_public + record


def decrypt(body: bytes, *, ua_private: ec.EllipticCurvePrivateKey, auth_secret: bytes) -> bytes:
    if len(body) < HEADER_LENGTH + TAG_LENGTH:
        raise EncryptionError("body too short")
    salt = body[:16]
    record_size, id_length = struct.unpack("!IB", body[16:21])
    as_public = body[21 : 21 + id_length]
    ciphertext = body[21 + id_length :]
    if len(ciphertext) > record_size:
        raise EncryptionError("more than one record")
    ua_public = _public_bytes(ua_private.public_key())
    ecdh_secret = ua_private.exchange(ec.ECDH(), public_key_from_bytes(as_public))
    cek, nonce = _keys(
        ecdh_secret=ecdh_secret,
        auth_secret=auth_secret,
        ua_public=ua_public,
        as_public=as_public,
        salt=salt,
    )
    try:
        padded = AESGCM(cek).decrypt(nonce, ciphertext, None)
    except Exception as exc:  # InvalidTag
        raise EncryptionError("authentication failed") from exc
    content = padded.rstrip(b"\x00")
    if not content.endswith(b"\x02"):
        raise EncryptionError("missing last-record delimiter")
    return content[:-1]
