from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from amparo.lib import inputs
from amparo.vocab.models import RightGroup, Vocabulary


class TermLabelForm(forms.Form):
    label_es = inputs.TextField(label=_("Label (Spanish)"), max_length=120)
    label_en = inputs.TextField(label=_("Label (English)"), max_length=120)


class TermAddForm(forms.Form):
    vocabulary = forms.ChoiceField(label=_("Vocabulary"), choices=Vocabulary.choices)
    code = forms.RegexField(label=_("Code"), regex=r"^[a-z0-9_]{2,48}$", error_messages={"invalid": _("Use 2–48 lower-case letters, digits or _.")})
    label_es = inputs.TextField(label=_("Label (Spanish)"), max_length=120)
    label_en = inputs.TextField(label=_("Label (English)"), max_length=120)
    right_group = forms.ChoiceField(label=_("Right affected"), choices=RightGroup.choices, required=False)
    is_state_agent = forms.BooleanField(label=_("State agent (perpetrators)"), required=False)
