"""`amparo demo`: two invented organisations, an account for every role, and five years of synthetic incidents.

Nothing here is real. Code names are obviously invented ("Mariposa 12"), identity fields say
"ficticio", phone numbers sit in one unassigned-looking block, ID numbers start with a letter
(no DNI does), and every narrative ends by saying it was generated for the demonstration.

The trends are plausible, not measured: detentions and raids by the police and serenazgo rise
until an imagined police directive in the middle of the period and fall after it; extortion
("cupos") and online harassment rise; December, carnival and the national holidays are busier.

Loading is bulk (a few thousand rows in seconds) but goes through the same field code as the
services: sealed fields are encrypted by EncryptedTextField.pre_save, which bulk_create calls,
and blind indexes are computed with the records selectors. Instead of one audit row per record,
each organisation gets one row saying what the demo loaded.
"""

from __future__ import annotations

import base64
import random
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from amparo.accounts.models import Organisation, Role, User
from amparo.accounts.services import membership_create, organisation_create
from amparo.audit import services as audit
from amparo.lib.sampling import weighted_pick as _pick
from amparo.lib.urls import absolute_url
from amparo.places.models import District
from amparo.records.models import (
    AgeBand,
    DatePrecision,
    GenderIdentity,
    IdDocumentType,
    Incident,
    IncidentOrigin,
    IncidentPerpetrator,
    IncidentPerson,
    IncidentStatus,
    IncidentViolation,
    MigrantStatus,
    Nationality,
    Person,
    PersonRole,
    ReferenceCounter,
    Reliability,
    WorkSetting,
)
from amparo.records.selectors import id_number_index, phone_index
from amparo.vocab.models import Term, Vocabulary

# Public on purpose: the demo exists to be tried. The command refuses to run in production mode.
DEMO_PASSWORD = "amparo-demo-2026"
# Base32 of 20 bytes, so any authenticator app accepts it. Shared by every demo account.
DEMO_TOTP_SECRET = "AMPARODEMOAMPARODEMOAMPARODEMO23"
# democode only prints codes for devices with this name *and* the demo secret.
DEMO_DEVICE_NAME = "demo"


def demo_totp_key_hex() -> str:
    return base64.b32decode(DEMO_TOTP_SECRET).hex()


@dataclass(frozen=True)
class DemoOrganisation:
    slug: str
    name: str
    department_code: str
    reference_prefix: str


ORGANISATIONS = (
    DemoOrganisation("lima", "Red Nacional de Trabajadoras Sexuales (demo)", "15", "LIM"),
    DemoOrganisation("arequipa", "Asociación de Trabajadoras Sexuales de Arequipa (demo)", "04", "AQP"),
)
# (role, username stem): the username is "<stem>.<organisation slug>".
ROLE_ACCOUNTS = (
    (Role.ADMIN, "admin"),
    (Role.COORDINATOR, "coordinadora"),
    (Role.DOCUMENTER, "documentadora1"),
    (Role.DOCUMENTER, "documentadora2"),
    (Role.LAWYER, "abogada"),
    (Role.ANALYST, "analista"),
)
# Edits the shared vocabularies; an analyst in both organisations, so it sees no record.
NETWORK_ADMIN = "red.admin"


@dataclass
class OrgAccounts:
    organisation: Organisation
    users: dict[str, list[User]] = field(default_factory=dict)  # role -> users

    def one(self, role: str) -> User:
        return self.users[role][0]


def refuse_in_production() -> None:
    if getattr(settings, "PRODUCTION", False):
        raise CommandError("Refusing to run in production mode: the demo password and two-factor secret are public.")


def _demo_user_create(username: str, encoded_password: str, *, is_network_admin: bool = False) -> User:
    """As accounts.services.user_create, but with an already hashed password."""
    user = User.objects.create(
        username=username, email=f"{username}@demo.invalid", password=encoded_password, is_network_admin=is_network_admin
    )
    audit.record(actor=None, action="user.created", target=user, detail={"demo": True})
    return user


@transaction.atomic
def demo_accounts_create(*, password: str = DEMO_PASSWORD) -> list[OrgAccounts]:
    """Both organisations, one account per role in each, a network admin, and a confirmed demo TOTP device each."""
    key_hex = demo_totp_key_hex()
    # One Argon2 hash for the one public password: hashing it thirteen times costs seconds.
    encoded = make_password(password)
    result = []
    users: list[User] = []
    for spec in ORGANISATIONS:
        org = organisation_create(
            name=spec.name, slug=spec.slug, department_code=spec.department_code, reference_prefix=spec.reference_prefix
        )
        accounts = OrgAccounts(org)
        for role, stem in ROLE_ACCOUNTS:
            user = _demo_user_create(f"{stem}.{spec.slug}", encoded)
            membership_create(user=user, organisation=org, role=role, acting_user=None)
            accounts.users.setdefault(role, []).append(user)
            users.append(user)
        result.append(accounts)
    network_admin = _demo_user_create(NETWORK_ADMIN, encoded, is_network_admin=True)
    for accounts in result:
        membership_create(user=network_admin, organisation=accounts.organisation, role=Role.ANALYST, acting_user=None)
    users.append(network_admin)
    TOTPDevice.objects.bulk_create(
        [TOTPDevice(user=u, name=DEMO_DEVICE_NAME, confirmed=True, key=key_hex) for u in users]
    )
    return result


def demo_accounts_list() -> list[tuple[str, str, str]]:
    """(username, organisation slug, role) for every demo account, in the order they are printed."""
    rows = [(f"{stem}.{spec.slug}", spec.slug, str(role.label)) for spec in ORGANISATIONS for role, stem in ROLE_ACCOUNTS]
    rows.append((NETWORK_ADMIN, "lima, arequipa", f"{Role.ANALYST.label} + network admin"))
    return rows


