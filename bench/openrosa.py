"""Bench of the OpenRosa server on loopback, next to an empty Django view in the same run.

    python bench/openrosa.py [--seconds 3]

Starts Amparo on 127.0.0.1 (threaded WSGI server, fresh SQLite database in a temporary
directory), sets up one organisation and one collector phone, then drives, one after the
other and each for a bounded time:

- GET of an empty Django view (the baseline),
- GET /odk/<org>/formList with HTTP Digest (nonce cached, nonce count increasing, as Collect),
- POST /odk/<org>/submission of a plain interview (mapped to an incident),
- POST of an encrypted interview with a photo (decrypted, photo stored as evidence).

Prints requests per second and p50/p99 latency, with ratios to the empty view. Nothing leaves
the machine. No timing is asserted.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import os
import secrets
import socket
import statistics
import sys
import tempfile
import threading
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def configure() -> Path:
    data = Path(tempfile.mkdtemp(prefix="amparo-bench-openrosa-"))
    os.environ["AMPARO_DATA_DIR"] = str(data)
    os.environ["AMPARO_DATABASE_URL"] = f"sqlite:///{data / 'bench.sqlite3'}"
    os.environ["AMPARO_MASTER_KEY"] = f"mk-bench:{base64.b64encode(secrets.token_bytes(32)).decode()}"
    os.environ.setdefault("AMPARO_ODK_RSA_BITS", "3072")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amparo.settings")
    import django
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    django.setup()
    # A URLconf with an empty view beside Amparo's own routes: the baseline.
    from django.http import HttpResponse
    from django.urls import clear_url_caches, include, path

    module = types.ModuleType("bench_openrosa_urls")
    module.urlpatterns = [path("bench-empty/", lambda request: HttpResponse(b"ok")), path("", include("amparo.urls"))]
    sys.modules["bench_openrosa_urls"] = module
    settings.ROOT_URLCONF = "bench_openrosa_urls"
    clear_url_caches()
    return data


def serve() -> int:
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

    class Quiet(WSGIRequestHandler):
        def setup(self) -> None:
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), Quiet)
    server.set_app(WSGIHandler())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_address[1]


def setup_organisation():
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from amparo.accounts.models import Role
    from amparo.accounts.services import membership_create, organisation_create, user_create
    from amparo.openrosa import services

    org = organisation_create(name="Colectiva Bench", slug="bench", department_code="15", reference_prefix="BEN")
    admin = user_create(username="bench-admin", password="bench-password-1", validate=False)
    membership_create(user=admin, organisation=org, role=Role.ADMIN, acting_user=None)
    _collector, issued = services.collector_create(organisation=org, label="Phone 1", owner=admin, acting_user=admin)
    started = time.perf_counter()
    services.forms_publish(organisation=org)
    publish = time.perf_counter() - started
    return org, issued, publish


def _photo() -> bytes:
    import io

    from PIL import Image

    image = Image.frombytes("RGB", (160, 120), os.urandom(160 * 120 * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    return out.getvalue()


def run(name: str, seconds: float, call) -> list[float]:
    timings: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(timings) < 5:
        started = time.perf_counter()
        call()
        timings.append(time.perf_counter() - started)
    return timings


def summary(timings: list[float]) -> tuple[float, float, float]:
    ordered = sorted(timings)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return len(timings) / sum(timings), statistics.median(ordered) * 1000, p99 * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time spent on each scenario")
    args = parser.parse_args()
    configure()
    org, issued, publish_seconds = setup_organisation()
    port = serve()

    from amparo.openrosa.models import FormVersion, Submission, SubmissionStatus
    from amparo.openrosa.tests.collect import (
        DigestClient,
        encrypt_like_collect,
        fill_instance,
        multipart_like_collect,
    )

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.connect()
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no Nagle delay on loopback
    digest = DigestClient(issued.username, issued.password)

    def request(method: str, path: str, body: bytes | None = None, headers: dict | None = None, *, auth: bool = True):
        headers = dict(headers or {})
        headers["X-OpenRosa-Version"] = "1.0"
        if auth and digest.challenge:
            headers["Authorization"] = digest.header(method, path)
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        if auth and response.status == 401:
            digest.remember(response.getheader("WWW-Authenticate"))
            return request(method, path, body, headers={k: v for k, v in headers.items() if k != "Authorization"})
        return response.status, data

    status, _ = request("GET", "/odk/bench/formList")
    assert status == 200, status
    forms = {fv.form_id: fv for fv in FormVersion.objects.filter(organisation=org, is_current=True)}
    interview = forms["incident_interview"]
    answers = {
        "consent_store": "yes", "consent_share_stats": "yes", "consent_legal_action": "no", "consent_contact": "no",
        "code_name": "Girasol", "gender_identity": "trans_woman", "age_band": "25_34", "occurred_on": "2026-10-02",
        "date_precision": "day", "department": "15", "district": "150132", "violations": "arbitrary_detention",
        "perpetrators": "pnp_officer", "narrative": "Nos detuvieron sin motivo.", "people_affected": "1", "source": "peer_interview",
    }
    photo = _photo()

    def empty() -> None:
        assert request("GET", "/bench-empty/", auth=False)[0] == 200

    def form_list() -> None:
        assert request("GET", "/odk/bench/formList")[0] == 200

    def plain() -> None:
        xml, _ = fill_instance(interview.xml.encode(), answers)
        body, content_type = multipart_like_collect("interview.xml", xml, [])
        assert request("POST", "/odk/bench/submission", body, {"Content-Type": content_type})[0] == 201

    def encrypted() -> None:
        xml, instance_id = fill_instance(interview.xml.encode(), {**answers, "photo_1": "photo.jpg"})
        manifest, files = encrypt_like_collect(
            public_key_b64=interview.key.public_key, form_id="incident_interview", version=interview.version,
            instance_id=instance_id, submission_xml=xml, media=[("photo.jpg", photo)],
        )
        body, content_type = multipart_like_collect("submission.xml", manifest, list(files.items()))
        assert request("POST", "/odk/bench/submission", body, {"Content-Type": content_type})[0] == 201

    # The form schema is encrypted by default; the plain scenario needs the form unencrypted.
    results = {"empty Django view": run("empty", args.seconds, empty), "formList (Digest)": run("formList", args.seconds, form_list)}
    results["submission, encrypted + photo"] = run("encrypted", args.seconds, encrypted)
    from amparo.openrosa.models import FormSetting

    FormSetting.objects.update_or_create(organisation=org, form_id="incident_interview", defaults={"encrypted": False, "route": "incident"})
    results["submission, plain interview"] = run("plain", args.seconds, plain)

    base_rps, base_p50, _ = summary(results["empty Django view"])
    print(f"forms_publish (3 XLSForms -> XForms, RSA-{os.environ['AMPARO_ODK_RSA_BITS']} key): {publish_seconds:.2f} s")
    print(f"{'scenario':38} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'p50 / empty':>12}")
    for name, timings in results.items():
        rps, p50, p99 = summary(timings)
        print(f"{name:38} {rps:8.1f} {p50:8.2f} {p99:8.2f} {p50 / base_p50:11.1f}x")
    stored = Submission.objects.filter(organisation=org).exclude(status=SubmissionStatus.PARTIAL).count()
    mapped = Submission.objects.filter(organisation=org, incident__isnull=False).count()
    print(f"submissions stored: {stored}, mapped to incidents: {mapped}")


if __name__ == "__main__":
    main()
