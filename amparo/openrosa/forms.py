from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from amparo.lib import inputs
from amparo.openrosa.models import Route


class CollectorForm(forms.Form):
    label = inputs.TextField(
        label=_("Label for the phone"), max_length=60,
        help_text=_("Name the phone, not the person: e.g. 'Phone 3'. Seized records must not point to anyone."),
    )
    owner = forms.TypedChoiceField(label=_("Responsible member"), coerce=int)
    allow_drafts = forms.BooleanField(
        label=_("Allow saving unfinished interviews as drafts"), required=False,
        help_text=_("Drafts are not encrypted on the phone. Untick for phones at high risk of being taken."),
    )

    def __init__(self, *args: Any, owners: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._owners = {m.user_id: m.user for m in owners}
        owner_field: forms.ChoiceField = self.fields["owner"]  # type: ignore[assignment]
        owner_field.choices = [(m.user_id, m.user.username) for m in owners]

    def clean_owner(self) -> Any:
        return self._owners[self.cleaned_data["owner"]]


class FormSettingForm(forms.Form):
    enabled = forms.BooleanField(label=_("Offer this form to the phones"), required=False)
    encrypted = forms.BooleanField(label=_("Encrypt on the phone"), required=False)
    route = forms.ChoiceField(label=_("Where the answers go"), choices=Route.choices)
