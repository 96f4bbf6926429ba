"""What an operator installs from deploy/ matches the application: one template, the app's own limits."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from django.conf import settings

from amparo.web import deploy

DEPLOY = Path(settings.PROJECT_DIR) / "deploy"


def _site(**overrides: str) -> str:
    return deploy.render(deploy.Site(server_name="amparo.example.org", **overrides))


def _location(text: str, prefix: str) -> str:
    match = re.search(rf"\n    location {re.escape(prefix)} {{\n(.*?)\n    }}", text, re.S)
    assert match, f"no location for {prefix}"
    return match.group(1)


def _bytes(size: str) -> int:
    assert size.endswith("m")
    return int(size[:-1]) * 1024 * 1024


def test_every_anonymous_route_is_left_out_of_nginx_logs() -> None:
    from amparo.web.middleware import ANONYMOUS_PREFIXES

    text = _site()
    for prefix in (*ANONYMOUS_PREFIXES, "/odk/"):
        block = _location(text, prefix)
        assert "access_log off;" in block and "error_log /dev/null crit;" in block
        for header in ("X-Forwarded-For", "User-Agent", "Referer"):
            assert f'proxy_set_header {header} "";' in block
        assert f"~^{re.escape(prefix)} 0;" in text
    # Staff pages under the phones' prefix are logged like any page.
    assert "access_log off" not in _location(text, "/odk/gestion/")
    log_format = re.search(r"log_format amparo_private '([^']*)'", text).group(1)
    assert "$remote_addr" not in log_format and "$http_user_agent" not in log_format and "$request_uri" not in log_format


def test_request_size_limits_match_the_applications() -> None:
    from amparo.intake.publicform import max_request_bytes
    from amparo.openrosa import conf as odk

    text = _site()
    limit = re.compile(r"client_max_body_size (\d+m);")
    assert _bytes(limit.search(_location(text, "/r/")).group(1)) >= max_request_bytes()
    assert _bytes(limit.search(_location(text, "/odk/")).group(1)) >= odk.MAX_SUBMISSION_BYTES
    # Not much above them either: nginx should refuse what the application would refuse anyway.
    assert _bytes(limit.search(_location(text, "/r/")).group(1)) < max_request_bytes() + 2 * 1024 * 1024


def test_the_rendered_site_is_accepted_by_nginx(tmp_path: Path) -> None:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    from amparo.lib.tools import require

    nginx = require("nginx", package="nginx")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "amparo.example.org")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    (tmp_path / "c.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "k.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    site = _site(certificate=str(tmp_path / "c.pem"), certificate_key=str(tmp_path / "k.pem"), upstream="127.0.0.1:8000",
                 access_log=str(tmp_path / "a.log"), error_log=str(tmp_path / "e.log"))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path / 'nginx.pid'};\nerror_log {tmp_path / 'e.log'};\nevents {{}}\n"
        f"http {{ include /etc/nginx/mime.types; include {tmp_path / 'site.conf'}; }}\n"
    )
    checked = subprocess.run([nginx, "-t", "-q", "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr


def test_the_template_names_only_values_the_renderer_fills() -> None:
    placeholders = set(re.findall(r"{{\s*([a-z_]+)\s*}}", deploy.TEMPLATE.read_text()))
    text = _site()
    assert "{{" not in text
    assert {"server_name", "upstream", "anonymous_locations", "no_log_map"} <= placeholders


def test_the_environment_template_sets_what_production_requires_and_documents_the_rest() -> None:
    template = (DEPLOY / "amparo.env.template").read_text()
    names = set(re.findall(r"(?m)^(AMPARO_[A-Z_]+)=", template))
    required = {"AMPARO_PRODUCTION", "AMPARO_SITE_URL", "AMPARO_ALLOWED_HOSTS", "AMPARO_SECRET_KEY_FILE",
                "AMPARO_MASTER_KEY_FILE", "AMPARO_DATABASE_URL", "AMPARO_REDIS_URL", "AMPARO_VAPID_PRIVATE_KEY"}
    assert required <= names
    documented = set(re.findall(r"(?m)^#?\s*(AMPARO_[A-Z_]+)=", (Path(settings.PROJECT_DIR) / ".env.example").read_text()))
    secrets_by_file = {name for name in names if name.endswith("_FILE") and name[: -len("_FILE")] in documented}
    undocumented = names - documented - secrets_by_file
    assert not undocumented, f"document these in .env.example: {sorted(undocumented)}"


def test_the_services_read_the_environment_file_and_run_as_amparo() -> None:
    units = sorted((DEPLOY / "systemd").glob("*.service"))
    assert {u.name for u in units} == {"amparo-web.service", "amparo-worker.service", "amparo-backup.service"}
    for unit in units:
        text = unit.read_text()
        assert "EnvironmentFile=/etc/amparo/amparo.env" in text and "User=amparo" in text and "NoNewPrivileges=yes" in text
    assert "amparo backup create --nightly" in (DEPLOY / "systemd" / "amparo-backup.service").read_text()
    assert "AMPARO_BACKUP_NIGHTLY=false" in (DEPLOY / "amparo.env.template").read_text()  # the timer, not the queue
    assert "--access-logfile" not in (DEPLOY / "systemd" / "amparo-web.service").read_text()
    timer = (DEPLOY / "systemd" / "amparo-backup.timer").read_text()
    assert "OnCalendar=" in timer and "Persistent=true" in timer
