from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from amparo.accounts.models import Membership, Role
from amparo.lib import inputs
from amparo.places.models import District
from amparo.programmes import selectors
from amparo.programmes.models import (
    ActivityKind,
    InstitutionKind,
    Measure,
    MilestoneScope,
    Programme,
    ProgrammeKind,
    Venue,
    VenueKind,
)
from amparo.response.forms import ReferralForm
from amparo.response.models import ConsentMethod

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _district_choices(membership: Membership) -> list[tuple[str, str]]:
    districts = selectors.district_choices_for(membership=membership)
    return [("", "—")] + [(d.code, f"{d.name} ({d.province.name})") for d in districts]


def _count(label: Any) -> inputs.IntegerField:
    return inputs.IntegerField(label=label, min_value=0, max_value=1_000_000, initial=0, required=False)


class ProgrammeForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=ProgrammeKind.choices)
    name = inputs.TextField(label=_("Name"), max_length=200)
    funder = inputs.TextField(label=_("Funder or partner"), max_length=200, required=False)
    starts_on = inputs.DateField(label=_("Starts on"), widget=DATE_INPUT)
    ends_on = inputs.DateField(label=_("Ends on"), widget=DATE_INPUT)


class IndicatorForm(forms.Form):
    name = inputs.TextField(label=_("Name"), max_length=200)
    measure = forms.ChoiceField(label=_("What is counted"), choices=Measure.choices)
    activity_kind = forms.ChoiceField(label=_("Only activities of type"), choices=[("", _("Any type"))] + list(ActivityKind.choices), required=False)
    target = inputs.IntegerField(label=_("Target"), min_value=1, max_value=100_000_000)
    starts_on = inputs.DateField(label=_("From (blank: the programme's start)"), widget=DATE_INPUT, required=False)
    ends_on = inputs.DateField(label=_("Until (blank: the programme's end)"), widget=DATE_INPUT, required=False)
    venue: forms.ModelChoiceField[Venue] = forms.ModelChoiceField(label=_("Only at venue"), queryset=None, required=False, empty_label=_("Every site"))

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["venue"].queryset = selectors.venue_list_for(membership=membership)  # type: ignore[attr-defined]


class ActivityFilterForm(forms.Form):
    """Which activities the list shows: every value is picked from a list, so a bad one is a 400."""

    programme: forms.ModelChoiceField[Programme] = forms.ModelChoiceField(label=_("Programme"), queryset=None, required=False, empty_label="—")
    kind = forms.ChoiceField(label=_("Type"), choices=[("", "—")] + list(ActivityKind.choices), required=False)
    venue: forms.ModelChoiceField[Venue] = forms.ModelChoiceField(label=_("Venue"), queryset=None, required=False, empty_label="—")

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = selectors.programme_choices_for(membership=membership)  # type: ignore[attr-defined]
        self.fields["venue"].queryset = selectors.venue_list_for(membership=membership)  # type: ignore[attr-defined]


