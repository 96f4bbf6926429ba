"""ODK encrypted submissions, written from the ODK XForms encryption specification
(https://getodk.github.io/xforms-spec/encryption) and checked against what ODK Collect does.

For each filled form the phone draws a random 256-bit AES key, encrypts every attachment and
then submission.xml with AES/CFB/PKCS5Padding (Java's name: CFB with a 128-bit segment and
PKCS#7 padding), and wraps the AES key with the form's RSA public key using
RSA/NONE/OAEPWithSHA256AndMGF1Padding. The IV for file n is derived from
MD5(instanceID || key): before each file, byte (n mod 16) of that seed is incremented.
A plaintext manifest names the encrypted files in the order they were encrypted.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

try:  # cryptography >= 47 keeps CFB among the "decrepit" modes; it is what ODK uses.
    from cryptography.hazmat.decrepit.ciphers.modes import CFB
except ImportError:  # pragma: no cover
    from cryptography.hazmat.primitives.ciphers.modes import CFB

from amparo.openrosa.lib.safexml import EncryptedManifest

AES_KEY_BYTES = 32
BLOCK = 16
ENC_SUFFIX = ".enc"


class DecryptionFailed(ValueError):
    """The submission cannot be decrypted with this organisation's key."""


def generate_private_key(bits: int = 3072) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def private_key_to_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def private_key_from_pem(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise DecryptionFailed("not an RSA key")
    return key


def public_key_base64(key: rsa.RSAPrivateKey | rsa.RSAPublicKey) -> str:
    """The value of the XForm's base64RsaPublicKey: base64 of the DER SubjectPublicKeyInfo
    (what Java's X509EncodedKeySpec reads on the phone)."""
    public = key.public_key() if isinstance(key, rsa.RSAPrivateKey) else key
    der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


def public_key_from_base64(value: str) -> rsa.RSAPublicKey:
    key = serialization.load_der_public_key(base64.b64decode(value))
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key


# Java's "OAEPWithSHA256AndMGF1Padding" as ODK Collect gets it on Android (and as ODK Central
# decrypts it): SHA-256 for the label hash and for MGF1. A SunJCE build would use MGF1 with
# SHA-1, so that is tried second rather than losing a submission from such a client.
OAEP_SHA256 = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
OAEP_SHA256_MGF1_SHA1 = padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA256(), label=None)  # noqa: S303


def rsa_unwrap(private_key: rsa.RSAPrivateKey, b64: str) -> bytes:
    try:
        blob = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        raise DecryptionFailed("wrapped key is not base64")
    for scheme in (OAEP_SHA256, OAEP_SHA256_MGF1_SHA1):
        try:
            return private_key.decrypt(blob, scheme)
        except ValueError:
            continue
    raise DecryptionFailed("the wrapped key does not open with this organisation's private key")


def iv_sequence(instance_id: str, key: bytes, count: int) -> list[bytes]:
    seed = bytearray(hashlib.md5(instance_id.encode("utf-8") + key).digest())  # noqa: S324 - the spec's IV derivation
    ivs = []
    for counter in range(count):
        seed[counter % BLOCK] = (seed[counter % BLOCK] + 1) % 256
        ivs.append(bytes(seed))
    return ivs


def aes_cfb_decrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    if not data or len(data) % BLOCK:
        raise DecryptionFailed("encrypted file length is not a whole number of blocks")
    decryptor = Cipher(algorithms.AES(key), CFB(iv)).decryptor()
    padded = decryptor.update(data) + decryptor.finalize()
    pad = padded[-1]
    if not 1 <= pad <= BLOCK or padded[-pad:] != bytes([pad]) * pad:
        raise DecryptionFailed("bad padding: wrong key or damaged file")
    return padded[:-pad]


def aes_cfb_encrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    pad = BLOCK - len(data) % BLOCK
    encryptor = Cipher(algorithms.AES(key), CFB(iv)).encryptor()
    return encryptor.update(data + bytes([pad]) * pad) + encryptor.finalize()


def signature_source(
    *, form_id: str, version: str, base64_key: str, instance_id: str, files: Sequence[tuple[str, bytes]]
) -> bytes:
    lines = [form_id]
    if version:
        lines.append(version)
    lines += [base64_key, instance_id]
    lines += [f"{name}::{hashlib.md5(content).hexdigest()}" for name, content in files]  # noqa: S324
    return ("\n".join(lines) + "\n").encode("utf-8")


@dataclass(frozen=True)
class Decrypted:
    xml: bytes
    media: dict[str, bytes]  # original file name -> plaintext
    signature_valid: bool | None  # None when the phone sent no signature


def original_name(encrypted_name: str) -> str:
    return encrypted_name[: -len(ENC_SUFFIX)] if encrypted_name.endswith(ENC_SUFFIX) else encrypted_name


def decrypt_submission(
    *, private_key: rsa.RSAPrivateKey, manifest: EncryptedManifest, files: Mapping[str, bytes]
) -> Decrypted:
    """Decrypt every file named in the manifest. `files` maps part names to encrypted bytes."""
    missing = [name for name in (*manifest.media_files, manifest.encrypted_xml_file) if name not in files]
    if missing:
        raise DecryptionFailed("missing encrypted files: " + ", ".join(missing))
    key = rsa_unwrap(private_key, manifest.base64_encrypted_key)
    if len(key) != AES_KEY_BYTES:
        raise DecryptionFailed("the wrapped key is not a 256-bit AES key")
    order = [*manifest.media_files, manifest.encrypted_xml_file]
    ivs = iv_sequence(manifest.instance_id, key, len(order))
    plain: list[tuple[str, bytes]] = []
    for name, iv in zip(order, ivs, strict=True):
        plain.append((original_name(name), aes_cfb_decrypt(key, iv, files[name])))
    signature_valid: bool | None = None
    if manifest.signature:
        try:
            claimed = rsa_unwrap(private_key, manifest.signature)
        except DecryptionFailed:
            signature_valid = False
        else:
            source = signature_source(
                form_id=manifest.form_id,
                version=manifest.version,
                base64_key=manifest.base64_encrypted_key,
                instance_id=manifest.instance_id,
                files=plain,
            )
            signature_valid = claimed == hashlib.md5(source).digest()  # noqa: S324
    xml_name, xml = plain[-1]
    return Decrypted(xml=xml, media=dict(plain[:-1]), signature_valid=signature_valid)