# ---------------------------------------------------------------------------------------------
# The generator. Pure Python over a seeded random.Random: the same seed and the same "today"
# give the same records (ciphertexts differ, since every seal draws a fresh nonce).
# ---------------------------------------------------------------------------------------------

# Relative weight of each department (INEI code) in the incidents: the big cities and the
# migration corridors of the coast and the Amazon carry most of them.
REGION_WEIGHTS = {
    "15": 38, "04": 12, "07": 8, "13": 7, "20": 6, "16": 5, "08": 5, "14": 4, "12": 3, "11": 2.5,
    "24": 2, "25": 2, "22": 2, "23": 2, "21": 1.5, "02": 1.5, "17": 1.5, "06": 1, "10": 0.8, "18": 0.8,
    "05": 0.6, "03": 0.4, "01": 0.4, "09": 0.3, "19": 0.3,
}
# Share of a department's incidents documented by the Arequipa association; the rest go to Lima's national network.
AREQUIPA_SHARE = {"04": 0.9, "18": 0.5, "23": 0.5, "21": 0.4, "08": 0.15}

# Busier months: carnival (Feb), national holidays (Jul), the December season.
SEASON = {1: 1.0, 2: 1.15, 3: 1.0, 4: 0.95, 5: 0.95, 6: 0.9, 7: 1.1, 8: 0.95, 9: 0.9, 10: 0.95, 11: 1.0, 12: 1.3}
SEASON_MAX = max(SEASON.values())
# Where, in the five years (0..1), the imagined police directive on the treatment of sex workers lands.
DIRECTIVE_AT = 0.55


def _police_trend(t: float) -> float:
    if t < DIRECTIVE_AT:
        return 1.0 + 1.2 * t / DIRECTIVE_AT
    return 1.3 - 0.5 * (t - DIRECTIVE_AT) / (1 - DIRECTIVE_AT)


TRENDS: dict[str, tuple[Callable[[float], float], float]] = {
    # name: (intensity over the period, its maximum) for rejection sampling of dates.
    "police": (_police_trend, 2.2),
    "rising": (lambda t: 0.5 + 2.5 * t, 3.0),
    "online": (lambda t: 0.6 + 1.4 * t, 2.0),
    "flat": (lambda t: 1.0, 1.0),
    "easing": (lambda t: 1.2 - 0.5 * t, 1.2),
}

PLATE_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
NICKNAMES = ("el Alto", "el Zurdo", "el Gordo", "el Flaco", "el Tío", "la Sombra", "el Rubio", "el Chato", "el Cholo", "el Tigre")
PLACES_ES = {
    "street": ("en la calle donde trabaja", "en una esquina del centro", "en la avenida, de madrugada", "en un parque cercano"),
    "police_station": ("en la comisaría del sector", "dentro de la comisaría", "en la puerta de la comisaría"),
    "vehicle": ("dentro de un patrullero", "en una camioneta", "en el auto de un cliente"),
    "hotel": ("en un hostal de la zona", "en la habitación de un hotel", "en la recepción de un hostal"),
    "venue": ("en el local donde trabaja", "en un night club", "en la entrada del local"),
    "home": ("en su vivienda", "en el cuarto que alquila", "en la casa que comparte con compañeras"),
    "health_facility": ("en el centro de salud", "en la posta", "en el servicio de emergencia del hospital"),
    "online": ("por redes sociales", "por mensajes de WhatsApp", "en un grupo de Facebook"),
    "other": ("en otro lugar", "en la terminal de buses", "en el mercado"),
}
MOMENTS = ("en la madrugada", "por la noche", "al caer la tarde", "a media noche", "durante el día", "un fin de semana")
OPENINGS = (
    "Según el relato recogido por la documentadora, ",
    "La persona sobreviviente cuenta que ",
    "De acuerdo con la entrevista, ",
    "En su testimonio, la compañera refiere que ",
    "Una compañera que estuvo presente relata que ",
)
CLOSINGS = (
    " Pidió orientación legal y acompañamiento.",
    " No quiso denunciar por temor a represalias.",
    " Se le dio información sobre sus derechos y contactos de la organización.",
    " Intentó denunciar, pero no le recibieron la denuncia.",
    " Recibió acompañamiento de la organización al día siguiente.",
    " Prefiere que la organización no la contacte por ahora.",
)
FICTION_NOTE = " (Relato ficticio generado para la demostración.)"


@dataclass(frozen=True)
class Scenario:
    """One kind of incident: what tends to happen, by whom, where, and how it changes over time."""

    code: str
    weight: float
    trend: str
    violations: tuple[str, ...]  # always present
    extra_violations: tuple[tuple[str, float], ...]  # (code, probability)
    perpetrators: tuple[tuple[str, float], ...]  # weighted: one is drawn
    extra_perpetrators: tuple[tuple[str, float], ...]
    places: tuple[tuple[str, float], ...]
    group: tuple[int, int]  # people linked: min, max
    stories: tuple[str, ...]
    night: float = 0.5  # chance that the time, when known, is at night
    alarm: float = 0.0  # chance it came in as a raid / detention alarm


