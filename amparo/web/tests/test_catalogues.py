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
        if re.search(r'^msgstr\[\d\] ""$(?!\n")', block, re.M):
            missing.append(block.strip().splitlines()[0])
    return missing


def test_every_string_has_a_spanish_translation():
    problems = {str(po.relative_to(AMPARO)): untranslated(po) for po in AMPARO.rglob("locale/es/LC_MESSAGES/django.po")}
    assert {k: v for k, v in problems.items() if v} == {}


def test_compiled_catalogues_are_up_to_date():
    call_command("compilemessages_check")


def spanish_entries() -> list[tuple[str, str, str]]:
    """(catalogue, msgid, msgstr) for every Spanish translation, plural forms included."""
    def joined(s: str) -> str:
        return "".join(re.findall(r'"(.*)"', s))

    entries = []
    for po in AMPARO.rglob("locale/es/LC_MESSAGES/django.po"):
        for block in po.read_text(encoding="utf-8").split("\n\n")[1:]:
            msgid = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
            for msgstr in re.findall(r'^msgstr(?:\[\d\])? ((?:".*"\n?)+)', block, re.M):
                if msgid:
                    entries.append((str(po.relative_to(AMPARO)), joined(msgid.group(1)), joined(msgstr)))
    return entries


# Words that only the familiar "tú" uses (anywhere), and its imperatives (where a sentence starts).
# The interface addresses everyone as "usted".
TU_FORMS = re.compile(
    r"\b(tu|tus|te|ti|contigo|puedes|puedas|tienes|quieres|necesitas|estás|estés|eres|fuiste|dejas|trabajas|"
    r"enviaste|perdiste|dejaste|retiraste|ingresaste|inténtalo|cuéntanos|dinos|avísanos|déjalo|envíalo|ábrelo|"
    r"ábrela|cópialo|revócalo|revísalas|desmárcalo|ponle|dale|quítalo)\b"
    r"|(^|[.:;¿(]\s*)(elige|escribe|revisa|indica|ingresa|intenta|haz|pide|mira|vuelve|abre|marca|confirma|envía|"
    r"usa|corrige|anota|escanea|instala|repite)\b",
    re.IGNORECASE,
)


def test_spanish_addresses_everyone_as_usted():
    offenders = [(po, msgstr) for po, _msgid, msgstr in spanish_entries() if TU_FORMS.search(msgstr)]
    assert offenders == []


def test_caso_alone_never_names_an_incident():
    """"Incidente" is the documented event; "caso legal" the legal case."""
    offenders = [
        (po, msgid, msgstr) for po, msgid, msgstr in spanish_entries()
        if re.search(r"\bcasos?\b", re.sub(r"(?i)\bcasos? legal(es)?\b", "", msgstr), re.IGNORECASE)
    ]
    assert offenders == []
