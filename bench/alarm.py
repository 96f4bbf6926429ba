"""Rapid-response bench: alarm press to first notification leaving each channel, and the
delivery throughput of one community alert to many subscribers.

    python bench/alarm.py [--alarms 20] [--subscribers 10000] [--workers 4]

Everything runs on loopback in one process: SQLite (or AMPARO_DATABASE_URL), a huey consumer with
thread workers on a temporary SQLite queue file, an aiosmtpd server, and local HTTP servers standing
in for the push service and the SMS gateway. Channel latency is measured where the message arrives
(the receiver's clock is the bench's clock). Figures are compared with an empty Django view measured
in the same run. Bounded: every wait has a timeout.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def configure(workdir: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amparo.settings")
    os.environ["AMPARO_DATA_DIR"] = str(workdir)
    os.environ.setdefault("AMPARO_DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}")
    os.environ["AMPARO_REDIS_URL"] = ""
    os.environ["AMPARO_HUEY_FILE"] = str(workdir / "huey.sqlite3")
    os.environ["AMPARO_HUEY_NAME"] = "amparo-bench"
    os.environ["AMPARO_HUEY_IMMEDIATE"] = "0"
    os.environ["AMPARO_EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    import django

    django.setup()


class Arrivals:
    """Arrival times keyed by what identifies the message (an alarm id, or a count)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.first: dict[str, float] = {}
        self.times: dict[str, list[float]] = {}
        self.count = 0

    def note(self, key: str) -> None:
        now = time.perf_counter()
        with self.lock:
            self.count += 1
            self.first.setdefault(key, now)
            self.times.setdefault(key, []).append(now)

    def first_after(self, key: str, moment: float) -> float | None:
        with self.lock:
            return next((t for t in self.times.get(key, []) if t >= moment), None)


def start_http(arrivals: Arrivals, key_of):  # type: ignore[no-untyped-def]
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            arrivals.note(key_of(self, body))
            self.send_response(201)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


def start_smtp(arrivals: Arrivals):  # type: ignore[no-untyped-def]
    import re
    import socket

    from aiosmtpd.controller import Controller

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            match = re.search(rb"/alarmas/(\d+)/", envelope.content)
            arrivals.note(match.group(1).decode() if match else "alert")
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    return controller, port


