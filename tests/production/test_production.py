"""The production set-up, run for real on this machine: what an operator installs from deploy/.

nginx (Debian's package) on loopback ports with a self-signed certificate, rendered from the same
template as `amparo deploy nginx`; gunicorn with AMPARO_PRODUCTION=1 on its own PostgreSQL
database; the huey consumer on Redis under its own queue name; a real SMTP receiver (aiosmtpd).

A coordinator signs in through HTTPS and records an incident; a person sends an anonymous report
and someone raises an alarm from the emergency form, both through nginx; the consumer e-mails the
alarm. Then nginx's and the application's logs are searched for any trace of the anonymous
visitors, and the public form's first load is weighed as a phone receives it through nginx.

Select it with `pytest -m production`. It needs PostgreSQL on 127.0.0.1:5432 and Redis on
127.0.0.1:6379 (`make test` starts both) and fails, never skips, when something is missing.
"""

from __future__ import annotations

import datetime
import gzip
import http.client
import ipaddress
import json
import os
import re
import secrets
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

pytestmark = [pytest.mark.production, pytest.mark.browser, pytest.mark.timeout(240)]

PROJECT_DIR = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
BUDGET_BYTES = 14 * 1024
PASSWORD = "una clave larga de prueba 2026"
# What an anonymous visitor's phone would give away, sent on purpose and searched for afterwards.
VISITOR_AGENT = "Mozilla/5.0 (Linux; Android 11; AmparoProdTestPhone) Visitor-7c1e"
VISITOR_ADDRESS = "203.0.113.77"
NARRATIVE = "Prueba de producción: nos quitaron el celular en la avenida."


def _free_port() -> int:
    from amparo.intake.testing import free_port

    return free_port()


