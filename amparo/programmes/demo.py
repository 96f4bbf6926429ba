"""Invented programmes for `amparo demo`: a year of trainings, testing and advocacy. Nothing real.

Programmes, venues and indicators go through the real services; the year of activities is
bulk-created (sealed columns are sealed by the same field code) with one audit row per load.
The few people-level records on top (milestones, linkage to care, referrals from activities)
go through the real services one by one, so their consent, sealing and audit are the real ones.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from amparo.accounts.models import Membership, Role
from amparo.audit import services as audit
from amparo.places.models import District
from amparo.programmes import services
from amparo.programmes.models import (
    Activity,
    ActivityKind,
    InstitutionKind,
    Measure,
    MilestoneScope,
    Programme,
    VenueKind,
)
from amparo.records.management.commands.demo import CODE_WORDS

VENUE_NAMES = ["Sauna Azul", "Hotel Girasol", "Bar La Luna", "Esquina Norte", "Hotel Estrella", "Sauna Roble", "Discoteca Faro",
               "Esquina del Parque", "Hotel Colibrí", "Bar El Puente", "Hostal Lirio", "Esquina Sur", "Sauna Palmeras",
               "Local Comunitario", "Hotel Bahía", "Bar Las Flores"]
# A venue's kind follows its code name's first word (a "Hotel …" is a hotel).
VENUE_KINDS = {"Sauna": VenueKind.SAUNA, "Hotel": VenueKind.HOTEL, "Hostal": VenueKind.HOTEL, "Bar": VenueKind.BAR,
               "Discoteca": VenueKind.BAR, "Esquina": VenueKind.STREET_CORNER, "Local": VenueKind.COMMUNITY}
# Commitment follow-ups left for the first reminder run.
PENDING_COMMITMENTS = 2
# People accompanied to treatment, and how far each got ("started" treatment, "confirmed", or
# only "reactive"). The first organisation has enough people on treatment for its figures (and
# the median days) to be published; the others so few that theirs show as "<5": small-cell
# suppression at work, not an empty page. (A few people still waiting would hide the number
# on treatment, and with it the median, as "*".)
LINKAGE_PLANS = (("started",) * 6, ("started",) * 3)
COMISARIAS = ["Comisaría Central (ejemplo)", "Comisaría de Familia (ejemplo)", "Comisaría Norte (ejemplo)", "Serenazgo municipal (ejemplo)"]


def demo_programmes_load(*, organisations: list[Any], seed: int = 2026, today: date | None = None) -> dict[str, int]:
    rng = random.Random(seed)
    today = today or timezone.localdate()
    counts = {"programmes": 0, "venues": 0, "activities": 0, "milestones": 0, "linkages": 0, "referrals": 0}
    for index, organisation in enumerate(organisations):
        members = list(Membership.objects.filter(organisation=organisation, is_active=True).select_related("user", "organisation"))
        coordinator = next((m for m in members if m.role == Role.COORDINATOR), None)
        if coordinator is None:
            continue
        districts = list(District.objects.filter(department_id=organisation.department_code or "15").order_by("code")[:8])
        if not districts:
            continue
        with transaction.atomic():
            _load_one(rng, today, coordinator, [m for m in members if m.role in services.RECORDERS], districts, counts,
                      LINKAGE_PLANS[min(index, len(LINKAGE_PLANS) - 1)])
    return counts


def _load_one(rng: random.Random, today: date, coordinator: Membership, facilitators: list[Membership], districts: list[District],
              counts: dict[str, int], linkage_plan: tuple[str, ...]) -> None:
    user = coordinator.user
    start = today - timedelta(days=365)

    def programme(kind: str, name: str, funder: str, starts_on: date, ends_on: date) -> Programme:
        counts["programmes"] += 1
        return services.programme_create(membership=coordinator, acting_user=user, kind=kind, name=name, funder=funder,
                                         starts_on=starts_on, ends_on=ends_on)

    def indicator(p: Programme, name: str, measure: str, target: int, kind: str = "") -> None:
        services.indicator_create(membership=coordinator, acting_user=user, programme=p, name=name, measure=measure, target=target,
                                  activity_kind=kind)

    venues = []
    for i, code_name in enumerate(VENUE_NAMES):
        venues.append(services.venue_create(membership=coordinator, acting_user=user, code_name=code_name, kind=VENUE_KINDS.get(code_name.split()[0], VenueKind.OTHER),
                                            district=districts[i % len(districts)], address=f"Dirección de ejemplo {i + 1}",
                                            contact="Encargada (ejemplo)"))
    counts["venues"] += len(venues)

    police = programme("grant", "Policías garantes de derechos (ejemplo)", "Fondo de mujeres (ejemplo)", start, today + timedelta(days=180))
    indicator(police, "Policías y serenos capacitados", Measure.POLICE_TRAINED, 100, ActivityKind.POLICE_TRAINING)
    indicator(police, "Capacitaciones a comisarías", Measure.ACTIVITIES, 12, ActivityKind.POLICE_TRAINING)
    campaign_end = date(today.year if today <= date(today.year, 12, 1) else today.year + 1, 12, 1)  # "by 1 December"
    campaign = programme("campaign", "Campaña de pruebas de VIH (ejemplo)", "Ministerio de Salud (ejemplo)", start, campaign_end)
    indicator(campaign, "Pruebas de VIH realizadas", Measure.TESTS_DONE, 10_000, ActivityKind.TESTING_DAY)
    indicator(campaign, "Diagnósticos confirmados", Measure.TESTS_CONFIRMED, 80, ActivityKind.TESTING_DAY)
    indicator(campaign, "Personas vinculadas a tratamiento", Measure.LINKED_TO_CARE, 70, ActivityKind.TESTING_DAY)
    indicator(campaign, "Condones entregados", Measure.CONDOMS, 50_000)
    indicator(campaign, "Trabajadoras sexuales alcanzadas", Measure.SEX_WORKERS_REACHED, 300, ActivityKind.PEER_OUTREACH)
    indicator(campaign, "Mujeres trans alcanzadas", Measure.TRANS_WOMEN_REACHED, 300, ActivityKind.PEER_OUTREACH)
    community = programme("grant", "Fortalecimiento comunitario (ejemplo)", "Fondo de derechos humanos (ejemplo)", start, today + timedelta(days=90))
    indicator(community, "Integrantes capacitadas", Measure.COMMUNITY_REACHED, 400, ActivityKind.MEMBER_TRAINING)
    indicator(community, "Reuniones de incidencia", Measure.ACTIVITIES, 10, ActivityKind.ADVOCACY_MEETING)

    base = {"organisation_id": coordinator.organisation_id, "recorded_by": user}
    rows: list[Activity] = []
    for month in range(12):
        day = start + timedelta(days=30 * month + rng.randint(0, 25))
        if day > today:
            continue
        rows.append(Activity(**base, programme=police, kind=ActivityKind.POLICE_TRAINING, held_on=day, district=rng.choice(districts),
                             institution_kind=rng.choice([InstitutionKind.PNP_COMISARIA, InstitutionKind.SERENAZGO]),
                             institution=rng.choice(COMISARIAS), participants_police=rng.randint(6, 14), leaflets=rng.randint(10, 30),
                             scored_participants=10, pre_score_average=rng.randint(35, 55), post_score_average=rng.randint(65, 90),
                             commitments="Difundir el protocolo de atención (ejemplo)", follow_up_on=day + timedelta(days=60)))
        rows.append(Activity(**base, programme=community, kind=ActivityKind.MEMBER_TRAINING, held_on=day + timedelta(days=3),
                             district=districts[0], participants_sex_workers=rng.randint(12, 30), participants_trans_women=rng.randint(5, 15)))
        if month % 2 == 0:
            rows.append(Activity(**base, programme=community, kind=ActivityKind.ADVOCACY_MEETING, held_on=day + timedelta(days=10),
                                 district=districts[0], institution_kind=rng.choice([InstitutionKind.MUNICIPALITY, InstitutionKind.COMMITTEE]),
                                 institution="Mesa multisectorial (ejemplo)", participants_officials=rng.randint(3, 9)))
    # Peer outreach at the venues every week or so; information sessions (mpox) in one season;
    # a health-staff training each quarter under the campaign.
    for offset in range(0, (today - start).days + 1, 7):
        venue = rng.choice(venues)
        day = start + timedelta(days=offset + rng.randint(0, 6))
        if day > today:
            continue
        reached = rng.randint(4, 18)
        rows.append(Activity(**base, programme=campaign, kind=ActivityKind.PEER_OUTREACH, held_on=day, district_id=venue.district_id,
                             venue=venue, participants_sex_workers=reached // 2, participants_trans_women=reached - reached // 2,
                             condoms=reached * rng.randint(5, 12), lubricants=reached * rng.randint(1, 4), leaflets=reached))
        if 90 <= offset < 150:
            rows.append(Activity(**base, kind=ActivityKind.INFORMATION_SESSION, held_on=day, district_id=venue.district_id, venue=venue,
                                 participants_sex_workers=rng.randint(3, 10), participants_trans_women=rng.randint(2, 8),
                                 leaflets=rng.randint(15, 40), notes="Información sobre mpox y dónde vacunarse (ejemplo)"))
    for quarter in range(4):
        day = start + timedelta(days=91 * quarter + rng.randint(5, 60))
        if day <= today:
            rows.append(Activity(**base, programme=campaign, kind=ActivityKind.HEALTH_STAFF_TRAINING, held_on=day, district=districts[0],
                                 institution_kind=InstitutionKind.HEALTH_SERVICE, institution="Centro de salud (ejemplo)",
                                 participants_health_staff=rng.randint(8, 20), scored_participants=8,
                                 pre_score_average=rng.randint(40, 60), post_score_average=rng.randint(70, 92)))
    # Testing days: every venue about twice a month.
    for offset in range(0, (today - start).days + 1, 15):
        for venue in venues:
            day = start + timedelta(days=offset + rng.randint(0, 14))
            if day > today:
                continue
            done = rng.randint(10, 40)
            reactive = sum(rng.random() < 0.02 for _ in range(done))
            confirmed = sum(rng.random() < 0.85 for _ in range(reactive))
            linked = sum(rng.random() < 0.8 for _ in range(confirmed))
            rows.append(Activity(**base, programme=campaign, kind=ActivityKind.TESTING_DAY, held_on=day, district_id=venue.district_id,
                                 venue=venue, participants_sex_workers=done // 2, participants_trans_women=done - done // 2,
                                 tests_done=done, tests_reactive=reactive, tests_confirmed=confirmed, linked_to_care=linked,
                                 condoms=done * rng.randint(8, 15), lubricants=done * rng.randint(2, 5), leaflets=done))
    # Half a year ago, so its milestone has whole quarters after it to compare.
    rows.append(Activity(**base, programme=community, kind=ActivityKind.AGREEMENT_SIGNED, held_on=today - timedelta(days=200),
                         district=districts[0], institution_kind=InstitutionKind.CIVIL_SOCIETY,
                         institution="Centro de derechos humanos (ejemplo)"))
    made = Activity.objects.bulk_create(rows, batch_size=500)
    through = Activity.facilitators.through
    if facilitators:
        through.objects.bulk_create([through(activity_id=a.pk, membership_id=rng.choice(facilitators).pk) for a in made if a.pk], batch_size=1000)
    audit.record(actor=user, action="activity.demo_loaded", organisation_id=coordinator.organisation_id, detail={"activities": len(made)})
    counts["activities"] += len(made)
    _commitments_reminded(coordinator, today)
    counts["milestones"] += _milestones(coordinator, today)
    counts["linkages"] += _linkages(rng, coordinator, today, linkage_plan)
    counts["referrals"] += _referrals(rng, coordinator, today)


def _commitments_reminded(coordinator: Membership, today: date) -> None:
    """A year of trainings has many past follow-up dates: as in use, all but the latest two were
    already reminded, so the first reminder run leaves a couple of tasks, not a flood."""
    due = Activity.objects.filter(organisation_id=coordinator.organisation_id, follow_up_on__lte=today).order_by("-follow_up_on", "-pk")
    pending = list(due.values_list("pk", flat=True)[:PENDING_COMMITMENTS])
    due.exclude(pk__in=pending).update(reminded_for=F("follow_up_on"))


def _milestones(coordinator: Membership, today: date) -> int:
    """Two police trainings (one public) and the agreement become milestones, far enough in the
    past for the statistics to compare whole quarters before and after. The trainings concern
    their institution's incidents everywhere (the demo organisation works in one region, and its
    incidents by one perpetrator in one region are too few for every quarter to be published);
    the agreement concerns every incident in the region."""
    org_id, user = coordinator.organisation_id, coordinator.user
    trainings = Activity.objects.filter(organisation_id=org_id, kind=ActivityKind.POLICE_TRAINING, held_on__lte=today - timedelta(days=150))
    chosen = [a for a in (trainings.filter(institution_kind=kind).order_by("held_on").first()
                          for kind in (InstitutionKind.PNP_COMISARIA, InstitutionKind.SERENAZGO)) if a is not None]
    made = 0
    for i, activity in enumerate(chosen):
        title = ("la capacitación a la comisaría (ejemplo)" if activity.institution_kind == InstitutionKind.PNP_COMISARIA
                 else "la capacitación al serenazgo (ejemplo)")
        services.activity_mark_milestone(membership=coordinator, acting_user=user, activity=activity, title=title, is_public=i == 0,
                                         scope=MilestoneScope.EVERYWHERE)
        made += 1
    agreement = Activity.objects.filter(organisation_id=org_id, kind=ActivityKind.AGREEMENT_SIGNED).first()
    if agreement is not None:
        services.activity_mark_milestone(membership=coordinator, acting_user=user, activity=agreement, kind="agreement",
                                         title="el convenio con el centro de derechos humanos (ejemplo)", scope=MilestoneScope.DEPARTMENT)
        made += 1
    return made


def _linkages(rng: random.Random, coordinator: Membership, today: date, plan: tuple[str, ...]) -> int:
    """A few people with a reactive result, accompanied to treatment with their consent, from
    testing days spread over half a year whose tallies already count them (so no tally moves).
    `plan` says how far each got: "started" treatment, "confirmed", or only "reactive"."""
    candidates = list(
        Activity.objects.filter(organisation_id=coordinator.organisation_id, kind=ActivityKind.TESTING_DAY, linked_to_care__gte=1,
                                held_on__range=(today - timedelta(days=200), today - timedelta(days=45)))
        .order_by("held_on", "pk")
    )
    if len(candidates) < len(plan):
        return 0
    step = (len(candidates) - 1) / max(len(plan) - 1, 1)
    for i, reached in enumerate(plan):
        activity = candidates[round(i * step)]
        confirmed_on = activity.held_on + timedelta(days=rng.randint(3, 10)) if reached != "reactive" else None
        started_on = confirmed_on + timedelta(days=rng.randint(0, 14)) if confirmed_on is not None and reached == "started" else None
        services.care_linkage_record(
            membership=coordinator, acting_user=coordinator.user, activity=activity, consent_given=True,
            consent_method=rng.choice(["verbal", "written"]), new_code_name=f"{CODE_WORDS[i % len(CODE_WORDS)]} {100 + i}",
            reactive_on=activity.held_on, confirmed_on=confirmed_on, treatment_started_on=started_on,
            health_service="Centro de salud — consultorio de ITS (ejemplo)",
        )
    return len(plan)


def _referrals(rng: random.Random, coordinator: Membership, today: date) -> int:
    """People met at outreach or testing days who asked for legal aid or testing: referred, with
    consent, to the national directory's public defence and HIV service."""
    from amparo.response.models import Service

    directory = {s.code: s for s in Service.objects.filter(organisation__isnull=True, code__in=["DPUB", "CERITS"])}
    org_id = coordinator.organisation_id
    plan = [
        (ActivityKind.PEER_OUTREACH, "DPUB", "legal_aid"),
        (ActivityKind.PEER_OUTREACH, "CERITS", "hiv_sti"),
        (ActivityKind.TESTING_DAY, "DPUB", "legal_aid"),
    ]
    made = 0
    for i, (kind, code, need) in enumerate(plan):
        activity = Activity.objects.filter(organisation_id=org_id, kind=kind, held_on__lte=today).order_by("-held_on", "-pk")[i : i + 1].first()
        if activity is None or code not in directory:
            continue
        services.activity_referral_create(
            membership=coordinator, acting_user=coordinator.user, activity=activity, new_code_name=f"{CODE_WORDS[-1 - i]} {200 + i}",
            service=directory[code], need=need, consent_given=True, consent_method=rng.choice(["verbal", "phone"]),
            follow_up_on=max(today, timezone.localdate()) + timedelta(days=7 + i), send=True,
        )
        made += 1
    return made