SCENARIOS = (
    Scenario(
        "raid", 0.16, "police", ("raid",),
        (("arbitrary_detention", 0.7), ("confiscation", 0.5), ("verbal_abuse", 0.6), ("physical_assault", 0.25), ("extortion", 0.08)),
        (("pnp_officer", 0.55), ("serenazgo", 0.3), ("municipal_inspection", 0.15)),
        (("serenazgo", 0.3), ("pnp_officer", 0.2)),
        (("street", 0.55), ("venue", 0.25), ("hotel", 0.2)),
        (2, 7),
        (
            "{momento} llegó un operativo {lugar}; a {n} compañeras las subieron a la fuerza sin explicar el motivo.",
            "{momento} hubo una batida {lugar}. Les pidieron documentos, les quitaron los condones y se llevaron a {n} personas.",
            "un grupo de agentes intervino {lugar} {momento}, insultó a las compañeras y retuvo a {n} de ellas varias horas.",
        ),
        night=0.85, alarm=0.15,
    ),
    Scenario(
        "detention", 0.17, "police", ("arbitrary_detention",),
        (("detention_without_cause", 0.5), ("verbal_abuse", 0.6), ("confiscation", 0.35), ("physical_assault", 0.2),
         ("extortion", 0.12), ("forced_sex_by_official", 0.03), ("denial_of_justice", 0.1)),
        (("pnp_officer", 0.7), ("serenazgo", 0.25), ("military", 0.05)),
        (),
        (("street", 0.55), ("police_station", 0.25), ("vehicle", 0.2)),
        (1, 2),
        (
            "{momento} la detuvieron {lugar} sin decirle por qué y la tuvieron retenida varias horas.",
            "la intervinieron {lugar} {momento}, le pidieron dinero para dejarla ir y se burlaron de su identidad.",
            "{momento} la llevaron {lugar}; no le permitieron llamar a nadie y le quitaron sus cosas.",
        ),
        night=0.8, alarm=0.1,
    ),
    Scenario(
        "extortion", 0.15, "rising", ("extortion",),
        (("threat", 0.8), ("physical_assault", 0.2), ("robbery", 0.15)),
        (("extortion_gang", 0.85), ("unknown", 0.15)),
        (),
        (("street", 0.6), ("venue", 0.25), ("online", 0.1), ("home", 0.05)),
        (1, 4),
        (
            "un grupo le exige un pago semanal para dejarla trabajar {lugar}; {momento} la amenazaron si no pagaba.",
            "le cobran cupo a {n} compañeras {lugar}. {momento} llegaron a amenazarlas de nuevo.",
            "recibió mensajes exigiendo dinero y {momento} se acercaron a intimidarla {lugar}.",
        ),
    ),
    Scenario(
        "client", 0.14, "flat", ("physical_assault",),
        (("robbery", 0.45), ("sexual_violence", 0.2), ("rape", 0.08), ("threat", 0.3), ("verbal_abuse", 0.4)),
        (("client", 0.9), ("unknown", 0.1)),
        (),
        (("hotel", 0.45), ("vehicle", 0.25), ("street", 0.2), ("home", 0.1)),
        (1, 1),
        (
            "{momento} un cliente la agredió {lugar} y se llevó su dinero y su celular.",
            "un hombre que se presentó como cliente la golpeó {lugar} {momento} cuando ella quiso poner límites.",
            "{momento}, {lugar}, un cliente se negó a pagar y la empujó con violencia.",
        ),
        night=0.7,
    ),
    Scenario(
        "partner", 0.07, "flat", ("physical_assault",),
        (("threat", 0.6), ("verbal_abuse", 0.7), ("eviction", 0.1)),
        (("intimate_partner", 0.75), ("family_member", 0.25)),
        (),
        (("home", 0.85), ("street", 0.15)),
        (1, 1),
        (
            "su pareja la golpeó {lugar} {momento} y la amenazó con contar a su familia a qué se dedica.",
            "un familiar la insultó y la agredió {lugar} por su identidad de género.",
        ),
    ),
    Scenario(
        "health", 0.07, "easing", ("health_discrimination",),
        (("verbal_abuse", 0.5), ("outing", 0.1)),
        (("health_worker", 1.0),),
        (),
        (("health_facility", 1.0),),
        (1, 1),
        (
            "acudió {lugar} y no quisieron atenderla; el personal la llamó por un nombre que no es el suyo.",
            "{momento} fue {lugar} a pedir su tratamiento y le negaron la atención por ser trabajadora sexual.",
        ),
        night=0.1,
    ),
    Scenario(
        "online", 0.08, "online", ("online_harassment",),
        (("outing", 0.35), ("threat", 0.5), ("extortion", 0.1)),
        (("unknown", 0.5), ("client", 0.35), ("intimate_partner", 0.15)),
        (),
        (("online", 1.0),),
        (1, 1),
        (
            "publicaron fotos suyas {lugar} sin su consentimiento y la amenazaron con mostrarlas a su familia.",
            "recibe mensajes de odio {lugar} desde varias cuentas que no conoce.",
        ),
    ),
    Scenario(
        "neighbours", 0.06, "flat", ("verbal_abuse",),
        (("eviction", 0.45), ("threat", 0.45), ("service_denial", 0.15), ("physical_assault", 0.1)),
        (("neighbour", 0.6), ("venue_owner", 0.4)),
        (),
        (("home", 0.6), ("venue", 0.3), ("street", 0.1)),
        (1, 3),
        (
            "la junta vecinal exigió que {n} compañeras dejaran el cuarto que alquilan {lugar}.",
            "el administrador del local la echó {momento} sin pagarle lo que le debía y la amenazó.",
        ),
    ),
    Scenario(
        "justice", 0.05, "police", ("denial_of_justice",),
        (("verbal_abuse", 0.6), ("service_denial", 0.2)),
        (("pnp_officer", 0.85), ("other_official", 0.15)),
        (),
        (("police_station", 1.0),),
        (1, 1),
        (
            "fue {lugar} a denunciar una agresión y no le recibieron la denuncia; se burlaron de ella.",
            "intentó poner una denuncia {lugar} {momento} y le dijeron que volviera con otro documento.",
        ),
        night=0.2,
    ),
    Scenario(
        "killing", 0.02, "flat", ("attempted_killing",),
        (("physical_assault", 0.8), ("threat", 0.4)),
        (("unknown", 0.5), ("client", 0.3), ("extortion_gang", 0.2)),
        (),
        (("street", 0.5), ("hotel", 0.3), ("home", 0.2)),
        (1, 1),
        (
            "{momento} la atacaron {lugar} con un arma; sobrevivió y estuvo hospitalizada.",
            "{momento} una compañera fue atacada {lugar}; la organización acompaña a su familia.",
        ),
        night=0.8,
    ),
    Scenario(
        "outing", 0.03, "flat", ("outing",),
        (("verbal_abuse", 0.6), ("threat", 0.3)),
        (("neighbour", 0.4), ("family_member", 0.3), ("other_official", 0.3)),
        (),
        (("street", 0.4), ("home", 0.4), ("other", 0.2)),
        (1, 1),
        ("revelaron su trabajo y su identidad a su familia y vecinos {lugar} sin su permiso.",),
    ),
)
# Some attacks were fatal: "killing" replaces "attempted_killing" in this share of them.
FATAL_SHARE = 0.4

