"""Figures about the organisation's response: referrals and their outcomes, legal cases by stage
and outcome, and how long things take. Staff dashboards only; protected for analysts."""

from __future__ import annotations

import statistics
from datetime import date
from typing import Any

from django.db.models import Count
from django.utils.translation import gettext as _

from amparo.accounts.models import Membership
from amparo.insights.lib.disclosure import TOTAL, one_way, protect, threshold_default
from amparo.response.lib.procedure import Outcome, Stage
from amparo.response.lib.referral_flow import ReferralStatus
from amparo.response.models import CaseRoute, LegalCase, Referral


def _table(title: str, counts: dict[str, int], labels: dict, *, protected: bool, t: int) -> dict[str, Any]:
    total = sum(counts.values())
    if protected:
        p = protect(one_way(counts, total=total), threshold=t, fixed=[TOTAL])
        rows = [(str(labels.get(k, k)), p.display(k)) for k in counts]
        shown_total = p.display(TOTAL)
    else:
        rows = [(str(labels.get(k, k)), str(v)) for k, v in counts.items()]
        shown_total = str(total)
    return {"title": title, "rows": rows, "total": shown_total}


def _median_days(pairs: list[tuple[Any, Any]], *, protected: bool, t: int) -> str:
    days = [(end - start).total_seconds() / 86400 for start, end in pairs if start and end and end >= start]
    if not days:
        return "—"
    if protected and len(days) < t:
        # A median of fewer than t cases would describe one or two people's cases.
        return _("fewer than %(t)s cases") % {"t": t}
    return _("%(days)s days (median of %(n)s)") % {"days": f"{statistics.median(days):.1f}", "n": len(days)}


def response_summary(
    *, membership: Membership, protected: bool, threshold: int | None = None, date_from: date | None = None, date_to: date | None = None,
) -> dict[str, Any]:
    """With a period: the referrals made and the legal cases opened in it (a report on that period)."""
    t = threshold_default() if threshold is None else threshold
    referrals = Referral.objects.for_member(membership)
    cases = LegalCase.objects.for_member(membership)
    routes = CaseRoute.objects.for_member(membership)
    if date_from is not None:
        referrals, cases = referrals.filter(created_at__date__gte=date_from), cases.filter(created_at__date__gte=date_from)
        routes = routes.filter(case__created_at__date__gte=date_from)
    if date_to is not None:
        referrals, cases = referrals.filter(created_at__date__lte=date_to), cases.filter(created_at__date__lte=date_to)
        routes = routes.filter(case__created_at__date__lte=date_to)
    by_status = dict(referrals.values_list("status").annotate(n=Count("id")).order_by())
    case_outcomes = dict(cases.filter(status="closed").values_list("outcome").annotate(n=Count("id")).order_by())
    stages = dict(routes.values_list("stage").annotate(n=Count("id")).order_by())
    tables = []
    if by_status:
        tables.append(_table(_("Referrals by status"), by_status, dict(ReferralStatus.choices), protected=protected, t=t))
    if stages:
        tables.append(_table(_("Legal routes by stage"), stages, dict(Stage.choices), protected=protected, t=t))
    if case_outcomes:
        tables.append(_table(_("Closed legal cases by outcome"), case_outcomes, dict(Outcome.choices), protected=protected, t=t))
    answered = list(referrals.exclude(answered_at=None).values_list("sent_at", "answered_at"))
    completed = list(referrals.exclude(completed_at=None).values_list("sent_at", "completed_at"))
    measures = list(routes.exclude(decided_at=None).values_list("requested_at", "decided_at"))
    times = [
        (_("From sending a referral to the service's answer"), _median_days(answered, protected=protected, t=t)),
        (_("From sending a referral to its completion"), _median_days(completed, protected=protected, t=t)),
        (_("From requesting protection measures to the decision (the law says 72 hours)"), _median_days(measures, protected=protected, t=t)),
    ]
    return {"tables": tables, "times": times}