def _wait_for(check, *, seconds: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _self_signed(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "site.crt", directory / "site.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    key_path.chmod(0o600)
    return cert_path, key_path


@dataclass
class Mailbox:
    messages: list[tuple[list[str], bytes]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802 (aiosmtpd's name)
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 OK"


@dataclass
class Site:
    url: str
    http_url: str
    env: dict[str, str]
    directory: Path
    cert: Path
    mailbox: Mailbox
    totp_key: str
    emergency_token: str
    logs: dict[str, Path]

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [str(VENV_BIN / "amparo"), *args], env=self.env, cwd=PROJECT_DIR, capture_output=True, text=True, timeout=300, check=False,
        )
        assert done.returncode == 0, f"amparo {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def commands(self, *commands: tuple[str, ...]) -> None:
        """Run `amparo` commands one after the other in one process (as `amparo X` would each)."""
        script = (
            "import sys\nfrom amparo.cli import main\n"
            f"for argv in {[list(c) for c in commands]!r}:\n"
            "    try:\n        main(argv)\n    except SystemExit as exit:\n"
            "        if exit.code:\n            sys.exit(f'amparo {argv} failed: {exit.code}')\n"
        )
        done = subprocess.run([sys.executable, "-c", script], env=self.env, cwd=PROJECT_DIR, capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, f"{commands} failed:\n{done.stdout}\n{done.stderr}"

    def query(self, code: str) -> object:
        """Run Python in the production environment; `code` sets `result`, which comes back as JSON.

        Production refuses `shell` unless the operator gives a reason, which goes to the audit trail.
        """
        done = subprocess.run(
            [str(VENV_BIN / "amparo"), "shell", "-c", f"import json\n{code}\nprint('RESULT:' + json.dumps(result))"],
            env={**self.env, "AMPARO_OPERATOR_REASON": "production test"}, cwd=PROJECT_DIR,
            capture_output=True, text=True, timeout=300, check=False,
        )
        assert done.returncode == 0, f"amparo shell failed:\n{done.stdout}\n{done.stderr}"
        out = done.stdout
        return json.loads(out.rsplit("RESULT:", 1)[1])

    def tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))

    def request(self, method: str, path: str, *, body: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes, int]:
        """(status, headers, raw body as sent on the wire, header bytes), over HTTPS through nginx."""
        parsed = urllib.parse.urlsplit(self.url)
        conn = http.client.HTTPSConnection(parsed.hostname, parsed.port, context=self.tls(), timeout=30)
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        raw = response.read()
        header_bytes = len(f"HTTP/1.1 {response.status} {response.reason}\r\n") + sum(len(k) + len(v) + 4 for k, v in response.getheaders()) + 2
        result = response.status, {k.lower(): v for k, v in response.getheaders()}, raw, header_bytes
        conn.close()
        return result


def _database_url() -> str:
    base = os.environ.get("AMPARO_DATABASE_URL", "")
    base = base if base.startswith("postgres") else "postgres://postgres@127.0.0.1:5432/amparo"
    parts = urllib.parse.urlsplit(base)
    # Its own database, named after this process so parallel runs never meet.
    return urllib.parse.urlunsplit(parts._replace(path=f"/{parts.path.strip('/') or 'amparo'}_production_{os.getpid()}"))


def _admin_connection(url: str):  # type: ignore[no-untyped-def]
    import psycopg

    parts = urllib.parse.urlsplit(url)
    try:
        return psycopg.connect(urllib.parse.urlunsplit(parts._replace(path="/postgres")), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable at {parts.hostname}:{parts.port} ({exc}); `make test` starts it.", pytrace=False)


def _redis(url: str):  # type: ignore[no-untyped-def]
    import redis

    client = redis.Redis.from_url(url, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is not reachable at {url} ({exc}); `make test` starts it.", pytrace=False)
    return client


def _start(argv: list[str], *, env: dict[str, str], log: Path) -> subprocess.Popen:
    handle = log.open("ab")
    return subprocess.Popen(argv, env=env, cwd=PROJECT_DIR, stdout=handle, stderr=subprocess.STDOUT)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _nginx_conf(directory: Path, *, https_port: int, http_port: int, upstream: str, cert: Path, key: Path, static_root: Path) -> Path:
    """Debian's nginx.conf in miniature around the site rendered from deploy/'s template."""
    from amparo.web.deploy import Site as NginxSite
    from amparo.web.deploy import render

    logs = directory / "nginx"
    logs.mkdir()
    site = render(NginxSite(
        server_name="localhost", upstream=upstream, https_listen=f"127.0.0.1:{https_port}",
        http_listen=f"127.0.0.1:{http_port}", certificate=str(cert), certificate_key=str(key),
        static_root=str(static_root), access_log=str(logs / "access.log"), error_log=str(logs / "error.log"),
    ))
    (directory / "amparo-site.conf").write_text(site)
    user = "user root;\n" if os.geteuid() == 0 else ""
    main = directory / "nginx.conf"
    main.write_text(
        f"{user}worker_processes 1;\npid {logs / 'nginx.pid'};\nerror_log {logs / 'error.log'} warn;\n"
        "events { worker_connections 256; }\n"
        "http {\n"
        "    include /etc/nginx/mime.types;\n    default_type application/octet-stream;\n    sendfile on;\n"
        f"    access_log {logs / 'access.log'};\n"
        + "".join(f"    {kind}_temp_path {logs / kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        + f"    include {directory / 'amparo-site.conf'};\n"
        "}\n"
    )
    return main


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    from aiosmtpd.controller import Controller

    from amparo.alerts.channels.webpush import generate_vapid_key
    from amparo.lib.tools import require

    nginx = require("nginx", package="nginx")
    directory = Path(tempfile.mkdtemp(prefix="amparo-production-"))
    database_url = _database_url()
    admin = _admin_connection(database_url)
    db_name = urllib.parse.urlsplit(database_url).path.strip("/")
    admin.execute(f'DROP DATABASE IF EXISTS "{db_name}"')
    admin.execute(f'CREATE DATABASE "{db_name}"')
    redis_url = "redis://127.0.0.1:6379/0"
    redis_client = _redis(redis_url)
    queue = f"amparo-production-test-{os.getpid()}"

    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    smtp.start()
    https_port, http_port, app_port = _free_port(), _free_port(), _free_port()
    url = f"https://localhost:{https_port}"
    data_dir = directory / "data"
    data_dir.mkdir()
    (directory / "secret_key").write_text(secrets.token_urlsafe(50))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AMPARO_", "DJANGO_"))}
    env.update({
        "AMPARO_PRODUCTION": "1",
        # `amparo shell` (how this test reads the database) is refused in production without a stated reason.
        "AMPARO_OPERATOR_REASON": "production test checks what it recorded",
        "AMPARO_SECRET_KEY_FILE": str(directory / "secret_key"),
        "AMPARO_ALLOWED_HOSTS": "localhost",
        "AMPARO_CSRF_TRUSTED_ORIGINS": url,
        "AMPARO_SITE_URL": url,
        "AMPARO_PROXY_COUNT": "1",
        "AMPARO_DATA_DIR": str(data_dir),
        "AMPARO_MASTER_KEY_FILE": str(directory / "master.keys"),
        "AMPARO_DATABASE_URL": database_url,
        "AMPARO_REDIS_URL": redis_url,
        "AMPARO_HUEY_NAME": queue,
        "AMPARO_SMTP_HOST": "127.0.0.1",
        "AMPARO_SMTP_PORT": str(smtp.port),
        "AMPARO_FROM_EMAIL": "amparo@localhost",
        "AMPARO_VAPID_PRIVATE_KEY": generate_vapid_key(),
        "PYTHONUNBUFFERED": "1",
    })
    processes: list[subprocess.Popen] = []
    logs = {"gunicorn": directory / "gunicorn.log", "worker": directory / "worker.log",
            "nginx-access": directory / "nginx" / "access.log", "nginx-error": directory / "nginx" / "error.log"}
    totp_key = secrets.token_hex(20)
    try:
        partial = Site(url=url, http_url=f"http://localhost:{http_port}", env=env, directory=directory, cert=Path(),
                       mailbox=mailbox, totp_key=totp_key, emergency_token="", logs=logs)
        # What docs/operations.md tells the operator to run, in the same order; in one process,
        # since every start of Django costs seconds on a busy machine.
        partial.commands(
            ("keys", "init"), ("migrate", "--noinput", "-v", "0"), ("collectstatic", "--noinput", "-v", "0"),
            ("createorg", "Colectiva Lima", "--slug", "lima", "--region", "15"),
        )
        token = partial.query(
            "from django_otp.plugins.otp_totp.models import TOTPDevice\n"
            "from amparo.accounts.models import Organisation, Role\n"
            "from amparo.accounts.services import membership_create, user_create\n"
            "from amparo.alerts.services import alert_settings_for\n"
            "org = Organisation.objects.get(slug='lima')\n"
            f"user = user_create(username='carmen', password={PASSWORD!r}, email='carmen@example.org')\n"
            "membership_create(user=user, organisation=org, role=Role.COORDINATOR, acting_user=None)\n"
            f"TOTPDevice.objects.create(user=user, name='phone', confirmed=True, key={totp_key!r})\n"
            "result = alert_settings_for(org).emergency_token\n"
        )
        cert, key = _self_signed(directory)
        main_conf = _nginx_conf(directory, https_port=https_port, http_port=http_port, upstream=f"127.0.0.1:{app_port}",
                                cert=cert, key=key, static_root=data_dir / "static")
        processes.append(_start([
            str(VENV_BIN / "gunicorn"), "amparo.wsgi", "--bind", f"127.0.0.1:{app_port}", "--workers", "2",
            "--threads", "4", "--worker-class", "gthread", "--error-logfile", "-", "--log-level", "warning",
        ], env=env, log=logs["gunicorn"]))
        processes.append(_start([str(VENV_BIN / "amparo"), "run_huey", "--workers", "2", "--worker-type", "thread"],
                                env=env, log=logs["worker"]))
        checked = subprocess.run([nginx, "-t", "-q", "-c", str(main_conf)], capture_output=True, text=True, check=False)
        assert checked.returncode == 0, f"nginx refuses the rendered site:\n{checked.stderr}"
        processes.append(_start([nginx, "-c", str(main_conf), "-g", "daemon off;"], env=env, log=directory / "nginx-stdout.log"))
        ready = Site(url=url, http_url=partial.http_url, env=env, directory=directory, cert=cert, mailbox=mailbox,
                     totp_key=totp_key, emergency_token=str(token), logs=logs)

        def answers() -> bool:
            for process in processes:
                assert process.poll() is None, f"{process.args[0]} exited:\n" + "\n".join(
                    p.read_text(errors="replace")[-3000:] for p in (logs["gunicorn"], directory / "nginx-stdout.log") if p.exists())
            try:
                return ready.request("GET", "/cuenta/entrar/")[0] == 200
            except OSError:
                return False

        _wait_for(answers, seconds=60, what="gunicorn behind nginx")
        yield ready
    finally:
        for process in processes:  # all at once: each may take a few seconds to finish its requests
            if process.poll() is None:
                process.terminate()
        for process in reversed(processes):
            _stop(process)
        smtp.stop()
        for key_name in redis_client.scan_iter(match=f"*{queue}*"):
            redis_client.delete(key_name)
        admin.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        admin.close()
        shutil.rmtree(directory, ignore_errors=True)


def _totp(key_hex: str) -> str:
    from django_otp.oath import totp

    return f"{totp(bytes.fromhex(key_hex)):06d}"


def _first_load(site: Site, browser, path: str) -> tuple[int, list[tuple[str, int]]]:  # type: ignore[no-untyped-def]
    """Bytes a phone receives for the page and everything it loads, compressed as nginx sends them."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, ignore_https_errors=True, user_agent=VISITOR_AGENT)
    page = context.new_page()
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    page.goto(f"{site.url}{path}", wait_until="networkidle")
    context.close()
    weights = []
    for address in dict.fromkeys(urls):
        assert address.startswith(site.url), f"the form loads something from elsewhere: {address}"
        status, headers, raw, header_bytes = site.request("GET", address[len(site.url):], headers={
            "Accept-Encoding": "gzip, deflate, br", "User-Agent": VISITOR_AGENT,
        })
        assert status == 200, (address, status)
        content_type = headers.get("content-type", "")
        if content_type.startswith(("text/", "application/javascript", "application/json", "image/svg")) and len(raw) > 256:
            assert headers.get("content-encoding") == "gzip", f"{address} went uncompressed ({content_type})"
            gzip.decompress(raw)  # really gzip
        weights.append((address[len(site.url):], len(raw) + header_bytes))
    return sum(size for _, size in weights), weights


def test_production_set_up_through_nginx(site: Site) -> None:
    from playwright.sync_api import sync_playwright

    from amparo.lib.browser import launch

    started = time.monotonic()
    # Plain HTTP only redirects; HTTPS carries one HSTS header.
    conn = http.client.HTTPConnection("127.0.0.1", int(site.http_url.rsplit(":", 1)[1]), timeout=10)
    conn.request("GET", "/r/lima/", headers={"Host": site.http_url.split("//")[1]})
    redirect = conn.getresponse()
    assert redirect.status == 301 and redirect.getheader("Location") == f"{site.url}/r/lima/"
    conn.close()
    status, headers, _, _ = site.request("GET", "/cuenta/entrar/")
    assert status == 200 and headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"

    with sync_playwright() as p:
        browser = launch(p)
        # A coordinator signs in through HTTPS with her password and two-factor code, and records an incident.
        context = browser.new_context(viewport={"width": 1000, "height": 900}, ignore_https_errors=True, locale="es-PE")
        page = context.new_page()
        page.goto(f"{site.url}/cuenta/entrar/")
        page.fill("#id_username", "carmen")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/cuenta/verificar/")
        page.fill("#id_token", _totp(site.totp_key))
        page.click("button[type=submit]")
        page.wait_for_url(f"{site.url}/")
        cookies = {cookie["name"]: cookie for cookie in context.cookies()}
        assert cookies["amparo_session"]["secure"] and cookies["amparo_session"]["httpOnly"]
        page.goto(f"{site.url}/incidentes/nuevo/")
        page.fill("#id_occurred_on", "2026-11-20")
        page.select_option("#id_department", "15")
        page.fill("#district-q", "lince")
        page.click(".pick-district >> text=Lince")
        page.select_option("#id_place_type", "police_station")
        page.check("input[name=violations][value=arbitrary_detention]")
        page.check("input[name=perpetrators][value=pnp_officer]")
        page.fill("#id_narrative", "Registrado en producción detrás de nginx.")
        page.fill("#id_people_affected", "1")
        page.check("#id_consent_store")
        page.fill("#id_p-code_name", "Orquídea")
        page.click("#incident-form button[type=submit]")
        page.wait_for_url("**/incidentes/*/")
        context.close()

        # The public form's first load, as a phone receives it through nginx.
        total, weights = _first_load(site, browser, "/r/lima/")
        print(f"\nPublic form first load through nginx: {total} bytes on the wire (budget {BUDGET_BYTES}): {weights}")
        assert total <= BUDGET_BYTES, weights

        # A person sends an anonymous report from her phone (JavaScript solves the proof of work).
        context = browser.new_context(viewport={"width": 360, "height": 740}, ignore_https_errors=True, locale="es-PE",
                                      user_agent=VISITOR_AGENT, extra_http_headers={"X-Forwarded-For": VISITOR_ADDRESS})
        page = context.new_page()
        page.goto(f"{site.url}/r/lima/")
        page.locator("input[name=violations]").first.check()
        page.locator("input[name=perpetrators]").first.check()
        page.locator("input[name=occurred_on]").fill("2026-11-21")
        page.locator("#id_department").select_option("15")
        page.locator("input[name=district]").fill("Lince")
        page.locator("textarea[name=narrative]").fill(NARRATIVE)
        page.locator("input[name=reporter]").first.check()
        page.locator("input[name=consent_store]").check()
        page.wait_for_function("document.querySelector('input[name=pow]').value.length > 0", timeout=60_000)
        page.locator("form button[type=submit]").last.click()
        page.wait_for_selector("#receipt", timeout=60_000)
        assert not context.cookies()
        context.close()
        browser.close()

    # Someone raises an alarm from the emergency form; the consumer e-mails the coordinator.
    body = urllib.parse.urlencode({"kind": "detention", "people_count": "2", "description": "Se las llevaron", "contact": ""}).encode()
    status, _, answer, _ = site.request("POST", f"/emergencia/{site.emergency_token}/", body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "User-Agent": VISITOR_AGENT, "X-Forwarded-For": VISITOR_ADDRESS,
        "Referer": f"{site.url}/emergencia/{site.emergency_token}/",
    })
    assert status == 200, answer[:2000]
    _wait_for(lambda: bool(site.mailbox.messages), seconds=45, what="the alarm e-mail")
    recipients, raw_mail = site.mailbox.messages[0]
    assert recipients == ["carmen@example.org"]
    mail = raw_mail.decode(errors="replace")
    assert "Se las llevaron" not in mail  # the description stays behind the login
    # What each step left in the database (read in one process, through the vault).
    stored = site.query(
        "from amparo.records.models import Incident\n"
        "from amparo.intake.models import Report\n"
        "from amparo.alerts.models import Alarm\n"
        "i = Incident.objects.get(created_by__username='carmen')\n"
        "result = {'incident': [i.narrative, i.district_id], 'reports': [r.narrative for r in Report.objects.all()],\n"
        "          'alarms': Alarm.objects.filter(source='public_form').count()}\n"
    )
    assert stored == {"incident": ["Registrado en producción detrás de nginx.", "150116"], "reports": [NARRATIVE], "alarms": 1}

    # Nothing about the anonymous visitors in nginx's or the application's logs.
    time.sleep(1)  # nginx writes its access log line after the response
    texts = {name: path.read_text(errors="replace") if path.exists() else "" for name, path in site.logs.items()}
    for name, text in texts.items():
        for trace in (VISITOR_AGENT, "AmparoProdTestPhone", VISITOR_ADDRESS, "/r/lima", "/emergencia/", "/api/v1/public/", NARRATIVE):
            assert trace not in text, f"{name} log holds {trace!r}"
    access = texts["nginx-access"]
    assert '"GET /cuenta/entrar/"' in access and '"POST /incidentes/nuevo/"' in access  # the log works for staff pages
    assert not re.search(r"\b\d{1,3}(\.\d{1,3}){3}\b", access), "the access log holds an address"
    assert "HeadlessChrome" not in access and "Mozilla" not in access
    print(f"Production test body: {time.monotonic() - started:.1f} s")