SOURCES = (("self", 0.5), ("peer_interview", 0.25), ("witness", 0.1), ("anonymous_report", 0.06), ("other_org", 0.05), ("media", 0.04))
RELIABILITY_BY_SOURCE = {
    "self": ((Reliability.HIGH, 0.6), (Reliability.MEDIUM, 0.35), (Reliability.UNKNOWN, 0.05)),
    "peer_interview": ((Reliability.HIGH, 0.5), (Reliability.MEDIUM, 0.45), (Reliability.UNKNOWN, 0.05)),
    "witness": ((Reliability.MEDIUM, 0.7), (Reliability.HIGH, 0.2), (Reliability.LOW, 0.1)),
    "anonymous_report": ((Reliability.LOW, 0.5), (Reliability.UNKNOWN, 0.5)),
    "other_org": ((Reliability.MEDIUM, 0.7), (Reliability.HIGH, 0.3)),
    "media": ((Reliability.LOW, 0.5), (Reliability.MEDIUM, 0.5)),
}

GENDERS = (
    (GenderIdentity.TRANS_WOMAN, 0.44), (GenderIdentity.CIS_WOMAN, 0.48), (GenderIdentity.NON_BINARY, 0.02),
    (GenderIdentity.TRANS_MAN, 0.01), (GenderIdentity.OTHER, 0.01), (GenderIdentity.NOT_SAID, 0.04),
)
AGES = (
    (AgeBand.AGE_18_24, 0.25), (AgeBand.AGE_25_34, 0.38), (AgeBand.AGE_35_44, 0.2), (AgeBand.AGE_45_59, 0.1),
    (AgeBand.AGE_60_PLUS, 0.02), (AgeBand.UNDER_18, 0.01), (AgeBand.NOT_SAID, 0.04),
)
NATIONALITIES = (
    (Nationality.PERU, 0.58), (Nationality.VENEZUELA, 0.32), (Nationality.COLOMBIA, 0.05), (Nationality.ECUADOR, 0.02),
    (Nationality.OTHER, 0.01), (Nationality.NOT_SAID, 0.02),
)
MIGRANT_STATUSES = (
    (MigrantStatus.REGULAR, 0.4), (MigrantStatus.IRREGULAR, 0.45), (MigrantStatus.ASYLUM, 0.1), (MigrantStatus.NOT_SAID, 0.05),
)
WORK_SETTINGS = (
    (WorkSetting.STREET, 0.5), (WorkSetting.VENUE, 0.25), (WorkSetting.ONLINE, 0.18), (WorkSetting.OTHER, 0.03), (WorkSetting.NOT_SAID, 0.04),
)
CODE_WORDS = (
    "Mariposa", "Colibrí", "Orquídea", "Luna", "Estrella", "Gaviota", "Jazmín", "Violeta", "Cometa", "Brisa",
    "Perla", "Aurora", "Canela", "Gardenia", "Lucero", "Paloma", "Retama", "Totora", "Quinua", "Garúa",
)


@dataclass
class IncidentSpec:
    """An incident before it becomes a row: light enough to hold 100,000 of them."""

    org_index: int
    scenario: Scenario
    occurred_on: date
    department: str
    group: int


