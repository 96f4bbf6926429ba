"""The activity page's section about the statistics: the milestone it became, or the form to mark it."""

from __future__ import annotations

from typing import Any

from amparo.accounts.models import Membership
from amparo.programmes import forms, selectors, services
from amparo.programmes.models import MILESTONE_ACTIVITY_KINDS, ActivityKind
from amparo.programmes.panels import Section, register


@register
def milestone_section(*, membership: Membership, activity: Any) -> Section | None:
    # Milestones are planned by coordinators and admins; documenters do not see this section.
    if membership.role not in services.PLANNERS:
        return None
    milestones = selectors.activity_milestones_for(membership=membership, activity=activity)
    markable = activity.kind in MILESTONE_ACTIVITY_KINDS and not milestones
    if not milestones and not markable:
        return None
    return Section("programmes/_activity_milestone.html", {
        "milestones": milestones,
        "sentences": selectors.activity_milestone_sentences(membership=membership, activity=activity) if milestones else [],
        "milestone_form": forms.ActivityMilestoneForm() if markable else None,
        "is_training": activity.kind == ActivityKind.POLICE_TRAINING,
    })
