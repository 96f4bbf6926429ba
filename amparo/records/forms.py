from __future__ import annotations

import re
from datetime import date
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amparo.lib import inputs
from amparo.places.models import Department, District
from amparo.places.selectors import district_search
from amparo.places.ubigeo import normalise
from amparo.records.models import (
    AgeBand,
    DatePrecision,
    GenderIdentity,
    Harm,
    IdDocumentType,
    IncidentStatus,
    MigrantStatus,
    Nationality,
    PersonRole,
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
    # The district as typed (works without JavaScript: matched on the server), and the one chosen
    # from the list the server offers when the typed name matches several districts or none.
    district_q = inputs.TextField(label=_("District"), required=False, max_length=80)
    district_choice = inputs.TextField(label=_("Choose the district"), required=False, max_length=6)
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
        self.district_candidates: list[District] = []
        code = self.data.get("district") if self.is_bound else self.initial.get("district")
        if code:
            d = District.objects.select_related("province", "department").filter(code=str(code)[:6]).first()
            self.district_label = d.label if d else ""
        if self.is_bound:
            self.district_label = str(self.data.get("district_q", ""))[:80]

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
        if "district" in data:
            data["district"] = self._district_from(data)
        code, dept = data.get("district"), data.get("department")
        if code and dept and not code.startswith(dept):
            self.add_error("district", _("That district is not in the chosen region."))
        return data

    def _district_from(self, data: dict[str, Any]) -> str:
        """The district code, whether picked from the suggestions (JavaScript), chosen from the list
        the server offered, or typed and matched here. A typed name is never dropped silently: if it
        matches several districts or none, the form is refused with the list to choose from."""
        dept = data.get("department") or ""
        choice = (data.get("district_choice") or "").strip()
        if choice:
            if not District.objects.filter(code=choice).exists():
                self.add_error("district", _("Unknown district."))
                return ""
            return choice
        code = data.get("district") or ""
        typed = (data.get("district_q") or "").strip()
        if code:
            known = District.objects.select_related("province", "department").filter(code=code).first()
            # The hidden code belongs to what the box shows; a name typed over it is a new search.
            if not typed or (known and normalise(typed) in (normalise(known.label), normalise(known.name))):
                return code
        if not typed:
            return ""
        # "Lince — Lima, Lima" (a suggestion's label) searches as its words.
        candidates = list(district_search(query=re.sub(r"[^\w\s]", " ", typed), department_code=dept, limit=40))
        exact = [d for d in candidates if normalise(typed) in (normalise(d.name), normalise(d.label))]
        if len(exact) == 1:
            return exact[0].code
        if len(candidates) == 1:
            return candidates[0].code
        if candidates:
            self.district_candidates = exact or candidates
            self.add_error("district", _("Several districts are called “%(name)s”: choose one from the list.") % {"name": typed})
        elif dept:
            self.district_candidates = list(District.objects.filter(department_id=dept).select_related("province", "department").order_by("name"))
            self.add_error("district", _("No district is called “%(name)s”: check the name or choose one from the list.") % {"name": typed})
        else:
            self.add_error("district", _("No district is called “%(name)s”: check the name, or choose the region and then one from the list.") % {"name": typed})
        return ""

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


# --- The people of an incident, one by one (a raid harms each woman differently) ------------


class PersonHarmsForm(forms.Form):
    """A person's role in the incident, what happened to her, and if she is held, since when and
    where (her detention record and its legal limit start from it)."""

    role = forms.ChoiceField(label=_("Role"), choices=PersonRole.choices, initial=PersonRole.VICTIM)
    harms = forms.MultipleChoiceField(
        label=_("What happened to her"), required=False, choices=Harm.choices, widget=forms.CheckboxSelectMultiple
    )
    detained_since = inputs.DateTimeField(
        label=_("Held since"), required=False, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("If she is detained: when she was stopped. The legal time limit counts from then."),
    )
    held_at = inputs.TextField(label=_("Where she is held"), required=False, max_length=300,
                              help_text=_("Police station or place. Encrypted."))

    def clean(self) -> dict[str, Any]:
        d = super().clean() or {}
        if (d.get("detained_since") or (d.get("held_at") or "").strip()) and Harm.DETAINED not in (d.get("harms") or []):
            self.add_error("harms", _("Mark her as detained, or leave the detention fields empty."))
        since = d.get("detained_since")
        if since is not None and since > timezone.now():
            self.add_error("detained_since", _("The time cannot be in the future."))
        return d


class IncidentPersonRowForm(PersonHarmsForm):
    """One person on the incident form: a code name and her role and harms."""

    code_name = inputs.TextField(label=_("Code name"), required=False, max_length=60)
    field_order = ["code_name", "role", "harms", "detained_since", "held_at"]

    def clean(self) -> dict[str, Any]:
        d = super().clean()
        has_details = bool(d.get("harms") or d.get("detained_since") or (d.get("held_at") or "").strip())
        if has_details and not (d.get("code_name") or "").strip():
            self.add_error("code_name", _("Give this person a code name (never her real name)."))
        return d

    @property
    def is_filled(self) -> bool:
        return bool(getattr(self, "cleaned_data", None) and (self.cleaned_data.get("code_name") or "").strip())


class BaseIncidentPeopleFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def is_valid(self) -> bool:
        # Unbound = the rows were not sent at all: nobody to record here, nothing wrong.
        return not self.is_bound or super().is_valid()

    def people(self) -> list[dict[str, Any]]:
        if not self.is_bound:
            return []
        return [f.cleaned_data for f in self.forms if f.is_filled]  # type: ignore[attr-defined]


IncidentPeopleFormSet = forms.formset_factory(
    IncidentPersonRowForm, formset=BaseIncidentPeopleFormSet, extra=4, max_num=40, validate_max=True
)
PEOPLE_PREFIX = "gente"


def incident_people_formset(data: Any = None) -> BaseIncidentPeopleFormSet:
    """The rows of people on the incident form; a POST without them (an older page, a script)
    simply records no one here, rather than failing on the missing management form."""
    if data is not None and f"{PEOPLE_PREFIX}-TOTAL_FORMS" not in data:
        data = None
    return IncidentPeopleFormSet(data, prefix=PEOPLE_PREFIX)  # type: ignore[return-value]


class HappeningNowForm(forms.Form):
    happening_now = forms.BooleanField(
        label=_("Is it happening now?"), required=False,
        help_text=_("Tick it if the raid, detention or attack is still going on: the rapid-response alarm is "
                    "raised, linked to this incident, and the people on call are notified."),
    )
