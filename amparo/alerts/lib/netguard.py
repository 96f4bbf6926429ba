"""Outgoing HTTP that cannot be pointed at our own network (SSRF guard).

The host name is resolved once, every address it resolves to is checked, and the connection is
made to the checked address, so a DNS answer that changes between check and use (DNS rebinding)
cannot slip a private address in. Redirects are never followed. Loopback is refused unless the
caller passes ``allow_loopback`` (tests and the bench run their receivers on 127.0.0.1).
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_RESPONSE_BYTES = 64 * 1024


class BlockedDestination(Exception):
    """The URL is malformed or points at an address we refuse to call."""


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    headers: dict[str, str]
    body: bytes


def address_allowed(address: str, *, allow_loopback: bool = False) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return allow_loopback
    # is_global is False for private, link-local (cloud metadata 169.254.169.254), shared
    # (100.64/10), reserved and unspecified ranges; multicast is global but never a web server.
    return ip.is_global and not ip.is_multicast


def resolve_checked(host: str, port: int, *, allow_loopback: bool = False) -> str:
    """Resolve ``host`` once; refuse it if any address it maps to is not allowed."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise BlockedDestination(f"cannot resolve host: {exc}") from exc
    # With a host name (not AF_UNIX/AF_PACKET) every sockaddr starts with the address as a string.
    addresses = list(dict.fromkeys(info[4][0] for info in infos if isinstance(info[4][0], str)))
    if not addresses:
        raise BlockedDestination("host has no address")
    for address in addresses:
        if not address_allowed(address, allow_loopback=allow_loopback):
            raise BlockedDestination("destination address is not allowed")
    return addresses[0]


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a fixed address while verifying the certificate for the real host name."""

    def __init__(self, address: str, port: int, *, server_hostname: str, timeout: float) -> None:
        self._ssl_context = ssl.create_default_context()
        super().__init__(address, port, timeout=timeout, context=self._ssl_context)
        self._server_hostname = server_hostname

    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._ssl_context.wrap_socket(sock, server_hostname=self._server_hostname)


def post(
    url: str,
    *,
    body: bytes,
    headers: dict[str, str],
    timeout: float = 10.0,
    allow_loopback: bool = False,
) -> HttpAnswer:
    """POST ``body`` to ``url`` through the guard. Raises BlockedDestination or OSError."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise BlockedDestination("only http and https URLs are allowed")
    if parts.username or parts.password:
        raise BlockedDestination("credentials in URLs are not allowed")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise BlockedDestination("invalid port") from exc
    address = resolve_checked(parts.hostname, port, allow_loopback=allow_loopback)
    if parts.scheme == "https":
        conn: http.client.HTTPConnection = _PinnedHTTPSConnection(
            address, port, server_hostname=parts.hostname, timeout=timeout
        )
    else:
        conn = http.client.HTTPConnection(address, port, timeout=timeout)
    default_port = 443 if parts.scheme == "https" else 80
    host_header = parts.hostname if port == default_port else f"{parts.hostname}:{port}"
    if ":" in parts.hostname and not host_header.startswith("["):
        host_header = f"[{parts.hostname}]" + ("" if port == default_port else f":{port}")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request("POST", path, body=body, headers={"Host": host_header, **headers})
        response = conn.getresponse()
        data = response.read(MAX_RESPONSE_BYTES)
        return HttpAnswer(
            status=response.status,
            headers={k.lower(): v for k, v in response.getheaders()},
            body=data,
        )
    finally:
        conn.close()