class VenueForm(forms.Form):
    code_name = inputs.TextField(label=_("Code name"), max_length=60,
                                 help_text=_("A name for daily use that does not identify the place to outsiders."))
    kind = forms.ChoiceField(label=_("Type"), choices=VenueKind.choices)
    district = forms.ChoiceField(label=_("District"))
    address = inputs.TextField(label=_("Address (kept encrypted)"), max_length=300, required=False)
    contact = inputs.TextField(label=_("Contact (kept encrypted)"), max_length=300, required=False)
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["district"].choices = _district_choices(membership)  # type: ignore[attr-defined]

    def clean_district(self) -> District:
        return District.objects.get(pk=self.cleaned_data["district"])


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type of activity"), choices=ActivityKind.choices)
    programme: forms.ModelChoiceField[Programme] = forms.ModelChoiceField(label=_("Programme"), queryset=None, required=False, empty_label=_("No programme"))
    held_on = inputs.DateField(label=_("Date"), widget=DATE_INPUT)
    venue: forms.ModelChoiceField[Venue] = forms.ModelChoiceField(label=_("Venue"), queryset=None, required=False, empty_label=_("Street or elsewhere"))
    district = forms.ChoiceField(label=_("District (blank: the venue's)"), required=False)
    facilitators: forms.ModelMultipleChoiceField[Membership] = forms.ModelMultipleChoiceField(label=_("Facilitators"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple)
    institution_kind = forms.ChoiceField(label=_("Institution trained or met"), choices=InstitutionKind.choices, required=False)
    institution = inputs.TextField(label=_("Institution and unit (e.g. the comisaría)"), max_length=300, required=False)
    participants_sex_workers = _count(_("Sex workers"))
    participants_trans_women = _count(_("Trans women"))
    participants_police = _count(_("Police or serenazgo officers"))
    participants_health_staff = _count(_("Health staff"))
    participants_officials = _count(_("Officials"))
    participants_other = _count(_("Other participants"))
    condoms = _count(_("Condoms handed out"))
    lubricants = _count(_("Lubricants handed out"))
    leaflets = _count(_("Leaflets handed out"))
    tests_done = _count(_("HIV tests done"))
    tests_reactive = _count(_("Reactive results"))
    tests_confirmed = _count(_("Confirmed results"))
    linked_to_care = _count(_("Linked to care"))
    scored_participants = _count(_("People who took the pre and post test"))
    pre_score_average = forms.DecimalField(label=_("Average pre-test score (0–100)"), min_value=0, max_value=100, max_digits=4, decimal_places=1, required=False)
    post_score_average = forms.DecimalField(label=_("Average post-test score (0–100)"), min_value=0, max_value=100, max_digits=4, decimal_places=1, required=False)
    commitments = inputs.TextField(label=_("Commitments obtained"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    follow_up_on = inputs.DateField(label=_("Follow up on"), widget=DATE_INPUT, required=False)
    notes = inputs.TextField(label=_("Notes"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = selectors.programme_choices_for(membership=membership)  # type: ignore[attr-defined]
        self.fields["venue"].queryset = selectors.venue_list_for(membership=membership).filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["district"].choices = _district_choices(membership)  # type: ignore[attr-defined]
        self.fields["facilitators"].queryset = (  # type: ignore[attr-defined]
            Membership.objects.for_member(membership).filter(is_active=True).exclude(role=Role.ANALYST).select_related("user")
        )
        self.fields["facilitators"].label_from_instance = lambda m: m.user.get_username()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name, field in self.fields.items():
            if isinstance(field, inputs.IntegerField) and data.get(name) is None and name not in self.errors:
                data[name] = 0
        code = data.get("district")
        if code:
            data["district"] = District.objects.get(pk=code)
        elif data.get("venue") is not None:
            data["district"] = data["venue"].district
        elif "district" not in self.errors:
            self.add_error("district", _("Choose the district, or a venue."))
        return data


class ActivityMilestoneForm(forms.Form):
    """Mark an activity as a milestone in the statistics (the kind only for agreements and advocacy)."""

    title = inputs.TextField(label=_("Title"), max_length=120,
                             help_text=_("As it would read after “Since”, e.g. “the training of the Miraflores police station”."))
    kind = forms.ChoiceField(label=_("What was won"), required=False)
    scope = forms.ChoiceField(label=_("Where it applies"), choices=MilestoneScope.choices, initial=MilestoneScope.DISTRICT)
    is_public = forms.BooleanField(label=_("Show on the public page"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from amparo.insights.models import MilestoneKind
        from amparo.programmes.services import OUTCOME_KINDS

        super().__init__(*args, **kwargs)
        kinds = dict(MilestoneKind.choices)
        self.fields["kind"].choices = [("", "—")] + [(k, kinds[k]) for k in OUTCOME_KINDS]  # type: ignore[attr-defined]


# A person met at an activity: chosen among those the member may see, or new by a code name.
PEOPLE_SHOWN = 500


def _people(membership: Membership) -> list[Any]:
    from amparo.records.selectors import person_list_for

    return list(person_list_for(membership=membership)[:PEOPLE_SHOWN])


def _new_code_name_field() -> inputs.TextField:
    return inputs.TextField(label=_("Or a new person, by code name"), max_length=60, required=False,
                            help_text=_("If she is not in Amparo yet: a code name for daily use, nothing that identifies her."))


def _require_a_person(form: forms.Form, data: dict[str, Any]) -> None:
    if not data.get("person") and not (data.get("new_code_name") or "").strip() and "person" not in form.errors:
        form.add_error("person", _("Choose the person, or give a new code name."))


class ActivityReferralForm(ReferralForm):
    """The referral form of an incident, for a person met at an activity (chosen, or new by code name)."""

    new_code_name = _new_code_name_field()

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, membership=membership, persons=_people(membership), **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        _require_a_person(self, data)
        return data

    def activity_kwargs(self) -> dict[str, Any]:
        return {**self.service_kwargs(), "new_code_name": self.cleaned_data.get("new_code_name") or ""}


class CareLinkageForm(forms.Form):
    consent_given = forms.BooleanField(
        label=_("She agrees to be accompanied to treatment and to Amparo keeping these dates (encrypted)"), required=False,
    )
    consent_method = forms.ChoiceField(label=_("How she agreed"), required=False, choices=[("", "—"), *ConsentMethod.choices])
    person = forms.ChoiceField(label=_("Person"), required=False)
    new_code_name = _new_code_name_field()
    reactive_on = inputs.DateField(label=_("Date of the reactive result"), widget=DATE_INPUT)
    confirmed_on = inputs.DateField(label=_("Date of the confirmation"), widget=DATE_INPUT, required=False)
    treatment_started_on = inputs.DateField(label=_("Date treatment (ART) started"), widget=DATE_INPUT, required=False)
    health_service = inputs.TextField(label=_("Health service (kept encrypted)"), max_length=200, required=False)

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [("", "—")] + [(str(p.pk), p.code_name) for p in _people(membership)]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("consent_given"):
            self.add_error("consent_given", _("Without her consent she is not followed person by person: count her in the testing day's tallies."))
        elif not data.get("consent_method"):
            self.add_error("consent_method", _("Say how the person agreed."))
        _require_a_person(self, data)
        return data

    def service_kwargs(self) -> dict[str, Any]:
        from amparo.records.models import Person

        data = dict(self.cleaned_data)
        person_pk = data.pop("person")
        data["person"] = Person.objects.get(pk=int(person_pk)) if person_pk and not data["new_code_name"].strip() else None
        return data


class CareLinkageUpdateForm(forms.Form):
    confirmed_on = inputs.DateField(label=_("Date of the confirmation"), widget=DATE_INPUT, required=False)
    treatment_started_on = inputs.DateField(label=_("Date treatment (ART) started"), widget=DATE_INPUT, required=False)
