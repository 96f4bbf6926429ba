"""The restore drill, as an operator runs it: demo data → `amparo backup create` → a fresh
instance (another database and data folder) → `amparo backup restore` → every sealed field
decrypts, `audit verify` passes, every evidence file verifies, the counts match. The same
backup opens with Debian's `age` binary alone, and holds no master key.

Runs on SQLite, and on PostgreSQL when AMPARO_DATABASE_URL points at one (pg_dump/pg_restore).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import pyrage
import pytest

from amparo.lib.instance import new_instance, new_master_key
from amparo.vault.tests.test_rotation_kill import SNAPSHOT, STORE_FILES

pytestmark = pytest.mark.timeout(900)


def test_a_backup_restores_into_a_fresh_instance_whole(tmp_path, capsys):
    identity = pyrage.x25519.Identity.generate()
    identity_file = tmp_path / "backup-identity.txt"
    identity_file.write_text(f"# off the server\n{identity}\n")
    master_key = new_master_key()
    source = new_instance(tmp_path / "source", suffix="drill_src", master_key=master_key)
    fresh = new_instance(tmp_path / "fresh", suffix="drill_dst", master_key=master_key)
    try:
        source.run("migrate", "--noinput", "-v", "0")
        source.run("demo")
        source.python(STORE_FILES)
        before = json.loads(source.python(SNAPSHOT))

        created = source.run("backup", "create", "--recipient", str(identity.to_public()), "--output-dir", str(tmp_path / "backups")).stdout
        backup = Path(re.search(r"Wrote (\S+\.tar\.gz\.age)", created).group(1))  # type: ignore[union-attr]
        with capsys.disabled():
            print(f"\n[drill] {created.strip()}")

        # Debian's age alone opens it; inside, every file matches the manifest and no master key is there.
        age = shutil.which("age") or "/usr/bin/age"
        opened = tmp_path / "opened.tar.gz"
        subprocess.run([age, "--decrypt", "-i", str(identity_file), "-o", str(opened), str(backup)], check=True)
        with tarfile.open(opened, "r:gz") as tar:
            manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
            for entry in manifest["files"]:
                assert hashlib.sha256(tar.extractfile(entry["path"]).read()).hexdigest() == entry["sha256"]  # type: ignore[union-attr]
            everything = b"".join(tar.extractfile(m).read() for m in tar.getmembers() if m.isfile())  # type: ignore[union-attr]
        raw_master = base64.b64decode(master_key.partition(":")[2])
        assert raw_master not in everything and master_key.partition(":")[2].encode() not in everything
        assert len(manifest["files"]) == 1 + 3  # the database and the three evidence files
        assert b"AGE-SECRET-KEY" not in backup.read_bytes()[:200] and backup.read_bytes().startswith(b"age-encryption.org/v1")

        verified = source.run("backup", "verify", str(backup), "-i", str(identity_file)).stdout
        assert verified.startswith("OK:")

        restored = fresh.run("backup", "restore", str(backup), "-i", str(identity_file)).stdout
        with capsys.disabled():
            print(f"[drill] {restored.strip()}")
        assert restored.startswith("OK:") and "3 evidence files decrypt" in restored
        assert json.loads(fresh.python(SNAPSHOT)) == before
        assert fresh.run("audit", "verify").stdout.startswith("OK:")
        fresh.run("keys", "check")

        # Only an empty instance is filled.
        again = fresh.run("backup", "restore", str(backup), "-i", str(identity_file), check=False)
        assert again.returncode != 0 and "only fills an empty instance" in again.stderr
    finally:
        source.drop()
        fresh.drop()


def test_a_backup_without_the_right_identity_does_not_open(tmp_path):
    wrong = pyrage.x25519.Identity.generate()
    (tmp_path / "wrong.txt").write_text(f"{wrong}\n")
    data = pyrage.encrypt(b"not a backup", [pyrage.x25519.Identity.generate().to_public()])
    path = tmp_path / "amparo-backup-20260101T000000Z.tar.gz.age"
    path.write_bytes(data)
    from amparo.backup import archive

    with pytest.raises(archive.BackupError, match="does not decrypt"), archive.opened(path, identity_paths=[str(tmp_path / "wrong.txt")]):
        pass
