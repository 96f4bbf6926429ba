"""Plain-language labels for the public form: how a person would say it, not how a report files it.

Codes are the shared vocabulary's; terms added later by network admins appear with their own
label until a plain one is written here.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

VIOLATIONS = {
    "physical_assault": _("Hitting, beating or another physical attack"),
    "sexual_violence": _("Sexual abuse or touching without consent"),
    "rape": _("Rape"),
    "killing": _("Murder (femicide, transfemicide)"),
    "attempted_killing": _("Attempted murder"),
    "threat": _("Threats"),
    "extortion": _("Extortion or being made to pay \"cupos\""),
    "robbery": _("Robbery"),
    "arbitrary_detention": _("Arrest without reason or being taken to the police station"),
    "raid": _("A raid (operativo) in the street, a venue or a home"),
    "detention_without_cause": _("Stopped, searched or held for a while without reason"),
    "confiscation": _("Condoms, money or belongings taken away"),
    "forced_sex_by_official": _("An official (police, serenazgo…) forced sex"),
    "verbal_abuse": _("Insults, mockery or humiliation"),
    "health_discrimination": _("Mistreatment or refusal of care at a health service"),
    "service_denial": _("Refusal of another service (housing, school, shop, transport…)"),
    "eviction": _("Thrown out of a home, room or workplace"),
    "outing": _("Exposure: photos, name or identity shared without permission"),
    "online_harassment": _("Harassment on the internet or by phone"),
    "denial_of_justice": _("The police or prosecutor would not take a complaint"),
    "other": _("Something else"),
}