def empty_view_seconds(rounds: int = 300) -> float:
    import types

    from django.conf import settings
    from django.http import HttpResponse
    from django.test import Client
    from django.urls import clear_url_caches, path

    import amparo.urls

    module = types.ModuleType("bench_urls")
    module.urlpatterns = [path("bench/empty/", lambda request: HttpResponse("")), *amparo.urls.urlpatterns]
    settings.ROOT_URLCONF = module
    clear_url_caches()
    client = Client()
    for _ in range(20):
        client.get("/bench/empty/")
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        client.get("/bench/empty/")
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--alarms", type=int, default=20)
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for any one phase")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="amparo-bench-alarm-"))
    configure(workdir)
    import atexit
    import shutil

    atexit.register(shutil.rmtree, workdir, ignore_errors=True)

    import json

    from amparo.alerts.lib.b64 import b64url_encode
    from django.conf import settings
    from django.core.management import call_command
    from django.db import transaction
    from huey.consumer import Consumer
    from huey.contrib.djhuey import HUEY

    from amparo.accounts.models import Role
    from amparo.accounts.services import membership_create, organisation_create, user_create
    from amparo.alerts import services
    from amparo.alerts.lib import vapid
    from amparo.alerts.models import (
        AlarmKind,
        AlarmSource,
        Channel,
        CommunityAlert,
        Delivery,
        DeliveryStatus,
        LegalBasis,
        StaffDevice,
        Subscriber,
        SubscriberRegion,
        SubscriberStatus,
    )
    from amparo.vault import keyring
    from amparo.vault.crypto import blind_index

    keyring.init_file(Path(settings.MASTER_KEY_FILE))  # a throwaway master key for this run
    print(f"workdir {workdir}; database {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}")
    call_command("migrate", verbosity=0)

    email_arrivals, push_arrivals, hook_arrivals = Arrivals(), Arrivals(), Arrivals()
    smtp, smtp_port = start_smtp(email_arrivals)

    def alarm_key(handler, body: bytes) -> str:  # type: ignore[no-untyped-def]
        if handler.path.startswith("/push/"):
            # Push bodies are encrypted: alarms are told apart by the device's endpoint path.
            return "alarm" if "/alarm/" in handler.path else "alert"
        try:
            data = json.loads(body)
        except ValueError:
            return "?"
        return data.get("url", "").rstrip("/").rsplit("/", 1)[-1] if data.get("event") == "alarm" else "alert"

    push_server = start_http(push_arrivals, alarm_key)
    hook_server = start_http(hook_arrivals, alarm_key)
    push_url = f"http://127.0.0.1:{push_server.server_address[1]}"
    hook_url = f"http://127.0.0.1:{hook_server.server_address[1]}"

    settings.AMPARO_ALERTS_ALLOW_LOOPBACK = True
    settings.AMPARO_VAPID_PRIVATE_KEY = vapid.generate_private_key()
    settings.AMPARO_WEBHOOK_BACKOFF = 0
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", smtp_port, False
    settings.EMAIL_HOST_USER = ""
    settings.DEFAULT_FROM_EMAIL = "bench@amparo.test"

    baseline = empty_view_seconds()

    org = organisation_create(name="Bench", slug="bench", department_code="15", reference_prefix="BEN")
    admin = user_create(username="admin", password="x" * 12, email="admin@amparo.test", validate=False)
    membership_create(user=admin, organisation=org, role=Role.ADMIN, acting_user=None)
    lawyer = user_create(username="lawyer", password="x" * 12, email="lawyer@amparo.test", validate=False)
    lawyer_m = membership_create(user=lawyer, organisation=org, role=Role.LAWYER, acting_user=None)
    documenter = user_create(username="doc", password="x" * 12, email="doc@amparo.test", validate=False)
    doc_m = membership_create(user=documenter, organisation=org, role=Role.DOCUMENTER, acting_user=None)
    admin_m = lawyer_m.__class__.objects.get(user=admin)

    from datetime import time as clock

    services.shift_create(membership=admin_m, on_call=lawyer_m, weekdays="0123456", start=clock(0), end=clock(0))
    services.alert_settings_update(
        membership=admin_m, escalation_minutes=10, webhook_url=f"{hook_url}/sms", webhook_secret="bench-secret"
    )

    def push_keys() -> dict:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        key = ec.generate_private_key(ec.SECP256R1())
        raw = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        return {"p256dh": b64url_encode(raw), "auth": b64url_encode(os.urandom(16))}

    # The lawyer's phone: the push "service" URL carries /alarm/ so the receiver can tell alarms apart.
    StaffDevice.objects.create(
        organisation=org, membership=lawyer_m, subscription_index="bench",
        subscription=json.dumps({"endpoint": f"{push_url}/push/alarm/device", "keys": push_keys()}),
    )

    HUEY.flush()
    consumer = Consumer(HUEY, workers=args.workers, worker_type="thread", periodic=False,
                        initial_delay=0.005, max_delay=0.02, backoff=1.0, scheduler_interval=1)
    consumer.start()

    # --- phase 1: alarm press to first notification per channel ---------------------------------
    latencies: dict[str, list[float]] = {"email": [], "webpush": [], "webhook": []}
    deadline = time.monotonic() + args.timeout
    for _ in range(args.alarms):
        pressed = time.perf_counter()
        with transaction.atomic():
            alarm = services.alarm_raise(
                organisation=org, kind=AlarmKind.RAID, source=AlarmSource.BUTTON, acting_user=documenter,
                membership=doc_m, district="150101", place="Jr. Ica 300", people_count=5, description="Redada",
            )
        key = str(alarm.pk)
        while time.monotonic() < deadline:
            if key in email_arrivals.first and key in hook_arrivals.first and push_arrivals.first_after("alarm", pressed):
                break
            time.sleep(0.001)
        else:
            print("timed out waiting for alarm notifications")
            break
        latencies["email"].append(email_arrivals.first[key] - pressed)
        latencies["webhook"].append(hook_arrivals.first[key] - pressed)
        latencies["webpush"].append(push_arrivals.first_after("alarm", pressed) - pressed)

    print(f"\nempty Django view (median of 300, same process): {baseline * 1000:.2f} ms")
    print(f"\nalarm press -> first notification arriving, {len(latencies['email'])} alarms, {args.workers} worker threads")
    print(f"{'channel':<10}{'median ms':>12}{'max ms':>12}{'median / empty view':>22}")
    for channel, values in latencies.items():
        if values:
            median = statistics.median(values)
            print(f"{channel:<10}{median * 1000:>12.1f}{max(values) * 1000:>12.1f}{median / baseline:>22.0f}x")

    # --- phase 2: one alert to N subscribers ----------------------------------------------------
    print(f"\ncreating {args.subscribers} subscribers (email 50 %, sms gateway 25 %, web push 25 %) ...")
    started = time.perf_counter()
    rows, regions = [], []
    shared_keys = push_keys()  # one browser key pair reused: encryption is still done per message
    for i in range(args.subscribers):
        if i % 4 in (0, 1):
            channel, address = Channel.EMAIL, f"s{i}@example.org"
        elif i % 4 == 2:
            channel, address = Channel.SMS, f"9{i:08d}"
        else:
            channel, address = Channel.WEBPUSH, json.dumps({"endpoint": f"{push_url}/push/s/{i}", "keys": shared_keys})
        rows.append(
            Subscriber(
                organisation=org, channel=channel, address=address, status=SubscriberStatus.ACTIVE,
                address_index=blind_index(address, org_id=org.pk, kind=f"alerts.subscriber.{channel}"), token_salt="b",
            )
        )
    Subscriber.objects.bulk_create(rows, batch_size=1000)
    for sid in Subscriber.objects.filter(organisation=org).values_list("pk", flat=True):
        regions.append(SubscriberRegion(organisation=org, subscriber_id=sid, region_id="15"))
    SubscriberRegion.objects.bulk_create(regions, batch_size=2000)
    print(f"  done in {time.perf_counter() - started:.1f} s")

    alert = services.alert_create(
        membership=admin_m, kind="bad_date", region="15", report="Cliente violento", phone="987111222"
    )
    email_before, hook_before, push_before = email_arrivals.count, hook_arrivals.count, push_arrivals.count
    published = time.perf_counter()
    with transaction.atomic():
        services.alert_publish(
            alert=alert, membership=admin_m, title="Cliente violento en Lince", public_text="No vayas sola.",
            legal_basis=LegalBasis.VITAL_INTEREST, legal_reason="Riesgo para otras compañeras",
        )
    deadline = time.monotonic() + args.timeout
    total = args.subscribers
    first_out = None
    while time.monotonic() < deadline:
        arrived = (email_arrivals.count - email_before) + (hook_arrivals.count - hook_before) + (push_arrivals.count - push_before)
        if first_out is None and arrived:
            first_out = time.perf_counter() - published
        if arrived >= total:
            break
        time.sleep(0.05)
    elapsed = time.perf_counter() - published
    consumer.stop(graceful=True)
    smtp.stop()
    sent = Delivery.objects.filter(alert=alert, status=DeliveryStatus.SENT).count()
    failed = Delivery.objects.filter(alert=alert, status=DeliveryStatus.FAILED).count()
    print(f"\none alert to {total} subscribers, {args.workers} worker threads:")
    print(f"  first message out after {first_out * 1000 if first_out else float('nan'):.0f} ms")
    print(f"  all arrived after {elapsed:.1f} s: {arrived} arrived, {sent} marked sent, {failed} failed")
    print(f"  throughput {arrived / elapsed:.0f} deliveries/s "
          f"({elapsed / max(arrived, 1) / baseline:.1f}x an empty view per delivery)")
    assert CommunityAlert.objects.filter(pk=alert.pk).exists()
    return 0 if arrived >= total else 1


if __name__ == "__main__":
    sys.exit(main())
