"""Small factories for Response tests, built on the real services."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from PIL import Image

from amparo.evidence.sanitize import sanitize
from amparo.evidence.tests.fixtures import tiny_pdf
from conftest import make_incident, make_person


def incident_with_person(personas: Any, user: Any = None, org: Any = None, **overrides: Any) -> tuple[Any, Any]:
    org = org or personas.org
    user = user or (personas.dora if org == personas.org else personas.bruno)
    person = make_person(org, user, code_name=overrides.pop("code_name", "Mariposa"))
    overrides.setdefault("consent_legal_action", True)
    if org != personas.org:
        overrides.setdefault("district", "040101")
    incident = make_incident(org, user, persons=[person], **overrides)
    return incident, person


def local_service(personas: Any, org: Any = None, **fields: Any) -> Any:
    from amparo.response.services import service_create

    org = org or personas.org
    coordinator = personas.carla if org == personas.org else personas.bruno
    defaults = {"kind": "health_hiv", "name": "CERITS Alberto Barton", "needs": ["hiv_sti"], "department": None}
    defaults.update(fields)
    return service_create(membership=personas.membership(coordinator, org), acting_user=coordinator, **defaults)


def refer(personas: Any, incident: Any, *, user: Any = None, consent: bool = True, **kwargs: Any) -> Any:
    from amparo.response.services import referral_create

    user = user or personas.carla
    org = incident.organisation
    kwargs.setdefault("consent_method", "verbal")
    if "service" not in kwargs and "lawyer" not in kwargs:
        kwargs["lawyer"] = personas.lucia
    return referral_create(
        membership=personas.membership(user, org), acting_user=user, incident=incident, consent_given=consent, **kwargs
    )


def move(personas: Any, referral: Any, *statuses: str, user: Any = None) -> Any:
    from amparo.response.services import referral_transition

    for status in statuses:
        actor = user or (personas.lucia if status in ("accepted", "declined") and referral.lawyer_id else personas.carla)
        referral = referral_transition(
            referral=referral, membership=personas.membership(actor, referral.organisation), acting_user=actor, status=status,
            outcome="No puedo tomarlo esta semana." if status == "declined" else "",
        )
    return referral


def open_case(personas: Any, incidents: list[Any], *, user: Any = None, lawyer: Any = "default", **kwargs: Any) -> Any:
    from amparo.response.services import case_create

    user = user or personas.carla
    org = incidents[0].organisation
    if lawyer == "default":
        lawyer = personas.lucia if org == personas.org else None
    return case_create(
        membership=personas.membership(user, org), acting_user=user, title=kwargs.pop("title", "Detención arbitraria en Lince"),
        incidents=incidents, lawyer=lawyer, **kwargs,
    )


def jpeg_with_gps() -> bytes:
    """A small JPEG carrying EXIF GPS coordinates and a camera serial, like a phone photo."""
    image = Image.new("RGB", (32, 24), (200, 30, 90))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0xA431] = "SERIAL-123456"  # BodySerialNumber
    gps = {1: "S", 2: (12.0, 2.0, 30.0), 3: "W", 4: (77.0, 1.0, 40.0)}
    exif[0x8825] = gps
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


# A real PDF, already as the sanitizer keeps it (so what is served is byte for byte what was sent).
PDF = sanitize(tiny_pdf("denuncia"), max_bytes=1 << 20).data

TODAY = date.today
