"""Invented referrals, legal cases and security records for `amparo demo`. Nothing real.

Runs through the real services (so audit rows, reminders and figures behave as in use), on
top of the incidents the records demo created.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from amparo.accounts.models import Membership, Role
from amparo.records.models import Incident, Person
from amparo.response import services
from amparo.response.models import Referral, Service

LOCAL_SERVICES: list[dict[str, Any]] = [
    {"kind": "health_hiv", "name": "Centro de salud — consultorio de ITS (ejemplo)", "needs": ["hiv_sti", "prep"],
     "trans_friendly": True, "treats_sex_workers_well": True, "hours": "Lun–Vie 8:00–14:00"},
    {"kind": "allied_lawyer", "name": "Abogada aliada de derechos humanos (ejemplo)", "needs": ["legal_aid", "criminal_complaint"],
     "trans_friendly": True, "treats_sex_workers_well": True},
    {"kind": "womens_emergency", "name": "CEM en comisaría (ejemplo)", "needs": ["womens_emergency", "protection_measures"]},
    {"kind": "psychosocial", "name": "Grupo de apoyo entre pares (ejemplo)", "needs": ["psychosocial", "community"],
     "trans_friendly": True, "treats_sex_workers_well": True},
]


def demo_response_load(*, organisations: list[Any], seed: int = 2026, referrals: int = 40, cases: int = 12) -> dict[str, int]:
    """For each demo organisation: local contacts, referrals in every status, cases with routes and deadlines."""
    rng = random.Random(seed)
    counts = {"services": 0, "referrals": 0, "cases": 0, "security": 0}
    for organisation in organisations:
        members = {m.role: m for m in Membership.objects.filter(organisation=organisation, is_active=True).select_related("user", "organisation")}
        coordinator, lawyer = members.get(Role.COORDINATOR), members.get(Role.LAWYER)
        if coordinator is None or lawyer is None:
            continue
        incidents = list(
            Incident.objects.filter(organisation=organisation, person_links__isnull=False)
            .distinct().order_by("-occurred_on")[: referrals + cases]
        )
        if not incidents:
            continue
        with transaction.atomic():
            _load_one(rng, organisation, coordinator, lawyer, incidents, referrals, cases, counts)
    return counts


def _load_one(rng: random.Random, organisation: Any, coordinator: Membership, lawyer: Membership,
              incidents: list[Incident], n_referrals: int, n_cases: int, counts: dict[str, int]) -> None:
    c_user = coordinator.user
    region = organisation.department_code or None
    local = []
    for spec in LOCAL_SERVICES:
        fields = dict(spec)
        if region:
            from amparo.places.models import Department

            fields["department"] = Department.objects.filter(code=region).first()
        fields["last_checked_on"] = timezone.localdate() - timedelta(days=rng.randint(5, 200))
        local.append(services.service_create(membership=coordinator, acting_user=c_user, **fields))
    counts["services"] += len(local)
    national = list(Service.objects.filter(organisation__isnull=True, code__in=["CEM", "DPUB", "INSP", "CERITS", "DP"]))
    targets: list[Any] = local + national

    for incident in incidents[:n_referrals]:
        to_lawyer = rng.random() < 0.3
        referral = services.referral_create(
            membership=coordinator, acting_user=c_user, incident=incident,
            service=None if to_lawyer else rng.choice(targets), lawyer=lawyer.user if to_lawyer else None,
            need=rng.choice(["legal_aid", "hiv_sti", "psychosocial", "criminal_complaint", "police_complaint"]),
            consent_given=True, consent_method=rng.choice(["verbal", "phone", "written"]),
            follow_up_on=timezone.localdate() + timedelta(days=rng.randint(0, 14)),
        )
        path = rng.choice([[], ["sent"], ["sent", "accepted"], ["sent", "accepted", "completed"],
                           ["sent", "accepted", "completed"], ["sent", "declined"], ["withdrawn"]])
        for status in path:
            actor = lawyer if to_lawyer and status in ("accepted", "declined") else coordinator
            referral = services.referral_transition(
                referral=referral, membership=actor, acting_user=actor.user, status=status,
                outcome="Sin disponibilidad esta semana." if status == "declined" else "",
            )
        if referral.status in ("completed", "declined"):
            services.referral_feedback_record(
                referral=referral, membership=coordinator, acting_user=c_user, rating=rng.choice([1, 2, 3, 4, 5, 5, 4]),
                respectful=rng.random() < 0.7,
            )
        # Spread the history: older referrals, some follow-ups already overdue.
        shift = timedelta(days=rng.randint(1, 120))
        Referral.objects.filter(pk=referral.pk).update(
            created_at=referral.created_at - shift,
            sent_at=referral.sent_at - shift + timedelta(hours=rng.randint(1, 48)) if referral.sent_at else None,
            follow_up_on=timezone.localdate() + timedelta(days=rng.randint(-10, 14)),
        )
        counts["referrals"] += 1

    for incident in incidents[n_referrals : n_referrals + n_cases]:
        Incident.objects.filter(pk=incident.pk).update(consent_legal_action=True)
        incident.refresh_from_db()
        case = services.case_create(membership=coordinator, acting_user=c_user, title=f"Caso de ejemplo {incident.reference}",
                                    incidents=[incident], lawyer=lawyer.user, summary="Caso inventado para la demostración.")
        route = services.case_route_start(case=case, membership=coordinator, acting_user=c_user, route="criminal",
                                          stage=rng.choice(["complaint_police", "complaint_prosecutor"]))
        for stage in ["preliminary", "formal", "accusation"][: rng.randint(0, 3)]:
            route = services.case_route_advance(case_route=route, membership=coordinator, acting_user=c_user, stage=stage)
        if rng.random() < 0.4:
            services.case_route_start(case=case, membership=coordinator, acting_user=c_user, route="inspectorate", stage="filed")
        if rng.random() < 0.3:
            services.case_route_start(case=case, membership=coordinator, acting_user=c_user, route="protection", stage="requested",
                                      requested_at=timezone.now() - timedelta(hours=rng.randint(2, 120)))
        services.deadline_add(case=case, membership=coordinator, acting_user=c_user, title="Presentar escrito (ejemplo)",
                              due_at=timezone.now() + timedelta(days=rng.randint(-5, 20)))
        services.hearing_add(case=case, membership=coordinator, acting_user=c_user,
                             scheduled_at=timezone.now() + timedelta(days=rng.randint(1, 30)), purpose="Audiencia (ejemplo)")
        counts["cases"] += 1

    defender = Person.objects.filter(organisation=organisation, is_defender=True, incident_links__isnull=False).first()
    if defender is not None:
        incident = defender.incident_links.first().incident  # type: ignore[union-attr]
        record = services.security_record_create(
            membership=coordinator, acting_user=c_user, incident=incident, defender=defender, risk_level="high",
            assessment="Amenazas inventadas para la demostración.", follow_up_on=timezone.localdate() + timedelta(days=3),
        )
        services.protective_measure_add(record=record, membership=coordinator, acting_user=c_user, kind="accompaniment")
        counts["security"] += 1
