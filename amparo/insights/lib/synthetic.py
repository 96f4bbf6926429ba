"""Synthetic networks of organisations for the disclosure tests and `bench/disclosure.py`.

Realistic skew: one large urban organisation (Lima, many provinces, records from every region)
and several small ones in remote regions with a later start and quiet spells of a few months.
Facts are generated directly (no database), so tests and the bench can build many networks.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date
from typing import Any

from amparo.lib.sampling import weighted_pick as _pick

URBAN = "15"
ALL_DEPARTMENTS = tuple(f"{i:02d}" for i in range(1, 26))
REMOTE = ("16", "05", "17", "25", "03", "09", "01", "21", "10", "19", "22", "24", "02", "12", "06")
VIOLATIONS = (("arbitrary_detention", 20), ("extortion", 14), ("physical_assault", 14), ("verbal_abuse", 12), ("raid", 8), ("threat", 8),
              ("robbery", 6), ("health_discrimination", 5), ("online_harassment", 4), ("sexual_violence", 3), ("denial_of_justice", 3),
              ("eviction", 2), ("outing", 1), ("attempted_killing", 0.6), ("killing", 0.3))
PERPETRATORS = (("pnp_officer", 30), ("serenazgo", 14), ("client", 18), ("extortion_gang", 14), ("unknown", 8), ("health_worker", 5),
                ("intimate_partner", 4), ("neighbour", 3), ("military", 1), ("other_official", 1))
STATE = {"pnp_officer", "serenazgo", "military", "other_official"}
PLACES = (("street", 45), ("venue", 14), ("hotel", 12), ("home", 9), ("police_station", 7), ("vehicle", 6), ("online", 4), ("health_facility", 2), ("other", 1))
RIGHTS = {"arbitrary_detention": "liberty", "raid": "liberty", "extortion": "integrity", "physical_assault": "integrity", "threat": "integrity",
          "robbery": "property", "health_discrimination": "health", "sexual_violence": "integrity", "killing": "life", "attempted_killing": "life",
          "denial_of_justice": "justice", "eviction": "housing", "verbal_abuse": "dignity", "online_harassment": "dignity", "outing": "privacy"}


def _months(first: date, n: int) -> list[date]:
    out, y, m = [], first.year, first.month
    for _ in range(n):
        out.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def generated_network(n_orgs: int, incidents: int, *, seed: int = 12) -> dict[int, Any]:
    """Facts of `n_orgs` organisations: one large urban one, the rest small and remote (Zipf-like
    sizes), 60 months with quiet spells, most records in each organisation's home region."""
    from amparo.insights.summary import CellFact, Facts, TermFact

    rng = random.Random(seed * 1000 + n_orgs)
    weights = [1.0] + [0.25 / (i + 1) ** 0.9 for i in range(n_orgs - 1)]
    scale = incidents / sum(weights)
    all_months = _months(date(2021, 11, 1), 61)
    facts: dict[int, Any] = {}
    for o in range(n_orgs):
        urban = o == 0
        home = URBAN if urban else REMOTE[(o - 1) % len(REMOTE)]
        n_prov = 10 if urban else rng.randint(3, 8)
        provinces = [f"{home}{i + 1:02d}" for i in range(n_prov)]
        prov_weights = tuple((p, 1 / (i + 1) ** 1.4) for i, p in enumerate(provinces))
        start = 0 if o < 2 else rng.randint(0, 30)
        months = all_months[start:]
        # Quiet spells: small organisations stop documenting for a few months at a time.
        activity = []
        quiet = 0
        for _m in months:
            if quiet:
                quiet -= 1
                activity.append(0.0)
                continue
            if not urban and rng.random() < 0.06:
                quiet = rng.randint(1, 4)
            trend = 1.0 + 0.3 * rng.random()
            activity.append(trend)
        month_weights = tuple((m, a) for m, a in zip(months, activity, strict=True) if a)
        cells: Counter = Counter()
        people: Counter = Counter()
        state: Counter = Counter()
        terms: Counter = Counter()
        for _ in range(int(round(weights[o] * scale))):
            month = _pick(rng, month_weights)
            if rng.random() < (0.8 if urban else 0.85):
                dept, prov = home, _pick(rng, prov_weights)
            elif rng.random() < 0.03:
                dept, prov = "", ""  # place not recorded
            else:
                # A national organisation hears from every region; a regional one from its neighbours.
                dept = rng.choice(ALL_DEPARTMENTS if urban else (URBAN, *REMOTE[o % 5 : o % 5 + 4]))
                prov = f"{dept}{1 + min(int(rng.expovariate(0.45)), 9):02d}"
            cells[(month, dept, prov)] += 1
            people[(month, dept, prov)] += 1 + int(rng.expovariate(1.8))
            violations = {_pick(rng, VIOLATIONS) for _ in range(rng.choice((1, 1, 2, 2, 3)))}
            perpetrator = _pick(rng, PERPETRATORS)
            state[(month, dept, prov)] += perpetrator in STATE
            for v in violations:
                terms[(month, dept, "violation", v)] += 1
            for g in {RIGHTS[v] for v in violations}:
                terms[(month, dept, "right_group", g)] += 1
            terms[(month, dept, "perpetrator", perpetrator)] += 1
            terms[(month, dept, "place_type", _pick(rng, PLACES))] += 1
        facts[o] = Facts(
            cells=[CellFact(m, d, p, n, people[(m, d, p)], state[(m, d, p)]) for (m, d, p), n in cells.items()],
            terms=[TermFact(m, d, v, c, n) for (m, d, v, c), n in terms.items()],
            left_out=rng.randint(0, 12),
        )
    return facts
