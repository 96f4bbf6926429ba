"""Legal time limits for holding a person in Peru, and where a detention stands against them.

Sources (none of these are in /work/shared/context/peru.md, which does not cover detention;
they come from the stored public pages below and must be checked against El Peruano before release):

- Flagrant-offence detention: Constitución Política del Perú, art. 2.24.f, as amended by Ley 30558
  (El Peruano, 9 May 2017): the detainee must be put before the competent court within at most
  48 hours "o en el término de la distancia" (extra travel time a judge sets for remote places).
  http://www.congreso.gob.pe/Docs/files/constitucion/constitucion2019/files/basic-html/page16.html
  https://lpderecho.pe/articulo-2-24-f-constitucion-derechos-fundamentales-persona
- The same article: for terrorism, espionage, illicit drug trafficking and offences by criminal
  organisations, police may hold a person for up to 15 calendar days, informing the prosecutor and judge.
- Identity check ("control de identidad policial"): Código Procesal Penal art. 205.4, as amended by
  D. Leg. 1574 (5 Oct 2023): at most 4 hours for Peruvians and 12 hours for foreigners, counted from
  the moment of the stop; no cell, no contact with detainees.
  https://lpderecho.pe/evaluacion-critica-control-identidad-policial-modificaciones-realizadas-decreto-legislativo-1574
  https://ppulegal.com/ppu-legal/decreto-legislativo-1574-decreto-legislativo-que-modifica-el-codigo-procesal-penal-en-materia-de-control-de-identidad-policial/

These are maximums, not allowances: the Constitution says detention lasts no longer than strictly
necessary. Release after a limit has passed does not make the excess lawful; the log records it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Basis(StrEnum):
    IDENTITY_CHECK_NATIONAL = "identity_check_national"
    IDENTITY_CHECK_FOREIGN = "identity_check_foreign"
    FLAGRANT = "flagrant"
    SPECIAL_REGIME = "special_regime"  # terrorism, espionage, drug trafficking, organised crime
    UNKNOWN = "unknown"


LIMITS: dict[Basis, timedelta] = {
    Basis.IDENTITY_CHECK_NATIONAL: timedelta(hours=4),
    Basis.IDENTITY_CHECK_FOREIGN: timedelta(hours=12),
    Basis.FLAGRANT: timedelta(hours=48),
    Basis.SPECIAL_REGIME: timedelta(days=15),
}

# When the basis is not known (the usual case during a raid) we count the shortest limit that
# could apply: a person taken "to be identified" may be held 4 hours at most, and anything longer
# needs the police to claim flagrancy. Warning early is safe; warning late is not.
UNKNOWN_BASIS_ASSUMES = Basis.IDENTITY_CHECK_NATIONAL


class Standing(StrEnum):
    WITHIN = "within"
    DUE_SOON = "due_soon"
    EXCEEDED = "exceeded"
    RELEASED = "released"
    RELEASED_LATE = "released_late"


@dataclass(frozen=True)
class Reckoning:
    basis: Basis
    limit: timedelta
    deadline: datetime
    standing: Standing
    remaining: timedelta  # negative once exceeded
    held_for: timedelta


def limit_for(basis: Basis, *, distance_hours: int = 0) -> timedelta:
    if distance_hours < 0:
        raise ValueError("distance_hours cannot be negative")
    effective = UNKNOWN_BASIS_ASSUMES if basis is Basis.UNKNOWN else basis
    extra = timedelta(hours=distance_hours) if effective is Basis.FLAGRANT else timedelta(0)
    return LIMITS[effective] + extra


def reckon(
    *,
    basis: Basis,
    since: datetime,
    now: datetime,
    released_at: datetime | None = None,
    distance_hours: int = 0,
    due_soon: timedelta = timedelta(hours=1),
) -> Reckoning:
    """Deadline and standing of one detention. ``since`` is the moment of the stop, not the
    moment someone wrote it down."""
    if (
        since.tzinfo is None
        or now.tzinfo is None
        or (released_at is not None and released_at.tzinfo is None)
    ):
        raise ValueError("timestamps must be timezone-aware")
    if released_at is not None and released_at < since:
        raise ValueError("release cannot precede detention")
    limit = limit_for(basis, distance_hours=distance_hours)
    deadline = since + limit
    end = released_at or now
    held_for = max(end - since, timedelta(0))
    if released_at is not None:
        standing = Standing.RELEASED_LATE if released_at > deadline else Standing.RELEASED
    elif now > deadline:
        standing = Standing.EXCEEDED
    elif deadline - now <= due_soon:
        standing = Standing.DUE_SOON
    else:
        standing = Standing.WITHIN
    return Reckoning(
        basis=basis,
        limit=limit,
        deadline=deadline,
        standing=standing,
        remaining=deadline - end,
        held_for=held_for,
    )
