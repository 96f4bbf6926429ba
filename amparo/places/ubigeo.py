"""Load Peru's INEI ubigeo (shipped in amparo/places/data, provenance in PROVENANCE.md)."""

from __future__ import annotations

import csv
import unicodedata
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"

_SMALL_WORDS = {"de", "del", "la", "las", "los", "y", "el", "en"}


def normalise(text: str) -> str:
    """Lower case without accents, for searching names as people type them."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# INEI's names come in capitals without accents; these department (and same-named province and
# district) names are written with their accents wherever they are shown.
ACCENTED = {"ANCASH": "Áncash", "APURIMAC": "Apurímac", "HUANUCO": "Huánuco", "JUNIN": "Junín", "SAN MARTIN": "San Martín"}


def display_name(upper: str, *, accented: str = "") -> str:
    """'SAN JUAN DE LURIGANCHO' -> 'San Juan de Lurigancho'; 'JESUS MARIA' with its capital's
    spelling 'Jesús María' -> 'Jesús María' (the capital is used only when it is the same name)."""
    if upper in ACCENTED:
        return ACCENTED[upper]
    if accented and normalise(accented) == normalise(upper):
        return accented
    words = upper.lower().split()
    return " ".join(w if (i and w in _SMALL_WORDS) else w[:1].upper() + w[1:] for i, w in enumerate(words))


def _rows(name: str) -> list[dict[str, str]]:
    with open(DATA_DIR / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def load(apps: Any = None) -> int:
    """Create or update departments, provinces and districts. Safe to run again."""
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    Department = apps.get_model("places", "Department")
    Province = apps.get_model("places", "Province")
    District = apps.get_model("places", "District")

    departments = [
        Department(code=r["inei"][:2], name=display_name(r["departamento"]), iso_3166_2=r["iso_3166_2"])
        for r in _rows("ubigeo_departamentos.csv")
    ]
    provinces = [
        Province(code=r["inei"][:4], name=display_name(r["provincia"], accented=r["capital"]), department_id=r["inei"][:2])
        for r in _rows("ubigeo_provincias.csv")
    ]
    districts = []
    for r in _rows("ubigeo.csv"):
        name = display_name(r["distrito"], accented=r["capital"])
        districts.append(
            District(
                code=r["inei"],
                name=name,
                province_id=r["inei"][:4],
                department_id=r["inei"][:2],
                search_name=normalise(f"{name} {r['provincia']} {r['departamento']}"),
            )
        )
    Department.objects.bulk_create(departments, update_conflicts=True, unique_fields=["code"], update_fields=["name", "iso_3166_2"])
    Province.objects.bulk_create(provinces, update_conflicts=True, unique_fields=["code"], update_fields=["name", "department"])
    District.objects.bulk_create(
        districts, batch_size=500, update_conflicts=True, unique_fields=["code"],
        update_fields=["name", "province", "department", "search_name"],
    )
    return len(districts)
