"""The service directory's vocabulary and the national seed list.

Pure module: no models, no database. The seed file `data/national_services.json` comes from
shared/context/peru.md; each entry keeps its sources and is loaded as "to verify".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from django.db import models
from django.utils.translation import gettext_lazy as _

SEED_FILE = Path(__file__).resolve().parent.parent / "data" / "national_services.json"


class ServiceKind(models.TextChoices):
    LEGAL_AID = "legal_aid", _("Legal aid")
    ALLIED_LAWYER = "allied_lawyer", _("Allied lawyer")
    WOMENS_EMERGENCY = "womens_emergency", _("Women's emergency service (CEM, Línea 100)")
    PROSECUTOR = "prosecutor", _("Fiscalía")
    POLICE = "police", _("Police station")
    POLICE_INSPECTORATE = "police_inspectorate", _("Police Inspectoría")
    OMBUDSMAN = "ombudsman", _("Defensoría del Pueblo")
    COURT = "court", _("Court")
    HEALTH_HIV = "health_hiv", _("Health: HIV/STI testing and treatment")
    SHELTER = "shelter", _("Shelter")
    PSYCHOSOCIAL = "psychosocial", _("Psychosocial support")
    MIGRANT = "migrant", _("Migrant support")
    COMMUNITY = "community", _("Community organisation")


class Need(models.TextChoices):
    LEGAL_AID = "legal_aid", _("A lawyer")
    CRIMINAL_COMPLAINT = "criminal_complaint", _("Filing a criminal complaint")
    POLICE_COMPLAINT = "police_complaint", _("Complaint about the police")
    OFFICIAL_ABUSE = "official_abuse", _("Abuse by a public official")
    DISCRIMINATION = "discrimination", _("Discrimination")
    PROTECTION_MEASURES = "protection_measures", _("Protection measures")
    WOMENS_EMERGENCY = "womens_emergency", _("Emergency help after violence")
    HIV_STI = "hiv_sti", _("HIV/STI testing or treatment")
    PREP = "prep", _("PrEP")
    SHELTER = "shelter", _("A safe place to stay")
    PSYCHOSOCIAL = "psychosocial", _("Psychological or social support")
    MIGRANT = "migrant", _("Migration papers and support")
    COMMUNITY = "community", _("Peer and community support")


class Language(models.TextChoices):
    ES = "es", _("Spanish")
    QU = "qu", _("Quechua")
    AY = "ay", _("Aymara")
    EN = "en", _("English")
    OTHER = "other", _("Other")


class SeedError(ValueError):
    pass


@dataclass(frozen=True)
class SeedService:
    code: str
    kind: str
    name: str
    description_es: str
    description_en: str
    phone: str = ""
    address: str = ""
    hours: str = ""
    department_code: str = ""
    languages: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    notes: str = ""
    sources: tuple[str, ...] = field(default_factory=tuple)


def load_national_services(path: Path = SEED_FILE) -> list[SeedService]:
    """Read and validate the seed list; a malformed entry stops the load with a clear reason."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SeedError(f"{path}: {exc}")
    services: list[SeedService] = []
    seen: set[str] = set()
    for position, raw in enumerate(document.get("services", []), start=1):
        where = f"{path.name} entry {position}"
        code = str(raw.get("code", "")).strip()
        if not code or code in seen:
            raise SeedError(f"{where}: missing or duplicate code {code!r}")
        seen.add(code)
        if raw.get("kind") not in ServiceKind.values:
            raise SeedError(f"{where}: unknown kind {raw.get('kind')!r}")
        bad_needs = [n for n in raw.get("needs", []) if n not in Need.values]
        if bad_needs:
            raise SeedError(f"{where}: unknown needs {bad_needs}")
        bad_languages = [x for x in raw.get("languages", []) if x not in Language.values]
        if bad_languages:
            raise SeedError(f"{where}: unknown languages {bad_languages}")
        if not raw.get("sources"):
            raise SeedError(f"{where}: every seeded service must name its sources")
        services.append(
            SeedService(
                code=code,
                kind=raw["kind"],
                name=str(raw.get("name", "")).strip() or code,
                description_es=raw.get("description_es", ""),
                description_en=raw.get("description_en", ""),
                phone=raw.get("phone", ""),
                address=raw.get("address", ""),
                hours=raw.get("hours", ""),
                department_code=raw.get("department_code", ""),
                languages=tuple(raw.get("languages", [])),
                needs=tuple(raw.get("needs", [])),
                notes=raw.get("notes", ""),
                sources=tuple(raw["sources"]),
            )
        )
    return services
