"""Data-key rotation survives kill -9: a real `amparo keys rotate-data` subprocess is killed
in the middle, then run again, and every sealed value and file reads as before."""

from __future__ import annotations

import json
import os
import signal

import pytest

from amparo.lib.instance import new_instance, new_master_key

pytestmark = pytest.mark.timeout(900)

SNAPSHOT = """
import hashlib, json
from django.apps import apps
from amparo.accounts.models import Organisation
from amparo.evidence.models import EvidenceFile
from amparo.evidence.services import evidence_check
from amparo.vault.fields import encrypted_fields
org = Organisation.objects.get(slug="lima")
out = {}
for model in apps.get_models():
    fields = [f.name for f in encrypted_fields(model)]
    if not fields or model._meta.proxy:
        continue
    for row in model._default_manager.filter(organisation_id=org.pk).order_by("pk"):
        out[f"{model._meta.label}:{row.pk}"] = [str(getattr(row, name)) for name in fields]
for e in EvidenceFile.objects.filter(organisation=org):
    out[f"file:{e.pk}"] = hashlib.sha256(evidence_check(evidence=e)).hexdigest()
print(json.dumps(out, sort_keys=True))
"""

STORE_FILES = """
from amparo.accounts.models import Organisation
from amparo.evidence.services import evidence_store
from amparo.evidence.tests.fixtures import tiny_pdf
org = Organisation.objects.get(slug="lima")
for i in range(3):
    evidence_store(organisation=org, uploaded=tiny_pdf(f"acta {i}"), acting_user=None,
                   original_name=f"acta-{i}.pdf", description="Acta de la intervención")
"""


def _usage(inst) -> dict[str, int]:  # type: ignore[no-untyped-def]
    lines = inst.run("keys", "rotate-data", "--org", "lima", "--dry-run").stdout.splitlines()
    return {line.split(":")[0].split()[-1]: int(line.split(":")[1].split()[0]) for line in lines}


def test_a_rotation_killed_in_the_middle_resumes_and_loses_nothing(tmp_path):
    inst = new_instance(tmp_path / "instance", suffix="rotkill", master_key=new_master_key())
    try:
        inst.run("migrate", "--noinput", "-v", "0")
        inst.run("demo")
        inst.python(STORE_FILES)
        before = json.loads(inst.python(SNAPSHOT))
        assert len(before) > 100

        proc = inst.popen("keys", "rotate-data", "--org", "lima", "--batch-size", "3", "--grace-seconds", "0", "--pause", "0.05")
        assert proc.stdout is not None
        seen = []
        for line in proc.stdout:
            seen.append(line)
            if line.startswith("batch 6:"):
                os.kill(proc.pid, signal.SIGKILL)
                break
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL, "".join(seen)

        usage = _usage(inst)
        assert usage["1"] > 0 and usage["2"] > 0  # caught half-way: both keys in use

        resumed = inst.run("keys", "rotate-data", "--org", "lima", "--grace-seconds", "0").stdout
        assert "resuming rotation to data key version 2" in resumed and "retired v1" in resumed

        assert _usage(inst) == {"1": 0, "2": sum(usage.values())}
        assert json.loads(inst.python(SNAPSHOT)) == before
        inst.run("keys", "check")
        inst.run("audit", "verify")
    finally:
        inst.drop()