class DemoGenerator:
    def __init__(self, *, seed: int, today: date, years: int = 5) -> None:
        self.rng = random.Random(seed)
        self.today = today
        self.start = today.replace(year=today.year - years) if not (today.month == 2 and today.day == 29) else today - timedelta(days=365 * years)
        self.span_days = (today - self.start).days
        self.terms = self._load_terms()
        self.districts = self._load_districts()
        self.regions = tuple((code, w) for code, w in REGION_WEIGHTS.items() if code in self.districts)
        self.scenario_weights = tuple((s, s.weight) for s in SCENARIOS)

    @staticmethod
    def _load_terms() -> dict[tuple[str, str], Term]:
        terms = {(t.vocabulary, t.code): t for t in Term.objects.filter(is_active=True)}
        needed = {(Vocabulary.SOURCE.value, code) for code, _ in SOURCES}
        for s in SCENARIOS:
            needed |= {(Vocabulary.VIOLATION.value, c) for c in (*s.violations, *(c for c, _ in s.extra_violations), "killing")}
            needed |= {(Vocabulary.PERPETRATOR.value, c) for c, _ in (*s.perpetrators, *s.extra_perpetrators)}
            needed |= {(Vocabulary.PLACE_TYPE.value, c) for c, _ in s.places}
        missing = needed - set(terms)
        if missing:
            raise CommandError("The vocabularies lack terms the demo uses: " + ", ".join(sorted(f"{v}:{c}" for v, c in missing)))
        return terms

    @staticmethod
    def _load_districts() -> dict[str, tuple[list[tuple[str, str]], list[tuple[str, str]]]]:
        """Per department: (districts of the capital province, all districts), as (district, province) codes."""
        by_dept: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for code, province, dept in District.objects.order_by("code").values_list("code", "province_id", "department_id"):
            by_dept[dept].append((code, province))
        if not by_dept:
            raise CommandError("No districts loaded: run `amparo migrate` first.")
        return {d: ([row for row in rows if row[1] == rows[0][1]], rows) for d, rows in by_dept.items()}

    # -- incidents -----------------------------------------------------------------------------

    def _date(self, scenario: Scenario) -> date:
        trend, peak = TRENDS[scenario.trend]
        while True:
            t = self.rng.random()
            day = self.start + timedelta(days=int(t * self.span_days) + 1)
            if self.rng.random() * peak * SEASON_MAX <= trend(t) * SEASON[day.month]:
                return min(day, self.today)

    def incident_specs(self, n: int) -> list[IncidentSpec]:
        specs = []
        for _ in range(n):
            scenario = _pick(self.rng, self.scenario_weights)
            dept = _pick(self.rng, self.regions)
            org_index = 1 if self.rng.random() < AREQUIPA_SHARE.get(dept, 0.0) else 0
            lo, hi = scenario.group
            group = lo if lo == hi else min(hi, lo + int(self.rng.expovariate(1 / max(1.0, (hi - lo) / 2.5))))
            specs.append(IncidentSpec(org_index, scenario, self._date(scenario), dept, group))
        return specs

    def _district(self, dept: str) -> tuple[str, str] | None:
        capital, everywhere = self.districts[dept]
        r = self.rng.random()
        if r < 0.05:
            return None  # region known, district not said
        pool = capital if r < 0.8 else everywhere
        # Skewed towards the first districts of the list: a few central districts see most incidents.
        return pool[min(len(pool) - 1, int(len(pool) * self.rng.random() ** 2.2))]

    def _violations(self, s: Scenario) -> list[str]:
        codes = list(s.violations)
        if "attempted_killing" in codes and self.rng.random() < FATAL_SHARE:
            codes = ["killing"]
        codes += [c for c, p in s.extra_violations if self.rng.random() < p]
        return list(dict.fromkeys(codes))

    def _perpetrators(self, s: Scenario) -> list[str]:
        codes = [_pick(self.rng, s.perpetrators)]
        codes += [c for c, p in s.extra_perpetrators if self.rng.random() < p]
        return list(dict.fromkeys(codes))

    def _perpetrator_details(self, perpetrators: list[str]) -> str:
        rng = self.rng
        if rng.random() < 0.35:
            return ""
        parts = []
        if {"pnp_officer", "serenazgo", "municipal_inspection"} & set(perpetrators):
            if rng.random() < 0.6:
                plate = "".join(rng.choice(PLATE_LETTERS) for _ in range(2)) + f"-{rng.randrange(1000, 9999)}"
                parts.append(f"Vehículo de placa ficticia {plate}")
            if rng.random() < 0.4:
                parts.append(f"Agente con número de carné ficticio {rng.randrange(10000, 99999)}")
            if rng.random() < 0.3:
                parts.append(f"Unidad: comisaría del sector {rng.randrange(1, 12)} (dato ficticio)")
        if rng.random() < 0.4 or not parts:
            parts.append(f"Apodo: «{rng.choice(NICKNAMES)}» (ficticio)")
        return "; ".join(parts) + "."

    def _narrative(self, s: Scenario, place: str, group: int) -> str:
        rng = self.rng
        story = rng.choice(s.stories).format(lugar=rng.choice(PLACES_ES[place]), momento=rng.choice(MOMENTS), n=max(group, 2))
        return rng.choice(OPENINGS) + story + rng.choice(CLOSINGS) + FICTION_NOTE

    def _status(self, occurred_on: date) -> str:
        age = (self.today - occurred_on).days
        if age > 365:
            weights = ((IncidentStatus.CLOSED, 0.7), (IncidentStatus.IN_PROGRESS, 0.2), (IncidentStatus.NEW, 0.1))
        elif age > 90:
            weights = ((IncidentStatus.CLOSED, 0.35), (IncidentStatus.IN_PROGRESS, 0.45), (IncidentStatus.NEW, 0.2))
        else:
            weights = ((IncidentStatus.NEW, 0.5), (IncidentStatus.IN_PROGRESS, 0.4), (IncidentStatus.CLOSED, 0.1))
        return _pick(self.rng, weights)

    def incident(self, spec: IncidentSpec, *, organisation: Organisation, accounts: OrgAccounts, reference: str, recorded_at: datetime) -> tuple[Incident, list[str], list[str], str]:
        """An unsaved Incident, its violation and perpetrator codes, and its source code."""
        rng, s = self.rng, spec.scenario
        violations, perpetrators = self._violations(s), self._perpetrators(s)
        place = _pick(rng, s.places)
        source = _pick(rng, SOURCES)
        precision = _pick(rng, ((DatePrecision.DAY, 0.88), (DatePrecision.MONTH, 0.09), (DatePrecision.YEAR, 0.03)))
        occurred_on = spec.occurred_on
        if precision == DatePrecision.MONTH:
            occurred_on = occurred_on.replace(day=1)
        elif precision == DatePrecision.YEAR:
            occurred_on = occurred_on.replace(month=1, day=1)
        occurred_time = None
        if precision == DatePrecision.DAY and rng.random() < 0.45:
            hour = rng.choice((21, 22, 23, 0, 1, 2, 3, 4)) if rng.random() < s.night else rng.randrange(7, 21)
            occurred_time = time(hour, rng.choice((0, 15, 30, 45)))
        legal = rng.random() < (0.35 if s.trend == "police" else 0.2)
        contact = rng.random() < 0.6
        if source == "anonymous_report":
            origin, creator = IncidentOrigin.ANONYMOUS_REPORT, accounts.one(Role.COORDINATOR).pk
        else:
            origin = IncidentOrigin.ALARM if rng.random() < s.alarm else (IncidentOrigin.FIELD_FORM if rng.random() < 0.1 else IncidentOrigin.DOCUMENTER)
            creator = _pick(rng, (
                (accounts.users[Role.DOCUMENTER][0].pk, 0.4), (accounts.users[Role.DOCUMENTER][-1].pk, 0.35),
                (accounts.one(Role.COORDINATOR).pk, 0.2), (accounts.one(Role.ADMIN).pk, 0.05),
            ))
        assigned = None
        if legal and rng.random() < 0.4:
            assigned = accounts.one(Role.LAWYER).pk
        elif rng.random() < 0.08:
            assigned = accounts.users[Role.DOCUMENTER][rng.randrange(len(accounts.users[Role.DOCUMENTER]))].pk
        district = self._district(spec.department)
        people_affected = max(spec.group, 1) + (rng.randrange(0, 6) if s.code == "raid" else 0)
        terms = self.terms
        incident = Incident(
            organisation_id=organisation.pk,
            reference=reference,
            status=self._status(occurred_on),
            origin=origin,
            occurred_on=occurred_on,
            date_precision=precision,
            occurred_time=occurred_time,
            district_id=district[0] if district else None,
            province_id=district[1] if district else None,
            department_id=spec.department,
            place_type_id=terms[(Vocabulary.PLACE_TYPE, place)].pk,
            perpetrator_details=self._perpetrator_details(perpetrators),
            narrative=self._narrative(s, place, spec.group),
            people_affected=people_affected,
            involves_state_agent=any(terms[(Vocabulary.PERPETRATOR, c)].is_state_agent for c in perpetrators),
            source_id=terms[(Vocabulary.SOURCE, source)].pk,
            reliability=_pick(rng, RELIABILITY_BY_SOURCE[source]),
            # Nothing is stored without consent to store; the other consents vary as they do in life.
            consent_store=True,
            consent_share_stats=rng.random() < 0.9,
            consent_legal_action=legal,
            consent_contact=contact,
            contact_preference=(rng.choice(("WhatsApp", "Llamada", "A través de la documentadora")) + f", {rng.choice(('mañanas', 'tardes', 'noches'))} (ficticio)") if contact else "",
            consent_recorded_at=recorded_at,
            consent_recorded_by_id=creator,
            created_by_id=creator,
            assigned_to_id=assigned,
        )
        return incident, violations, perpetrators, source

    # -- people --------------------------------------------------------------------------------

    def person(self, *, organisation: Organisation, accounts: OrgAccounts, number: int) -> Person:
        rng = self.rng
        nationality = _pick(rng, NATIONALITIES)
        migrant = MigrantStatus.NATIONAL if nationality == Nationality.PERU else (
            MigrantStatus.NOT_SAID if nationality == Nationality.NOT_SAID else _pick(rng, MIGRANT_STATUSES)
        )
        if nationality == Nationality.PERU:
            doc_type = IdDocumentType.DNI
        elif migrant == MigrantStatus.IRREGULAR:
            doc_type = _pick(rng, ((IdDocumentType.NONE, 0.5), (IdDocumentType.PASSPORT, 0.3), (IdDocumentType.OTHER, 0.2)))
        else:
            doc_type = _pick(rng, ((IdDocumentType.CE, 0.4), (IdDocumentType.CPP, 0.45), (IdDocumentType.PASSPORT, 0.15)))
        # A letter first: no real DNI or CE number looks like this.
        id_number = f"D{organisation.pk:02d}{number:06d}" if doc_type != IdDocumentType.NONE and rng.random() < 0.7 else ""
        # One block of invented mobile numbers, never dialled by anyone.
        phone = f"+51 900 {number // 1000 % 1000:03d} {number % 1000:03d}" if rng.random() < 0.75 else ""
        person = Person(
            organisation_id=organisation.pk,
            code_name=f"{CODE_WORDS[number % len(CODE_WORDS)]} {number // len(CODE_WORDS) + 1}",
            chosen_name=f"Nombre ficticio {number}" if rng.random() < 0.8 else "",
            legal_name=f"Persona Ficticia Demo {number}" if rng.random() < 0.5 else "",
            id_document_type=doc_type if id_number else "",
            id_number=id_number,
            phone=phone,
            safe_contact=f"{rng.choice(('WhatsApp', 'Llamada', 'Mensaje de texto'))}, {rng.choice(('mañanas', 'tardes', 'noches'))} (ficticio)" if phone else "",
            address=f"Calle Ficticia {rng.randrange(1, 999)}" if rng.random() < 0.2 else "",
            # Only some people choose to share it; the value says it is invented.
            hiv_status="Dato ficticio compartido voluntariamente" if rng.random() < 0.04 else "",
            phone_index=phone_index(phone, org_id=organisation.pk) if phone else "",
            id_number_index=id_number_index(id_number, org_id=organisation.pk) if id_number else "",
            gender_identity=_pick(rng, GENDERS),
            age_band=_pick(rng, AGES),
            nationality=nationality,
            migrant_status=migrant,
            work_setting=_pick(rng, WORK_SETTINGS),
            is_defender=rng.random() < 0.08,
            created_by_id=_pick(rng, (
                (accounts.users[Role.DOCUMENTER][0].pk, 0.45), (accounts.users[Role.DOCUMENTER][-1].pk, 0.4), (accounts.one(Role.COORDINATOR).pk, 0.15),
            )),
        )
        return person


