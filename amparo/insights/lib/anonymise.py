"""De-identification of record-level exports by coarsening (k-anonymity with k = threshold).

A record-level export never carries a name, a narrative or an exact day. What could still
single someone out is the combination of place, month and a few coded traits (gender
identity, migrant status, age band). Records whose combination is shared by fewer than k
records are coarsened step by step: the place to its department, the month to its quarter,
then its year, then the coded traits and finally the place are hidden ("*"). Records still unique after all that
are left out, and the number left out is reported.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

HIDDEN = "*"


def coarsen_place(code: str) -> str:
    """District (6) → province (4) → department (2) → hidden."""
    if not code or code == HIDDEN:
        return HIDDEN
    if len(code) > 4:
        return code[:4]
    if len(code) > 2:
        return code[:2]
    return HIDDEN


def coarsen_period(period: str) -> str:
    """"2024-05" → "2024-Q2" → "2024" → hidden."""
    if not period or period == HIDDEN:
        return HIDDEN
    if len(period) == 7 and period[4] == "-" and period[5:].isdigit():
        return f"{period[:4]}-Q{(int(period[5:]) - 1) // 3 + 1}"
    if "-Q" in period:
        return period[:4]
    return HIDDEN


@dataclass
class Generalised:
    rows: list[dict]
    left_out: int
    coarsened: int


def generalise(
    rows: Iterable[dict],
    *,
    k: int,
    place: str = "place",
    period: str = "period",
    traits: Sequence[str] = (),
) -> Generalised:
    """Coarsen quasi-identifiers until every published combination has at least k records."""
    work = [dict(r) for r in rows]
    quasi = (place, period, *traits)

    def key(r: dict) -> tuple:
        return tuple(r.get(f, "") for f in quasi)

    def to_department(r: dict) -> None:
        value = r.get(place, "")
        r[place] = value[:2] if value and value != HIDDEN else HIDDEN

    steps = [
        to_department,
        lambda r: r.__setitem__(period, coarsen_period(r.get(period, ""))),
        lambda r: r.__setitem__(period, coarsen_period(r.get(period, ""))),
        lambda r: [r.__setitem__(t, HIDDEN) for t in traits],
        lambda r: r.__setitem__(place, HIDDEN),
    ]
    touched: set[int] = set()
    for step in steps:
        sizes = Counter(key(r) for r in work)
        small = [i for i, r in enumerate(work) if sizes[key(r)] < k]
        if not small:
            break
        for i in small:
            step(work[i])
            touched.add(i)
    sizes = Counter(key(r) for r in work)
    kept = [r for r in work if sizes[key(r)] >= k]
    return Generalised(rows=kept, left_out=len(work) - len(kept), coarsened=len(touched))
