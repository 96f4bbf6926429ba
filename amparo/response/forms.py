"""Forms of the Response pages. Choices that name people or services are scoped to the membership."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.accounts.models import Membership
from amparo.lib import inputs
from amparo.places.models import Department
from amparo.response import selectors
from amparo.response.lib.deadlines import Unit
from amparo.response.lib.directory import Language, Need, ServiceKind
from amparo.response.lib.procedure import INITIAL_STAGES, Outcome, Route, Stage, route_next_stages
from amparo.response.models import (
    ConsentMethod,
    DocumentKind,
    MeasureKind,
    RiskLevel,
    SecurityStatus,
)


def _choices(form: forms.Form, name: str) -> forms.ChoiceField:
    """A form's choice field, typed (choices that depend on the membership are set per form)."""
    return cast(forms.ChoiceField, form.fields[name])


DATE = forms.DateInput(attrs={"type": "date"})
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


def _department_choices() -> list[tuple[str, Any]]:
    return [("", _("— Any region —"))] + [(d.code, d.name) for d in Department.objects.order_by("name")]


def _not_future(value: date | datetime | None) -> None:
    if value is None:
        return
    now = timezone.now() if isinstance(value, datetime) else timezone.localdate()
    if value > now:
        raise forms.ValidationError(_("The date cannot be in the future."))


