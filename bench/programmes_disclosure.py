"""What small-cell suppression costs a programme coordinator: how many health figures (reactive,
confirmed, linked to care) her programme pages still show, in total and per site, and how many
they hide as "<5" or "*" (`amparo/insights/lib/disclosure.py`, threshold 5 by default).

Run on the database of `make run` (the demo, or real data: it prints counts only, never values):

    .venv/bin/python bench/programmes_disclosure.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amparo.settings")


def hidden(display: object) -> bool:
    return "<" in str(display) or str(display) == "*"


def main() -> None:
    import django

    django.setup()
    from amparo.accounts.models import Membership, Role
    from amparo.programmes import selectors
    from amparo.programmes.models import HEALTH_MEASURES, Programme

    health = {str(m) for m in HEALTH_MEASURES}
    # (figures, hidden) for: health totals, health per site, other figures per site.
    tally = {"health, programme total": [0, 0], "health, per site": [0, 0], "other measures, per site": [0, 0]}
    for membership in Membership.objects.filter(role=Role.COORDINATOR).select_related("organisation", "user"):
        for programme in Programme.objects.filter(organisation_id=membership.organisation_id):
            for progress in selectors.programme_progress(membership=membership, programme=programme):
                is_health = progress.indicator.measure in health
                if is_health:
                    tally["health, programme total"][0] += 1
                    tally["health, programme total"][1] += hidden(progress.display)
                key = "health, per site" if is_health else "other measures, per site"
                for site in progress.sites:
                    tally[key][0] += 1
                    tally[key][1] += hidden(site.display)
    for label, (n, h) in tally.items():
        share = f"{100 * (n - h) / n:.0f} %" if n else "—"
        print(f"{label:<28} {n - h:>5} of {n:>5} shown ({share}), {h} hidden")


if __name__ == "__main__":
    main()
