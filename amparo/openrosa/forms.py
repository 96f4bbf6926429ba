from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class CollectorForm(forms.Form):
    label = forms.CharField(
        label=_("Label for the phone"), max_length=60,
        help_text=_("Name the phone, not the person: e.g. 'Phone 3'. Seized records must not point to anyone."),
    )
    owner = forms.TypedChoiceField(label=_("Responsible member"), coerce=int)

    def __init__(self, *args: Any, owners: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._owners = {m.user_id: m.user for m in owners}
        self.fields["owner"].choices = [(m.user_id, m.user.username) for m in owners]

    def clean_owner(self) -> Any:
        return self._owners[self.cleaned_data["owner"]]