class DirectorySearchForm(forms.Form):
    department = forms.ChoiceField(label=_("Region"), required=False)
    need = forms.ChoiceField(label=_("Need"), required=False, choices=[("", _("— Any need —")), *Need.choices])
    kind = forms.ChoiceField(label=_("Type"), required=False, choices=[("", _("— Any type —")), *ServiceKind.choices])
    q = inputs.TextField(label=_("Name or address"), required=False, max_length=80)
    trans_friendly = forms.BooleanField(label=_("Trans-friendly"), required=False)
    sex_worker_friendly = forms.BooleanField(label=_("Has treated sex workers well"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "department").choices = _department_choices()


class ServiceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=ServiceKind.choices)
    name = inputs.TextField(label=_("Name"), max_length=200)
    description = inputs.TextField(label=_("Description"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    department = forms.ChoiceField(label=_("Region"), required=False)
    address = inputs.TextField(label=_("Address"), required=False, max_length=200)
    hours = inputs.TextField(label=_("Opening hours"), required=False, max_length=120)
    phone = inputs.TextField(label=_("Phone"), required=False, max_length=60)
    email = forms.EmailField(label=_("Email"), required=False)
    languages = forms.MultipleChoiceField(label=_("Languages"), required=False, choices=Language.choices, widget=forms.CheckboxSelectMultiple)
    needs = forms.MultipleChoiceField(label=_("Needs it meets"), required=False, choices=Need.choices, widget=forms.CheckboxSelectMultiple)
    trans_friendly = forms.BooleanField(label=_("Trans-friendly (checked by peers)"), required=False)
    treats_sex_workers_well = forms.BooleanField(label=_("Has treated sex workers well (checked by peers)"), required=False)
    last_checked_on = inputs.DateField(label=_("Date last checked"), required=False, widget=DATE, validators=[_not_future])
    lawyer = forms.ChoiceField(label=_("Allied lawyer with an account"), required=False)
    notes = inputs.TextField(label=_("Notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "department").choices = _department_choices()
        self.lawyers = {str(m.user_id): m.user for m in selectors.lawyers_for(membership=membership)}
        _choices(self, "lawyer").choices = [("", "—")] + [(k, u.get_username()) for k, u in self.lawyers.items()]

    def service_kwargs(self) -> dict[str, Any]:
        d = dict(self.cleaned_data)
        d["department"] = Department.objects.filter(code=d["department"]).first() if d["department"] else None
        d["lawyer"] = self.lawyers.get(d["lawyer"]) if d["lawyer"] else None
        return d


class ReferralForm(forms.Form):
    target = forms.ChoiceField(label=_("Refer to"), choices=[("service", _("A service")), ("lawyer", _("An allied lawyer"))], initial="service", widget=forms.RadioSelect)
    service = forms.ChoiceField(label=_("Service"), required=False)
    lawyer = forms.ChoiceField(label=_("Allied lawyer"), required=False)
    person = forms.ChoiceField(label=_("Person"), required=False)
    need = forms.ChoiceField(label=_("Need"), required=False, choices=[("", "—"), *Need.choices])
    consent_given = forms.BooleanField(
        label=_("The person agrees to this referral and to sharing her data with the service"), required=False,
    )
    consent_method = forms.ChoiceField(label=_("How she agreed"), required=False, choices=[("", "—"), *ConsentMethod.choices])
    shares_identifying_data = forms.BooleanField(
        label=_("Share identifying data (name, contact, what happened)"), required=False, initial=True,
        help_text=_("Without consent, only an anonymous referral can be made: the person is given the contact, nothing is sent."),
    )
    note = inputs.TextField(label=_("Note for the service"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("Encrypted. Only what the service needs."))
    follow_up_on = inputs.DateField(label=_("Follow up on"), required=False, widget=DATE)
    assigned_to = forms.ChoiceField(label=_("Follow-up by"), required=False)
    send_now = forms.BooleanField(
        label=_("Send it now"), required=False, initial=True,
        help_text=_("A lawyer with an account is told by e-mail and sees it in her tasks. "
                    "Untick it to keep a draft that nobody receives yet."),
    )

    def __init__(self, *args: Any, membership: Membership, persons: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.services = {str(s.pk): s for s in selectors.service_list_for(membership=membership)}
        _choices(self, "service").choices = [("", "—")] + [(k, s.name) for k, s in self.services.items()]
        self.lawyers = {str(m.user_id): m.user for m in selectors.lawyers_for(membership=membership)}
        _choices(self, "lawyer").choices = [("", "—")] + [(k, u.get_full_name() or u.get_username()) for k, u in self.lawyers.items()]
        self.staff = {str(m.user_id): m.user for m in selectors.staff_for(membership=membership)}
        _choices(self, "assigned_to").choices = [("", _("— Me —"))] + [(k, u.get_username()) for k, u in self.staff.items()]
        self.persons = {str(p.pk): p for p in (persons or [])}
        _choices(self, "person").choices = [("", "—")] + [(k, p.code_name) for k, p in self.persons.items()]

    def clean(self) -> dict[str, Any]:
        d = super().clean() or {}
        if d.get("target") == "service" and not d.get("service"):
            self.add_error("service", _("Choose a service."))
        if d.get("target") == "lawyer" and not d.get("lawyer"):
            self.add_error("lawyer", _("Choose a lawyer."))
        if d.get("consent_given") and not d.get("consent_method"):
            self.add_error("consent_method", _("Say how the person agreed."))
        return d

    def service_kwargs(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "service": self.services.get(d["service"]) if d["target"] == "service" else None,
            "lawyer": self.lawyers.get(d["lawyer"]) if d["target"] == "lawyer" else None,
            "person": self.persons.get(d["person"]) if d.get("person") else None,
            "need": d["need"],
            "consent_given": d["consent_given"],
            "consent_method": d["consent_method"],
            "shares_identifying_data": d["shares_identifying_data"] or d["target"] == "lawyer",
            "note": d["note"],
            "follow_up_on": d["follow_up_on"],
            "assigned_to": self.staff.get(d["assigned_to"]) if d["assigned_to"] else None,
            "send": d["send_now"],
        }


class ReferralStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"))
    outcome = inputs.TextField(label=_("Outcome"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))
    follow_up_on = inputs.DateField(label=_("Next follow-up"), required=False, widget=DATE)

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "status").choices = choices


class ReferralAnswerForm(forms.Form):
    """The lawyer's answer to a referral sent to her."""

    answer = forms.ChoiceField(
        label=_("Your answer"), widget=forms.RadioSelect,
        choices=[("accepted", _("I accept it")), ("declined", _("I decline it"))],
    )
    reason = inputs.TextField(
        label=_("Reason or comment"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required if you decline it. Encrypted."),
    )

    def clean(self) -> dict[str, Any]:
        d = super().clean() or {}
        if d.get("answer") == "declined" and not (d.get("reason") or "").strip():
            self.add_error("reason", _("Say why you decline the referral."))
        return d


class FeedbackForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How was she treated?"), coerce=int,
        choices=[(5, _("5 — very well")), (4, "4"), (3, "3"), (2, "2"), (1, _("1 — very badly"))],
    )
    respectful = forms.NullBooleanField(label=_("Respected her identity (name, pronouns)"), required=False,
                                        widget=forms.Select(choices=[("unknown", "—"), ("true", _("Yes")), ("false", _("No"))]))
    comment = inputs.TextField(label=_("In her words"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))


class CaseForm(forms.Form):
    title = inputs.TextField(label=_("Title"), max_length=200,
                            help_text=_("Encrypted, and shown in the lists of legal cases: use codes, never names."))
    summary = inputs.TextField(label=_("Summary"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 3}))
    perpetrator_details = inputs.TextField(label=_("Accused (names, badge, unit)"), required=False, max_length=4000,
                                          widget=forms.Textarea(attrs={"rows": 2}), help_text=_("Encrypted."))
    lawyer = forms.ChoiceField(label=_("Assigned lawyer"), required=False)
    opened_on = inputs.DateField(label=_("Opened on"), required=False, widget=DATE, validators=[_not_future])

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lawyers = {str(m.user_id): m.user for m in selectors.lawyers_for(membership=membership)}
        _choices(self, "lawyer").choices = [("", "—")] + [(k, u.get_full_name() or u.get_username()) for k, u in self.lawyers.items()]


class LawyerForm(forms.Form):
    lawyer = forms.ChoiceField(label=_("Assigned lawyer"), required=False)

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lawyers = {str(m.user_id): m.user for m in selectors.lawyers_for(membership=membership)}
        _choices(self, "lawyer").choices = [("", "—")] + [(k, u.get_full_name() or u.get_username()) for k, u in self.lawyers.items()]


def _start_choices() -> list[tuple[str, Any]]:
    return [(f"{route}:{stage}", f"{Route(route).label} — {Stage(stage).label}") for route, stages in INITIAL_STAGES.items() for stage in stages]


class RouteStartForm(forms.Form):
    start = forms.ChoiceField(label=_("Route and first step"))
    forum = inputs.TextField(label=_("Forum (comisaría, fiscalía, court, office)"), required=False, max_length=160)
    case_number = inputs.TextField(label=_("Number (denuncia, carpeta fiscal, expediente)"), required=False, max_length=120,
                                  help_text=_("Encrypted."))
    started_on = inputs.DateField(label=_("Date"), required=False, widget=DATE, validators=[_not_future])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "start").choices = _start_choices()

    def clean_start(self) -> tuple[str, str]:
        route, _sep, stage = self.cleaned_data["start"].partition(":")
        return route, stage


class StageForm(forms.Form):
    stage = forms.ChoiceField(label=_("Next stage"))
    occurred_at = inputs.DateTimeField(label=_("When"), required=False, widget=DATETIME, input_formats=DATETIME_FORMATS, validators=[_not_future])
    outcome = forms.ChoiceField(label=_("Outcome"), required=False, choices=Outcome.choices)
    in_force_until = inputs.DateField(label=_("Measures in force until"), required=False, widget=DATE)
    note = inputs.TextField(label=_("Note"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, case_route: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "stage").choices = [(s, Stage(s).label) for s in route_next_stages(case_route.route, case_route.stage)]


class EventForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[("note", _("Note")), ("filing", _("Filing"))])
    occurred_at = inputs.DateTimeField(label=_("When"), widget=DATETIME, input_formats=DATETIME_FORMATS, validators=[_not_future])
    description = inputs.TextField(label=_("What happened"), max_length=8000, widget=forms.Textarea(attrs={"rows": 2}))


class HearingForm(forms.Form):
    scheduled_at = inputs.DateTimeField(label=_("Date and time"), widget=DATETIME, input_formats=DATETIME_FORMATS)
    place = inputs.TextField(label=_("Court or office"), required=False, max_length=300)
    purpose = inputs.TextField(label=_("Purpose"), required=False, max_length=160)


class DeadlineForm(forms.Form):
    title = inputs.TextField(label=_("What must be done"), max_length=160)
    due_on = inputs.DateField(label=_("Due date"), required=False, widget=DATE)
    amount = inputs.IntegerField(label=_("Or: how many"), required=False, min_value=0, max_value=3650)
    unit = forms.ChoiceField(label=_("Unit"), required=False, choices=[
        ("", "—"), (Unit.BUSINESS_DAYS.value, _("business days")), (Unit.CALENDAR_DAYS.value, _("calendar days")),
        (Unit.HOURS.value, _("hours")),
    ])
    assigned_to = forms.ChoiceField(label=_("Responsible"), required=False)

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.staff = {str(m.user_id): m.user for m in selectors.staff_for(membership=membership)}
        _choices(self, "assigned_to").choices = [("", "—")] + [(k, u.get_username()) for k, u in self.staff.items()]

    def clean(self) -> dict[str, Any]:
        d = super().clean() or {}
        if not d.get("due_on") and (d.get("amount") is None or not d.get("unit")):
            raise forms.ValidationError(_("Give a due date, or a number of days or hours."))
        return d


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[c for c in Outcome.choices if c[0]])


class DocumentForm(forms.Form):
    file = forms.FileField(label=_("File (photo, video, PDF, audio)"))
    kind = forms.ChoiceField(label=_("Kind"), choices=DocumentKind.choices)
    description = inputs.TextField(label=_("Description"), required=False, max_length=1000)


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("File (photo, video, PDF, audio)"))
    description = inputs.TextField(label=_("Description"), required=False, max_length=1000, help_text=_("Encrypted."))


class SecurityRecordForm(forms.Form):
    incident = inputs.TextField(label=_("Incident reference"), max_length=24)
    defender = forms.ChoiceField(label=_("Activist or defender"))
    risk_level = forms.ChoiceField(label=_("Risk level"), choices=RiskLevel.choices, initial=RiskLevel.MEDIUM)
    assessment = inputs.TextField(label=_("Risk assessment"), required=False, max_length=8000, widget=forms.Textarea(attrs={"rows": 3}),
                                 help_text=_("Encrypted."))
    follow_up_on = inputs.DateField(label=_("Next follow-up"), required=False, widget=DATE)

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.defenders = {str(p.pk): p for p in selectors.defenders_for(membership=membership)}
        _choices(self, "defender").choices = [("", "—")] + [(k, p.code_name) for k, p in self.defenders.items()]


class SecurityUpdateForm(forms.Form):
    risk_level = forms.ChoiceField(label=_("Risk level"), choices=RiskLevel.choices)
    status = forms.ChoiceField(label=_("Status"), choices=SecurityStatus.choices)
    follow_up_on = inputs.DateField(label=_("Next follow-up"), required=False, widget=DATE)


class MeasureForm(forms.Form):
    kind = forms.ChoiceField(label=_("Measure"), choices=MeasureKind.choices)
    description = inputs.TextField(label=_("Details"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))
    taken_on = inputs.DateField(label=_("Taken on"), required=False, widget=DATE, validators=[_not_future])
