"""Test helpers that need no database: reference data read from the shipped files."""

from __future__ import annotations

import csv
import json
from functools import cache
from pathlib import Path

from amparo.openrosa.lib.choices import choice_set
from amparo.openrosa.lib.xlsform import Choice, ChoiceSet

ROOT = Path(__file__).resolve().parents[3]


def _first(*paths: Path) -> Path:
    for path in paths:
        if path.exists():
            return path
    raise FileNotFoundError(paths[0])


CODED = {
    "gender_identity": [("cis_woman", "Mujer cis", "Cis woman"), ("trans_woman", "Mujer trans", "Trans woman"), ("not_said", "Prefiere no decir", "Prefers not to say")],
    "age_band": [("18_24", "18–24", "18–24"), ("25_34", "25–34", "25–34"), ("not_said", "No se sabe", "Not known")],
    "nationality": [("PE", "Peruana", "Peruvian"), ("VE", "Venezolana", "Venezuelan"), ("not_said", "No se sabe", "Not known")],
    "migrant_status": [("national", "No es migrante", "Not a migrant"), ("irregular", "Migrante sin situación regular", "Migrant without regular status"), ("not_said", "No se sabe", "Not known")],
    "work_setting": [("street", "Calle", "Street"), ("venue", "Local", "Venue"), ("not_said", "No se sabe", "Not known")],
    "date_precision": [("day", "Día exacto", "Exact day"), ("month", "Solo el mes", "Month only"), ("year", "Solo el año", "Year only")],
    "reliability": [("high", "Alta", "High"), ("medium", "Media", "Medium"), ("low", "Baja", "Low"), ("unknown", "Sin evaluar", "Not assessed")],
}


@cache
def reference_choices() -> ChoiceSet:
    vocab = json.loads(_first(ROOT / "amparo/vocab/fixtures/vocabularies.json", Path("/work/main/amparo/vocab/fixtures/vocabularies.json")).read_text())
    terms = [(t["vocabulary"], t["code"], t["label_es"], t["label_en"]) for t in vocab["terms"]]
    ubigeo = _first(ROOT / "amparo/places/data/ubigeo.csv", Path("/work/shared/data/ubigeo.csv"))
    with open(ubigeo, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    departments = sorted({(r["inei"][:2], r["departamento"].title()) for r in rows})
    provinces = sorted({(r["inei"][:4], r["provincia"].title(), r["inei"][:2]) for r in rows})
    districts = [(r["inei"], r["distrito"].title(), r["inei"][:4]) for r in rows]
    return choice_set(terms=terms, departments=departments, provinces=provinces, districts=districts, coded=CODED)


@cache
def organisation_choices() -> ChoiceSet:
    """The reference lists plus an organisation's own (the tally's venues and programmes)."""
    own = {
        "venue": [Choice("street", "En la calle u otro lugar", "In the street or elsewhere"), Choice("v1", "Sauna Azul", "Sauna Azul")],
        "programme": [Choice("none", "Sin programa", "No programme"), Choice("p1", "Campaña 01/2026–12/2026 · n.º 1", "Campaign 01/2026–12/2026 · no. 1")],
    }
    base = reference_choices()
    return ChoiceSet(lists={**base.lists, **own}, media=base.media)
