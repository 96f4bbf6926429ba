from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.lib import inputs
from amparo.places.models import Department, District
from amparo.records.models import (
    AgeBand,
    DatePrecision,
    GenderIdentity,
    IdDocumentType,
    IncidentStatus,
    MigrantStatus,
    Nationality,
    Reliability,
    WorkSetting,
)
from amparo.vocab.models import Vocabulary
from amparo.vocab.selectors import terms


def _term_choices(vocabulary: str) -> list[tuple[str, str]]:
    return [(t.code, t.label) for t in terms(vocabulary=vocabulary)]


class IncidentForm(forms.Form):
    occurred_on = inputs.DateField(label=_("When did it happen?"), widget=forms.DateInput(attrs={"type": "date"}))
    date_precision = forms.ChoiceField(label=_("How sure is the date?"), choices=DatePrecision.choices, initial=DatePrecision.DAY)
    occurred_time = forms.TimeField(label=_("Time (if known)"), required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    department = forms.ChoiceField(label=_("Region"), required=False)
    district = inputs.TextField(label=_("District"), required=False, max_length=6, widget=forms.HiddenInput)
    place_type = forms.ChoiceField(label=_("Type of place"), required=False)
    violations = forms.MultipleChoiceField(label=_("What happened?"), widget=forms.CheckboxSelectMultiple,
                                           error_messages={"required": _("Choose at least one thing that happened.")})
    perpetrators = forms.MultipleChoiceField(label=_("Who did it?"), widget=forms.CheckboxSelectMultiple, required=False)
    perpetrator_details = inputs.TextField(label=_("Details of who did it"), required=False, max_length=2000,
                                          help_text=_("Badge number, unit, vehicle plate, nickname. Encrypted."),
                                          widget=forms.Textarea(attrs={"rows": 2}))
    narrative = inputs.TextField(label=_("What happened, in the person's words"), required=False, max_length=20000,
                                help_text=_("Encrypted. Write only what is needed."), widget=forms.Textarea(attrs={"rows": 5}))
    people_affected = inputs.IntegerField(label=_("How many people were affected?"), min_value=1, max_value=10000, initial=1)
    source = forms.ChoiceField(label=_("Source of the information"), required=False)
    reliability = forms.ChoiceField(label=_("Reliability"), choices=Reliability.choices, initial=Reliability.UNKNOWN)
    consent_store = forms.BooleanField(label=_("Agrees that we keep this record"), required=True,
                                       error_messages={"required": _("Without consent to store the record, it cannot be saved.")})
    consent_share_stats = forms.BooleanField(label=_("Agrees to be counted in de-identified statistics"), required=False)
    consent_legal_action = forms.BooleanField(label=_("Wants to pursue legal action"), required=False)
    consent_contact = forms.BooleanField(label=_("Agrees to be contacted"), required=False)
    contact_preference = inputs.TextField(label=_("How and when to contact safely"), required=False, max_length=500)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [("", _("— Not said —"))] + [(d.code, d.name) for d in Department.objects.order_by("name")]  # type: ignore[attr-defined]
        self.fields["place_type"].choices = [("", "—")] + _term_choices(Vocabulary.PLACE_TYPE)  # type: ignore[attr-defined]
        self.fields["violations"].choices = _term_choices(Vocabulary.VIOLATION)  # type: ignore[attr-defined]
        self.fields["perpetrators"].choices = _term_choices(Vocabulary.PERPETRATOR)  # type: ignore[attr-defined]
        self.fields["source"].choices = [("", "—")] + _term_choices(Vocabulary.SOURCE)  # type: ignore[attr-defined]
        self.district_label = ""
        code = self.data.get("district") if self.is_bound else self.initial.get("district")
        if code:
            d = District.objects.select_related("province", "department").filter(code=str(code)[:6]).first()
            self.district_label = d.label if d else ""

    def clean_occurred_on(self) -> date:
        value: date = self.cleaned_data["occurred_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        if value.year < 1990:
            raise forms.ValidationError(_("Check the year."))
        return value

    def clean_district(self) -> str:
        code = self.cleaned_data.get("district", "")
        if code and not District.objects.filter(code=code).exists():
            raise forms.ValidationError(_("Unknown district."))
        return code

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        code, dept = data.get("district"), data.get("department")
        if code and dept and not code.startswith(dept):
            self.add_error("district", _("That district is not in the chosen region."))
        return data

    def service_kwargs(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "occurred_on": d["occurred_on"],
            "date_precision": d["date_precision"],
            "occurred_time": d.get("occurred_time"),
            "district": d.get("district") or None,
            "place_type": d.get("place_type") or None,
            "perpetrator_details": d.get("perpetrator_details", ""),
            "narrative": d.get("narrative", ""),
            "people_affected": d["people_affected"],
            "source": d.get("source") or None,
            "reliability": d["reliability"],
            "consent_store": d["consent_store"],
            "consent_share_stats": d.get("consent_share_stats", False),
            "consent_legal_action": d.get("consent_legal_action", False),
            "consent_contact": d.get("consent_contact", False),
            "contact_preference": d.get("contact_preference", ""),
        }


class PersonForm(forms.Form):
    code_name = inputs.TextField(label=_("Code name"), max_length=60, help_text=_("A pseudonym for daily use. Never the real name."))
    chosen_name = inputs.TextField(label=_("Chosen name"), required=False, max_length=200)
    legal_name = inputs.TextField(label=_("Name on the ID document"), required=False, max_length=200)
    id_document_type = forms.ChoiceField(label=_("ID document"), choices=IdDocumentType.choices, required=False)
    id_number = inputs.TextField(label=_("ID number"), required=False, max_length=40)
    phone = inputs.TextField(label=_("Phone"), required=False, max_length=40, widget=forms.TextInput(attrs={"type": "tel"}))
    safe_contact = inputs.TextField(label=_("Safe contact method and hours"), required=False, max_length=500)
    address = inputs.TextField(label=_("Address"), required=False, max_length=500)
    gender_identity = forms.ChoiceField(label=_("Gender identity"), choices=GenderIdentity.choices, initial=GenderIdentity.NOT_SAID)
    age_band = forms.ChoiceField(label=_("Age"), choices=AgeBand.choices, initial=AgeBand.NOT_SAID)
    nationality = forms.ChoiceField(label=_("Nationality"), choices=Nationality.choices, initial=Nationality.NOT_SAID)
    migrant_status = forms.ChoiceField(label=_("Migrant status"), choices=MigrantStatus.choices, initial=MigrantStatus.NOT_SAID)
    work_setting = forms.ChoiceField(label=_("Where she/they work"), choices=WorkSetting.choices, initial=WorkSetting.NOT_SAID)
    is_defender = forms.BooleanField(label=_("Activist or human-rights defender"), required=False)
    hiv_status = inputs.TextField(label=_("HIV status"), required=False, max_length=100,
                                 help_text=_("Only if the person chooses to say it. Encrypted."))

    def service_kwargs(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class IncidentFilterForm(forms.Form):
    date_from = inputs.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = inputs.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    department = forms.ChoiceField(label=_("Region"), required=False)
    violation = forms.ChoiceField(label=_("Violation"), required=False)
    perpetrator = forms.ChoiceField(label=_("Perpetrator"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", "—"), *IncidentStatus.choices])
    q = inputs.TextField(label=_("Reference"), required=False, max_length=24)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [("", "—")] + [(d.code, d.name) for d in Department.objects.order_by("name")]  # type: ignore[attr-defined]
        self.fields["violation"].choices = [("", "—")] + _term_choices(Vocabulary.VIOLATION)  # type: ignore[attr-defined]
        self.fields["perpetrator"].choices = [("", "—")] + _term_choices(Vocabulary.PERPETRATOR)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data


class AssignForm(forms.Form):
    assigned_to = forms.ChoiceField(label=_("Assign to"), required=False)
    status = forms.ChoiceField(label=_("Status"), choices=IncidentStatus.choices)
