"""Every interface string has its Spanish translation, and the compiled catalogues are current."""

from __future__ import annotations

import re
from pathlib import Path

from django.core.management import call_command

AMPARO = Path(__file__).resolve().parents[2]


def untranslated(po: Path) -> list[str]:
    text = po.read_text(encoding="utf-8")
    missing = []
    for block in text.split("\n\n")[1:]:
        if "#, fuzzy" in block:
            missing.append(block.strip().splitlines()[-2])
        if re.search(r'^msgstr ""\s*$', block, re.M) and not re.search(r'^msgstr ""\n"', block, re.M):
            missing.append(block.strip().splitlines()[0])
        if re.search(r'^msgstr\[\d\] ""\s*$', block, re.M):
            missing.append(block.strip().splitlines()[0])
    return missing


def test_every_string_has_a_spanish_translation():
    problems = {str(po.relative_to(AMPARO)): untranslated(po) for po in AMPARO.rglob("locale/es/LC_MESSAGES/django.po")}
    assert {k: v for k, v in problems.items() if v} == {}


def test_compiled_catalogues_are_up_to_date():
    call_command("compilemessages_check")
