from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.accounts.models import Membership
from amparo.alerts.models import (
    AlarmKind,
    AlertKind,
    Channel,
    DetentionBasis,
    LegalBasis,
    Severity,
)
from amparo.alerts.services import RESPONDER_ROLES
from amparo.lib import inputs
from amparo.places.models import Department, District

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
WEEKDAYS = [
    ("0", _("Monday")), ("1", _("Tuesday")), ("2", _("Wednesday")), ("3", _("Thursday")),
    ("4", _("Friday")), ("5", _("Saturday")), ("6", _("Sunday")),
]


def district_choices(department_code: str) -> list[tuple[str, StrOrPromise]]:
    districts = District.objects.filter(department_id=department_code).select_related("province").order_by("name")
    return [("", _("— not sure —"))] + [(d.code, f"{d.name} ({d.province.name})") for d in districts]


def region_choices() -> list[tuple[str, str]]:
    return [(d.code, d.name) for d in Department.objects.order_by("name")]


class AlarmForm(forms.Form):
    kind = forms.ChoiceField(label=_("What kind of emergency is it?"), choices=AlarmKind.choices, widget=forms.RadioSelect)
    district = forms.ChoiceField(label=_("District"), required=False)
    place = inputs.TextField(label=_("Place (venue, street, corner)"), max_length=300, required=False)
    police_station = inputs.TextField(label=_("Police station (comisaría), if known"), max_length=200, required=False)
    people_count = inputs.IntegerField(label=_("How many people"), min_value=1, max_value=500, initial=1)
    description = inputs.TextField(
        label=_("Tell us more (optional)"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, department_code: str = "", **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["district"]).choices = district_choices(department_code)


class PublicAlarmForm(AlarmForm):
    contact = inputs.TextField(
        label=_("How can we reach you safely? (optional)"), max_length=300, required=False,
        help_text=_("A phone number or a safe time to call. Leave it empty if it is not safe."),
    )


class DetainedForm(forms.Form):
    code_name = inputs.TextField(label=_("Code name"), max_length=60)
    held_at = inputs.TextField(label=_("Where the person is held"), max_length=300, required=False)
    basis = forms.ChoiceField(label=_("Legal basis the police gave"), choices=DetentionBasis.choices)
    since = inputs.DateTimeField(label=_("Held since"), widget=DATETIME_INPUT, input_formats=["%Y-%m-%dT%H:%M"])
    distance_hours = inputs.IntegerField(label=_("Extra hours for distance"), min_value=0, max_value=240, initial=0)
    notes = inputs.TextField(label=_("Notes"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReleaseForm(forms.Form):
    released_at = inputs.DateTimeField(label=_("Released at"), widget=DATETIME_INPUT, input_formats=["%Y-%m-%dT%H:%M"])


def release_forms(detentions: list[Any], *, now: Any) -> list[tuple[Any, Any, ReleaseForm]]:
    """(detention, reckoning) pairs with a release form each, its ids unique on the page."""
    initial = {"released_at": timezone.localtime(now).strftime("%Y-%m-%dT%H:%M")}
    return [(d, r, ReleaseForm(initial=initial, auto_id=f"id_release{d.pk}_%s")) for d, r in detentions]


class ResponderChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        return f"{obj.user.get_username()} ({obj.get_role_display()})"


class ShiftForm(forms.Form):
    membership = ResponderChoiceField(label=_("Who"), queryset=Membership.objects.none())
    weekdays = forms.MultipleChoiceField(label=_("Days"), choices=WEEKDAYS, widget=forms.CheckboxSelectMultiple)
    start = forms.TimeField(label=_("From"), widget=forms.TimeInput(attrs={"type": "time"}), initial=time(8))
    end = forms.TimeField(
        label=_("Until"), widget=forms.TimeInput(attrs={"type": "time"}), initial=time(20),
        help_text=_("An end before the start runs past midnight; the same time as the start means 24 hours."),
    )
    level = inputs.IntegerField(
        label=_("Escalation order"), min_value=0, max_value=9, initial=0,
        help_text=_("0 is called first; 1 if nobody answers in time; and so on."),
    )

    def __init__(self, *args, organisation=None, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        cast(ResponderChoiceField, self.fields["membership"]).queryset = Membership.objects.filter(
            organisation=organisation, is_active=True, role__in=RESPONDER_ROLES
        ).select_related("user")


class AlertForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AlertKind.choices)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, initial=Severity.WARNING)
    region = forms.ChoiceField(label=_("Region"))
    report = inputs.TextField(
        label=_("What happened (internal, never published as is)"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    perpetrator_description = inputs.TextField(label=_("Description of the aggressor"), max_length=400, required=False)
    vehicle = inputs.TextField(label=_("Vehicle"), max_length=200, required=False)
    area = inputs.TextField(label=_("Area"), max_length=200, required=False)
    phone = inputs.TextField(label=_("Aggressor's phone number"), max_length=40, required=False)
    plate = inputs.TextField(label=_("Vehicle plate"), max_length=20, required=False)
    expires_on = inputs.DateField(
        label=_("Expires on"), widget=forms.DateInput(attrs={"type": "date"}), required=False,
        help_text=_("30 days if left empty."),
    )

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["region"]).choices = region_choices()


def end_of_day(day) -> datetime | None:  # type: ignore[no-untyped-def]
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day, time(23, 59)))


class ModerateForm(forms.Form):
    title = inputs.TextField(label=_("Public title"), max_length=120)
    public_text = inputs.TextField(
        label=_("Public text"), max_length=600, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("No detail about the person affected: only what others need to stay safe."),
    )
    perpetrator_description = inputs.TextField(label=_("Description of the aggressor"), max_length=400, required=False)
    vehicle = inputs.TextField(label=_("Vehicle"), max_length=200, required=False)
    area = inputs.TextField(label=_("Area"), max_length=200, required=False)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    legal_basis = forms.ChoiceField(label=_("Legal basis for publishing"), choices=LegalBasis.choices)
    legal_reason = inputs.TextField(
        label=_("Why publishing is necessary"), max_length=600, widget=forms.Textarea(attrs={"rows": 2})
    )
    expires_on = inputs.DateField(label=_("Expires on"), widget=forms.DateInput(attrs={"type": "date"}))


class RejectForm(forms.Form):
    pass


class WithdrawForm(forms.Form):
    reason = inputs.TextField(label=_("Reason for withdrawal"), max_length=600, widget=forms.Textarea(attrs={"rows": 2}))


class LookupForm(forms.Form):
    phone = inputs.TextField(label=_("Phone number"), max_length=40, required=False)
    plate = inputs.TextField(label=_("Vehicle plate"), max_length=20, required=False)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if bool(data.get("phone")) == bool(data.get("plate")):
            raise forms.ValidationError(_("Enter either a phone number or a plate."))
        return data


class SubscribeForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("How do you want to receive alerts?"),
        choices=[(Channel.EMAIL, _("Email")), (Channel.SMS, _("Text message")), (Channel.WEBPUSH, _("Notifications in this browser"))],
        widget=forms.RadioSelect, initial=Channel.EMAIL,
    )
    address = inputs.TextField(label=_("Email address or phone number"), max_length=254, required=False)
    push_subscription = inputs.TextField(widget=forms.HiddenInput, required=False, max_length=2000)
    regions = forms.MultipleChoiceField(label=_("Regions"), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        cast(forms.MultipleChoiceField, self.fields["regions"]).choices = region_choices()

    def address_value(self) -> str:
        data = self.cleaned_data
        return data["push_subscription"] if data["channel"] == Channel.WEBPUSH else data["address"]


class SettingsForm(forms.Form):
    escalation_minutes = inputs.IntegerField(label=_("Minutes before calling the next people"), min_value=1, max_value=240)
    webhook_url = forms.URLField(label=_("SMS/WhatsApp gateway webhook URL"), required=False, max_length=500, assume_scheme="https")
    webhook_secret = inputs.TextField(
        label=_("Gateway secret"), required=False, max_length=200, widget=forms.PasswordInput,
        help_text=_("Leave empty to keep the current secret."),
    )
    public_alerts = forms.BooleanField(label=_("Let the community subscribe to alerts"), required=False)
    new_emergency_token = forms.BooleanField(
        label=_("Make a new emergency form link (the old QR code stops working)"), required=False
    )


def default_expiry() -> datetime:
    return timezone.now() + timedelta(days=30)
