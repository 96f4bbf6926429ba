"""Forms of the public report page, the follow-up page and the triage queue.

The public form is also what validates JSON submissions (api.py feeds it a dict), so both
channels apply exactly the same rules.
"""

from __future__ import annotations

import datetime
import unicodedata
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.intake import conf
from amparo.intake.models import FormSettings, Report
from amparo.lib import inputs

NOT_SAID = "none"
clean_text = inputs.clean_text  # the one text rule; the fields below apply it already


def _fold(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value.lower())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


class ReportForm(forms.Form):
    violations = forms.MultipleChoiceField(
        label=_("What happened?"), widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one thing that happened.")},
    )
    occurred_on = inputs.DateField(label=_("When?"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_precision = forms.ChoiceField(
        label=_("How sure are you of the date?"), choices=Report.Precision.choices, initial=Report.Precision.DAY, required=False
    )
    department = forms.ChoiceField(label=_("Region"), required=False)
    district = inputs.TextField(label=_("District"), required=False, max_length=120)
    perpetrators = forms.MultipleChoiceField(
        label=_("Who did it?"), widget=forms.CheckboxSelectMultiple, required=False
    )
    narrative = inputs.TextField(
        label=_("Tell us what happened, in your own words"),
        widget=forms.Textarea,
        max_length=conf.MAX_NARRATIVE_CHARS,
        error_messages={"required": _("Tell us in a few words what happened.")},
    )
    reporter = forms.ChoiceField(
        label=_("Who is writing?"), choices=Report.Reporter.choices, widget=forms.RadioSelect,
        error_messages={"required": _("Tell us whether it happened to you or to someone else.")},
    )
    consent_store = forms.BooleanField(
        label=_("I agree that the organisation keeps this report, encrypted."),
        error_messages={"required": _("Without this permission the organisation cannot keep your report.")},
    )
    consent_share_stats = forms.BooleanField(
        label=_("It may be counted in statistics, without names or details that identify anyone."), required=False
    )
    consent_help = forms.BooleanField(label=_("I would like help from the organisation."), required=False)
    consent_legal_action = forms.BooleanField(label=_("I would like to take legal action."), required=False)
    contact = inputs.TextField(
        label=_("A safe way to contact you (optional)"),
        help_text=_("For example a number and the hours when it is safe to call or write."),
        required=False,
        max_length=conf.MAX_CONTACT_CHARS,
    )
    # Left empty by people (hidden by CSS); filled by many bots.
    website = inputs.TextField(required=False, max_length=200)

    def __init__(
        self,
        *args: Any,
        violation_choices: list[tuple[str, str]],
        perpetrator_choices: list[tuple[str, str]],
        department_choices: list[tuple[str, str]],
        district_resolver: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["violations"].choices = violation_choices  # type: ignore[attr-defined]
        self.fields["perpetrators"].choices = perpetrator_choices  # type: ignore[attr-defined]
        self.fields["department"].choices = [("", "—"), *department_choices, (NOT_SAID, _("I prefer not to say"))]  # type: ignore[attr-defined]
        self._resolve_district = district_resolver
        self.district_obj = None
        self.district_candidates: list[Any] = []

    def clean_narrative(self) -> str:
        return clean_text(self.cleaned_data["narrative"])

    def clean_contact(self) -> str:
        return clean_text(self.cleaned_data.get("contact", ""))

    def clean_district(self) -> str:
        return clean_text(self.cleaned_data.get("district", ""))

    def clean_occurred_on(self) -> datetime.date | None:
        value = self.cleaned_data.get("occurred_on")
        if value is not None:
            if value > timezone.localdate():
                raise ValidationError(_("The date cannot be in the future."), code="future")
            if value.year < 1990:
                raise ValidationError(_("Please check the year."), code="too_old")
        return value

    def clean_website(self) -> str:
        if self.cleaned_data.get("website"):
            raise ValidationError(_("Leave this field empty."), code="honeypot")
        return ""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("date_precision"):
            data["date_precision"] = Report.Precision.DAY if data.get("occurred_on") else Report.Precision.UNKNOWN
        if data.get("occurred_on") is None and data["date_precision"] != Report.Precision.UNKNOWN:
            data["date_precision"] = Report.Precision.UNKNOWN
        department = data.get("department", "")
        typed = data.get("district", "")
        if department and department != NOT_SAID and typed:
            matches = self._resolve_district(department, typed)
            if len(matches) == 1:
                self.district_obj = matches[0]
            elif len(matches) > 1:
                self.district_candidates = matches
                self.add_error("district", _("Several districts have this name. Choose one from the list."))
            else:
                self.add_error("district", _("We do not know this district in that region. Check the name or leave it empty."))
        elif typed and not department:
            self.add_error("department", _("Choose the region of the district."))
        return data


def district_matches(*, districts: list[tuple[Any, str, str]], typed: str) -> list[Any]:
    """Districts whose name (or "name (province)") matches what was typed, accents and case aside.

    `districts` holds (object, name, province name) for one region.
    """
    folded = _fold(typed)
    exact = [d for d, name, province in districts if _fold(f"{name} ({province})") == folded]
    if exact:
        return exact
    return [d for d, name, _province in districts if _fold(name) == folded]


class FollowUpForm(forms.Form):
    receipt = inputs.TextField(label=_("Receipt code"), max_length=40)
    passphrase = inputs.TextField(label=_("Passphrase"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "off"}))

    def clean_receipt(self) -> str:
        return clean_text(self.cleaned_data["receipt"])

    def clean_passphrase(self) -> str:
        return clean_text(self.cleaned_data["passphrase"])


class AddInformationForm(forms.Form):
    text = inputs.TextField(label=_("What would you like to add?"), widget=forms.Textarea, required=False, max_length=conf.MAX_MESSAGE_CHARS)

    def clean_text(self) -> str:
        return clean_text(self.cleaned_data.get("text", ""))


class WithdrawForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Yes, delete what I sent."),
        error_messages={"required": _("Tick the box to confirm that you want to delete your report.")},
    )


class ReplyForm(forms.Form):
    body = inputs.TextField(label=_("Reply to the reporter"), widget=forms.Textarea, max_length=conf.MAX_MESSAGE_CHARS)

    def clean_body(self) -> str:
        return clean_text(self.cleaned_data["body"])


class AcceptForm(forms.Form):
    code_name = inputs.TextField(
        label=_("Code name for the person"), max_length=60, required=False,
        help_text=_("Leave empty to use the report's reference."),
    )

    def clean_code_name(self) -> str:
        return clean_text(self.cleaned_data.get("code_name", ""))


class MergeForm(forms.Form):
    # The reference people see (LIM-2026-00012), or the number in an incident's address.
    incident = inputs.TextField(label=_("Incident"), max_length=30)

    # Set by the confirmation step: without it, merging only shows what would happen.
    confirm = forms.BooleanField(required=False)

    def clean_incident(self) -> str:
        return clean_text(self.cleaned_data["incident"]).upper()


class ConfirmForm(forms.Form):
    """The second step of a decision that destroys or changes much (spam, merge)."""

    confirm = forms.BooleanField(required=False)


class FormSettingsForm(forms.ModelForm):
    class Meta:
        model = FormSettings
        fields = ["is_open", "poster_message"]
        field_classes = {"poster_message": inputs.TextField}
