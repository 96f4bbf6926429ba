"""Settings of the OpenRosa server, read from the environment (documented in docs/openrosa.md)."""

from __future__ import annotations

from amparo.lib.env import envint, envlist, envstr

# The Digest realm is part of every stored HA1: changing it invalidates every phone's
# credentials (they must be re-issued), so it is fixed per deployment.
DIGEST_REALM = envstr("AMPARO_ODK_REALM", "Amparo")
# Digest algorithms accepted; the first is the one offered in the 401 challenge. OpenRosa's
# restricted Digest scheme requires MD5, which ODK Collect and KoboCollect use, so MD5 stays
# accepted whatever this says; add SHA-256 (RFC 7616) for clients that speak it.
DIGEST_ALGORITHMS = tuple(envlist("AMPARO_ODK_DIGEST_ALGORITHMS", "MD5"))
# A nonce is good for this many seconds; after that the client is told it is stale and
# recomputes silently (no password prompt on the phone).
NONCE_TTL_SECONDS = envint("AMPARO_ODK_NONCE_TTL", 900)
# Largest POST body we accept. Collect splits bigger submissions into several POSTs, each of
# at most the length we announce in X-OpenRosa-Accept-Content-Length (`accept_content_length`).
MAX_SUBMISSION_BYTES = envint("AMPARO_ODK_MAX_SUBMISSION_BYTES", 20 * 1024 * 1024)
# Largest single attachment (photo, audio) we keep.
MAX_ATTACHMENT_BYTES = envint("AMPARO_ODK_MAX_ATTACHMENT_BYTES", 15 * 1024 * 1024)
MAX_ATTACHMENTS = envint("AMPARO_ODK_MAX_ATTACHMENTS", 20)
# Largest submission XML (the form answers, or the encrypted manifest).
MAX_XML_BYTES = envint("AMPARO_ODK_MAX_XML_BYTES", 512 * 1024)
# RSA modulus of each organisation's form-encryption key.
RSA_KEY_BITS = envint("AMPARO_ODK_RSA_BITS", 3072)


# What one multipart part adds around a file: boundary, Content-Disposition with its name and
# file name (Collect repeats the file name, up to 255 bytes each), Content-Type and line ends.
PART_OVERHEAD_BYTES = 1024


def accept_content_length() -> int:
    """The length announced to phones, comfortably below what is accepted.

    Collect counts only the raw sizes of the XML and the files against the announced length
    (getodk/collect, OkHttpConnection.uploadSubmissionAndFiles: `byteCount += file.length()`),
    not the multipart boundaries and part headers around them. Announcing the body limit itself
    made a batch Collect counted as just under it arrive just over it: refused 413 and retried
    forever. So a tenth of the limit (at least the headers of every part) is kept in reserve.
    """
    reserve = max(MAX_SUBMISSION_BYTES // 10, (MAX_ATTACHMENTS + 2) * PART_OVERHEAD_BYTES)
    return MAX_SUBMISSION_BYTES - reserve
