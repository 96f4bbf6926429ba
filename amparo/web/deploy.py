"""Render the production nginx site from deploy/nginx/amparo.conf.template (the one source).

The operator's copy (`amparo deploy nginx`) and the production test's copy come from the same
template and the same values, so the request size limits and the routes that must leave no trace
are taken from the application itself rather than retyped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

TEMPLATE = Path(settings.PROJECT_DIR) / "deploy" / "nginx" / "amparo.conf.template"
_PLACEHOLDER = re.compile(r"{{\s*([a-z_]+)\s*}}")

# Field phones (ODK Collect) call /odk/<organisation>/...; staff screens live under /odk/gestion/.
OPENROSA_PREFIX = "/odk/"
OPENROSA_STAFF_PREFIX = "/odk/gestion/"


@dataclass(frozen=True)
class Site:
    server_name: str
    upstream: str = "unix:/run/amparo/gunicorn.sock"
    https_listen: str = "443"
    http_listen: str = "80"
    certificate: str = ""
    certificate_key: str = ""
    static_root: str = ""
    access_log: str = "/var/log/nginx/amparo.access.log"
    error_log: str = "/var/log/nginx/amparo.error.log"


def _megabytes(size: int) -> str:
    """nginx size with room for multipart boundaries and headers, rounded up to whole megabytes."""
    return f"{-(-(size + 256 * 1024) // (1024 * 1024))}m"


def body_limits() -> dict[str, int]:
    """The largest request body the application accepts per prefix, in bytes (other prefixes: Django's limit)."""
    import amparo.api  # noqa: F401 - loads the routers in their order (intake.api cannot be imported first)
    from amparo.evidence.services import MAX_EVIDENCE_BYTES
    from amparo.intake.api import MAX_JSON_BYTES
    from amparo.intake.publicform import max_request_bytes
    from amparo.openrosa import conf as odk

    return {
        "/r/": max_request_bytes(),
        "/api/v1/public/": MAX_JSON_BYTES,
        OPENROSA_PREFIX: odk.MAX_SUBMISSION_BYTES,
        "staff": max(MAX_EVIDENCE_BYTES, settings.DATA_UPLOAD_MAX_MEMORY_SIZE),
    }


def untraced_prefixes() -> tuple[str, ...]:
    """Every prefix whose requests nginx must not log: the application's anonymous routes and the phones'."""
    from amparo.web.middleware import ANONYMOUS_PREFIXES

    return (*ANONYMOUS_PREFIXES, OPENROSA_PREFIX)


_PROXY_HEADERS = """\
        proxy_set_header Connection "";
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-Proto $scheme;"""


def _anonymous_locations() -> str:
    limits = body_limits()
    blocks = []
    for prefix in untraced_prefixes():
        # No address, user agent or referrer leaves nginx for these routes (the application strips
        # them again: two locks on one door). Setting any proxy_set_header here replaces the server's.
        blocks.append(
            f"    location {prefix} {{\n"
            "        access_log off;\n"
            "        error_log /dev/null crit;\n"
            f"        client_max_body_size {_megabytes(limits.get(prefix, settings.DATA_UPLOAD_MAX_MEMORY_SIZE))};\n"
            f"{_PROXY_HEADERS}\n"
            '        proxy_set_header X-Forwarded-For "";\n'
            '        proxy_set_header User-Agent "";\n'
            '        proxy_set_header Referer "";\n'
            "        proxy_pass http://amparo_app;\n"
            "    }"
        )
    # Staff screens under the phones' prefix are ordinary pages, logged like the rest.
    blocks.append(f"    location {OPENROSA_STAFF_PREFIX} {{\n        proxy_pass http://amparo_app;\n    }}")
    return "\n".join(blocks)


def _no_log_map() -> str:
    lines = [f"    ~^{re.escape(OPENROSA_STAFF_PREFIX)} 1;"]
    lines += [f"    ~^{re.escape(prefix)} 0;" for prefix in untraced_prefixes()]
    return "\n".join(lines)


def render(site: Site) -> str:
    https_port = site.https_listen.rsplit(":", 1)[-1].split()[0]
    values = {
        "server_name": site.server_name,
        "upstream": site.upstream,
        "https_listen": site.https_listen,
        "http_listen": site.http_listen,
        "https_port_suffix": "" if https_port == "443" else f":{https_port}",
        "certificate": site.certificate or f"/etc/letsencrypt/live/{site.server_name}/fullchain.pem",
        "certificate_key": site.certificate_key or f"/etc/letsencrypt/live/{site.server_name}/privkey.pem",
        "static_root": (site.static_root or str(settings.DATA_DIR / "static")).rstrip("/"),
        "access_log": site.access_log,
        "error_log": site.error_log,
        "max_body_staff": _megabytes(body_limits()["staff"]),
        "anonymous_locations": _anonymous_locations(),
        "no_log_map": _no_log_map(),
    }
    text = TEMPLATE.read_text()
    missing = {name for name in _PLACEHOLDER.findall(text) if name not in values}
    if missing:
        raise KeyError(f"the nginx template names values nobody fills: {sorted(missing)}")
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], text)
