"""Backups kept and watched: 7 daily, 4 weekly, 12 monthly; a failed or missing backup is
shown on admins' home page and e-mailed to them; each organisation gets its daily checkpoint."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pyrage
import pytest
from django.core import mail
from django.utils import timezone

from amparo.audit import checkpoints
from amparo.backup import archive, services, tasks
from amparo.backup.models import BackupRun
from conftest import login, make_incident

pytestmark = pytest.mark.django_db


def test_retention_keeps_seven_daily_four_weekly_and_twelve_monthly():
    start = datetime(2026, 12, 1, 7, 30, tzinfo=UTC)
    nightly = [start - timedelta(days=d) for d in range(400)]
    keep = services.retention_keep(nightly)
    days = sorted({t.date() for t in keep}, reverse=True)
    assert days[:7] == [(start - timedelta(days=d)).date() for d in range(7)]
    assert len({t.isocalendar()[:2] for t in keep}) >= 4
    assert len({(t.year, t.month) for t in keep}) == 12
    assert len(keep) <= 7 + 4 + 12
    assert start in keep and min(nightly) not in keep


def test_prune_deletes_only_backups_beyond_retention(tmp_path):
    start = datetime(2026, 12, 1, 7, 30, tzinfo=UTC)
    for d in range(40):
        (tmp_path / archive.file_name(start - timedelta(days=d))).write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("the operator's own file")
    doomed = services.backup_prune(directory=tmp_path)
    left = [p.name for p in tmp_path.iterdir()]
    assert "notes.txt" in left and len(left) - 1 == 40 - len(doomed)
    assert archive.file_name(start) in left


@pytest.mark.django_db(transaction=True)
def test_a_backup_is_encrypted_to_its_recipients_and_carries_a_checkpoint(personas, tmp_path):
    make_incident(personas.org, personas.dora)
    first, identity = pyrage.x25519.Identity.generate(), pyrage.x25519.Identity.generate()
    (tmp_path / "id.txt").write_text(f"{identity}\n")  # the second of two recipients opens it alone
    run = services.backup_create(recipients=[str(first.to_public()), str(identity.to_public())], directory=tmp_path / "b")
    assert run.status == BackupRun.Status.OK and run.size > 0
    assert list((tmp_path / "b" / "checkpoints").glob("audit-checkpoint-*.json"))
    with archive.opened(tmp_path / "b" / run.file_name, identity_paths=[str(tmp_path / "id.txt")]) as content:
        assert content.problems == []
        checkpoint = json.loads((content.root / archive.CHECKPOINT).read_text())
    assert checkpoints.checkpoint_verify(checkpoint) == []


def test_a_failed_backup_is_recorded_shown_to_admins_and_e_mailed_once(personas, client, settings, tmp_path):
    settings.BACKUP_RECIPIENTS, settings.BACKUP_RECIPIENTS_FILE = [], ""  # misconfigured: nobody to encrypt to
    settings.BACKUP_DIR = tmp_path
    personas.alicia.email = "alicia@example.org"
    personas.alicia.save(update_fields=["email"])
    assert tasks.backup_nightly.call_local() == BackupRun.Status.FAILED
    run = BackupRun.objects.get()
    assert run.status == BackupRun.Status.FAILED and "recipient" in run.error
    assert [m.to for m in mail.outbox if "backup" in m.subject.lower() or "copia" in m.subject.lower()] == [["alicia@example.org"]]
    assert services.backup_alert_if_needed() is False  # not again the same day
    login(client, personas.alicia)
    page = client.get("/").content.decode()
    assert 'id="backup-notice"' in page
    login(client, personas.carla)  # a coordinator is not the one who can act on it
    assert 'id="backup-notice"' not in client.get("/").content.decode()


def test_a_missing_backup_is_noticed_in_production(personas, client, settings):
    settings.PRODUCTION = True
    assert services.backup_notice() is not None  # never backed up
    BackupRun.objects.create(kind="nightly", status="ok", started_at=timezone.now() - timedelta(hours=30), finished_at=timezone.now())
    notice = services.backup_notice()
    assert notice is not None and notice.since is not None
    BackupRun.objects.create(kind="nightly", status="ok", started_at=timezone.now(), finished_at=timezone.now())
    assert services.backup_notice() is None


def test_a_laptop_demo_that_never_backed_up_shows_nothing(personas, settings):
    settings.PRODUCTION = False
    assert services.backup_notice() is None


def test_each_organisation_s_admins_receive_their_own_signed_checkpoint(personas):
    make_incident(personas.org, personas.dora)
    personas.alicia.email = "alicia@example.org"
    personas.alicia.save(update_fields=["email"])
    assert services.checkpoints_send() >= 1
    message = next(m for m in mail.outbox if m.to == ["alicia@example.org"])
    name, content, _ = message.attachments[0]
    data = json.loads(content)
    assert [c["chain"] for c in data["chains"]] == [f"org:{personas.org.pk}"]
    assert checkpoints.checkpoint_verify(data) == []