class _PeoplePool:
    """Hands out people for incident links: everyone once first, then some people again and again."""

    def __init__(self, rng: random.Random, people_by_dept: dict[str, list[int]]) -> None:
        self.rng = rng
        self.by_dept = people_by_dept
        self.unused = {d: list(ids) for d, ids in people_by_dept.items()}
        self.everyone = [pk for ids in people_by_dept.values() for pk in ids]

    def take(self, dept: str, k: int) -> list[int]:
        chosen: list[int] = []
        pool = self.by_dept.get(dept) or self.everyone
        unused = self.unused.get(dept) if dept in self.by_dept else None
        for _ in range(k * 3):
            if len(chosen) == k or not pool:
                break
            if unused:
                pk = unused.pop()
            else:
                pk = pool[min(len(pool) - 1, int(len(pool) * self.rng.random() ** 3))]
            if pk not in chosen:
                chosen.append(pk)
        return chosen


BATCH = 2000


def _insert_rows(model: type[Model], columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Plain INSERTs for link rows, which are only integers: no model instance per row, nothing to seal."""
    if not rows:
        return
    quote = connection.ops.quote_name
    # Table and column names come from the model, quoted; values go as parameters.
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        quote(model._meta.db_table), ", ".join(quote(c) for c in columns), ", ".join(["%s"] * len(columns))
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _batches(items: list[Any], size: int = BATCH) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def demo_records_load(
    *, accounts: list[OrgAccounts], incidents: int, people: int, seed: int = 2026, today: date | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, tuple[int, int]]:
    """Bulk-load synthetic people and incidents for the given organisations. Returns {slug: (incidents, people)}.

    References follow the occurrence year and continue each organisation's ReferenceCounter,
    so incidents recorded later through the service get the next free number.
    """
    gen = DemoGenerator(seed=seed, today=today or timezone.localdate())
    say = progress or (lambda _msg: None)
    specs = gen.incident_specs(incidents)
    by_org: dict[int, list[IncidentSpec]] = defaultdict(list)
    for spec in specs:
        by_org[min(spec.org_index, len(accounts) - 1)].append(spec)
    now = timezone.now()
    result: dict[str, tuple[int, int]] = {}
    for index, acc in enumerate(accounts):
        org = acc.organisation
        org_specs = sorted(by_org.get(index, []), key=lambda s: s.occurred_on)
        org_people = round(people * len(org_specs) / max(1, len(specs))) if index < len(accounts) - 1 else people - sum(p for _, p in result.values())
        with transaction.atomic():
            # People live where their incidents happen.
            depts = [s.department for s in org_specs] or [org.department_code or "15"]
            start_number = Person.objects.filter(organisation=org).count() + 1
            people_rows = []
            home: list[str] = []
            for i in range(org_people):
                people_rows.append(gen.person(organisation=org, accounts=acc, number=start_number + i))
                home.append(gen.rng.choice(depts))
            for batch in _batches(people_rows):
                Person.objects.bulk_create(batch)
            people_by_dept: dict[str, list[int]] = defaultdict(list)
            for person, dept in zip(people_rows, home, strict=True):
                people_by_dept[dept].append(person.pk)
            for ids in people_by_dept.values():
                gen.rng.shuffle(ids)
            pool = _PeoplePool(gen.rng, people_by_dept)
            del people_rows
            say(f"{org.slug}: {org_people} people")

            counters = {c.year: c for c in ReferenceCounter.objects.select_for_update().filter(organisation=org)}
            last = {year: c.last for year, c in counters.items()}
            created = 0
            for chunk in _batches(org_specs):
                rows, links = [], []
                for spec in chunk:
                    year = spec.occurred_on.year
                    last[year] = last.get(year, 0) + 1
                    incident, violations, perpetrators, source = gen.incident(
                        spec, organisation=org, accounts=acc,
                        reference=f"{org.reference_prefix}-{year}-{last[year]:05d}", recorded_at=now,
                    )
                    # Anonymous and media reports often name nobody.
                    named = spec.group if source not in ("anonymous_report", "media") or gen.rng.random() < 0.2 else 0
                    rows.append(incident)
                    links.append((violations, perpetrators, pool.take(spec.department, named) if named else []))
                # bulk_create runs each field's pre_save: the sealed fields are encrypted here.
                Incident.objects.bulk_create(rows)
                if rows and rows[0].pk is None:  # SQLite before 3.35 returns no ids from bulk inserts
                    raise CommandError("This database does not return ids from bulk inserts; the demo needs SQLite 3.35+ or PostgreSQL.")
                violation_pk = {c: t.pk for (v, c), t in gen.terms.items() if v == Vocabulary.VIOLATION}
                perpetrator_pk = {c: t.pk for (v, c), t in gen.terms.items() if v == Vocabulary.PERPETRATOR}
                pairs = list(zip((inc.pk for inc in rows), links, strict=True))
                _insert_rows(IncidentViolation, ("organisation_id", "incident_id", "term_id"),
                             [(org.pk, pk, violation_pk[c]) for pk, (v, _, _) in pairs for c in v])
                _insert_rows(IncidentPerpetrator, ("organisation_id", "incident_id", "term_id"),
                             [(org.pk, pk, perpetrator_pk[c]) for pk, (_, p, _) in pairs for c in p])
                _insert_rows(IncidentPerson, ("organisation_id", "incident_id", "person_id", "role", "harms"),
                             [(org.pk, pk, person, PersonRole.VICTIM.value, "[]") for pk, (_, _, ppl) in pairs for person in ppl])
                created += len(rows)
                say(f"{org.slug}: {created}/{len(org_specs)} incidents")
            for year, value in last.items():
                if year in counters:
                    if counters[year].last != value:
                        counters[year].last = value
                        counters[year].save(update_fields=["last"])
                else:
                    ReferenceCounter.objects.create(organisation=org, year=year, last=value)
            audit.record(
                actor=None, action="demo.loaded", organisation=org, target=org,
                detail={"incidents": created, "people": org_people, "seed": seed},
            )
        result[org.slug] = (created, org_people)
    return result


def demo_summary(counts: dict[str, tuple[int, int]]) -> str:
    lines = [
        "",
        "Amparo demo loaded (synthetic data: nothing here is real).",
        "",
    ]
    for slug, (incidents, people) in counts.items():
        lines.append(f"  {slug}: {incidents} incidents, {people} people")
    lines += ["", f"Open {absolute_url('/')} and sign in as one of:", ""]
    width = max(len(u) for u, _, _ in demo_accounts_list())
    for username, org, role in demo_accounts_list():
        lines.append(f"  {username.ljust(width)}  {org:<15} {role}")
    lines += [
        "",
        f"Password (every demo account): {DEMO_PASSWORD}",
        f"Two-factor secret (every demo account, base32, TOTP 30 s / 6 digits): {DEMO_TOTP_SECRET}",
        "  Add it to an authenticator app, or print the current code with:  amparo democode USERNAME",
        "",
    ]
    return "\n".join(lines)


def demo_recorded_dates_spread() -> int:
    """Bulk inserts stamp every incident with the load time; a documenter records an incident
    within days of it happening, so "recorded this month" and response times look real."""
    from datetime import datetime, time, timedelta

    from amparo.records.models import Incident

    rng = random.Random(7)
    tz = timezone.get_current_timezone()
    now = timezone.now()
    changed = []
    for incident in Incident.objects.only("pk", "occurred_on", "created_at").iterator(chunk_size=2000):
        recorded = datetime.combine(incident.occurred_on, time(9), tz) + timedelta(days=rng.randint(0, 6), minutes=rng.randint(0, 600))
        incident.created_at = min(recorded, now)
        changed.append(incident)
    Incident.objects.bulk_update(changed, ["created_at"], batch_size=1000)
    return len(changed)


def demo_statistics_publish(*, organisations: list[Any]) -> list[str]:
    """Both demo organisations share protected aggregates and open a public page, then the
    statistics are built once so the public and network pages have something to show."""
    from amparo.accounts.models import Membership, Role
    from amparo.insights import services as insights
    from amparo.insights.models import SharingLevel

    urls = []
    today = timezone.localdate()
    start = today.replace(year=today.year - 5) if not (today.month == 2 and today.day == 29) else today - timedelta(days=365 * 5)
    for index, org in enumerate(organisations):
        admin = Membership.objects.filter(organisation=org, role=Role.ADMIN).select_related("user").first()
        level = SharingLevel.RECORDS if index == 0 else SharingLevel.AGGREGATES
        insights.sharing_update(organisation=org, acting_user=admin.user if admin else None, level=level, public_page=True)  # type: ignore[arg-type]
        if index == 0 and admin:
            # The imagined police directive the "police" scenarios bend around (DIRECTIVE_AT): the
            # public page says in one sentence what changed after it.
            insights.milestone_create(
                organisation=org, acting_user=admin.user, happened_on=start + timedelta(days=round(DIRECTIVE_AT * (today - start).days)),
                title="la directiva policial sobre trabajo sexual", kind="directive", is_public=True,
                violation="arbitrary_detention", perpetrator="pnp_officer",
            )
        insights.aggregates_refresh(organisation_id=org.pk, publish=False)
        urls.append(f"/estadisticas/publico/{org.slug}/")
    insights.summaries_publish()
    return urls


class Command(BaseCommand):
    help = (
        "Load synthetic demo data: two organisations (Lima, Arequipa), an account for every role with a public "
        "password and two-factor secret, and about 2,000 invented incidents and 1,200 people over five years. "
        "Refuses to run in production mode."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if any organisation exists (for `make run`).")
        parser.add_argument("--incidents", type=int, default=2000, help="How many incidents (default 2000).")
        parser.add_argument("--people", type=int, default=1200, help="How many people (default 1200).")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed: the same seed gives the same records.")

    def handle(self, *args: Any, **o: Any) -> None:
        refuse_in_production()
        if o["incidents"] < 0 or o["people"] < 0:
            raise CommandError("--incidents and --people must be zero or more.")
        if o["if_empty"] and Organisation.objects.exists():
            self.stdout.write("Organisations already exist: the demo was not loaded.")
            return
        taken = sorted(Organisation.objects.filter(slug__in=[s.slug for s in ORGANISATIONS]).values_list("slug", flat=True))
        if taken:
            raise CommandError(f"The demo organisations already exist ({', '.join(taken)}). Use a fresh database.")
        usernames = [u for u, _, _ in demo_accounts_list()]
        if User.objects.filter(username__in=usernames).exists():
            raise CommandError("Demo user names are already taken. Use a fresh database.")
        started = timezone.now()
        # Accounts commit first: organisation keys are cached only after commit, and the bulk load wants them cached.
        accounts = demo_accounts_create()
        verbose = o["verbosity"] > 1
        counts = demo_records_load(
            accounts=accounts, incidents=o["incidents"], people=o["people"], seed=o["seed"],
            progress=(lambda msg: self.stdout.write(msg)) if verbose else None,
        )
        from amparo.response.demo import demo_response_load

        response = demo_response_load(organisations=[a.organisation for a in accounts], seed=o["seed"])
        from amparo.programmes.demo import demo_programmes_load

        programmes = demo_programmes_load(organisations=[a.organisation for a in accounts], seed=o["seed"])
        demo_recorded_dates_spread()
        shared = demo_statistics_publish(organisations=[a.organisation for a in accounts])
        seconds = (timezone.now() - started).total_seconds()
        self.stdout.write(demo_summary(counts))
        if o["verbosity"] > 0:
            self.stdout.write(
                f"Response: {response['services']} local contacts, {response['referrals']} referrals, "
                f"{response['cases']} legal cases, {response['security']} security records."
            )
            self.stdout.write(
                f"Programmes: {programmes['programmes']} programmes, {programmes['venues']} venues, {programmes['activities']} activities, "
                f"{programmes['milestones']} milestones, {programmes['linkages']} people accompanied to treatment, "
                f"{programmes['referrals']} referrals from activities."
            )
            self.stdout.write(f"Statistics: public pages at {', '.join(shared)} and /estadisticas/publico/red/.")
        if o["verbosity"] > 0:
            self.stdout.write(f"({seconds:.1f} s)")
