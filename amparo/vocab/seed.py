"""Seed controlled vocabularies from amparo/vocab/fixtures/vocabularies.json.

New codes are added; existing terms keep any edits network admins made (labels are only
filled where a term is new), so running it again is safe.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "vocabularies.json"


def sync(apps: Any = None) -> int:
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    Term = apps.get_model("vocab", "Term")
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    existing = set(Term.objects.values_list("vocabulary", "code"))
    new = [Term(**t) for t in data["terms"] if (t["vocabulary"], t["code"]) not in existing]
    Term.objects.bulk_create(new)
    return len(new)
