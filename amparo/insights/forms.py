from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from amparo.insights.models import MilestoneKind, SharingLevel
from amparo.lib import inputs
from amparo.places.models import Department


class MilestoneForm(forms.Form):
    happened_on = inputs.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("Kind"), choices=MilestoneKind.choices)
    title = inputs.TextField(label=_("Title"), max_length=120, help_text=_("As it would read after “Since”, e.g. “the regional directive”."))
    violation = forms.ChoiceField(label=_("Violation it concerns"), required=False)
    perpetrator = forms.ChoiceField(label=_("Perpetrator it concerns"), required=False)
    # A region here; a district or a province comes from a programme activity's page.
    place = forms.ChoiceField(label=_("Region it concerns"), required=False)
    is_public = forms.BooleanField(label=_("Show on the public page"), required=False)

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        from amparo.vocab.models import Term, Vocabulary

        super().__init__(*args, **kwargs)
        for name, vocabulary in (("violation", Vocabulary.VIOLATION), ("perpetrator", Vocabulary.PERPETRATOR)):
            terms = sorted(Term.objects.filter(vocabulary=vocabulary, is_active=True), key=lambda t: t.label)
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [("", _("All incidents"))] + [(t.code, t.label) for t in terms]
        place = self.fields["place"]
        assert isinstance(place, forms.ChoiceField)
        place.choices = [("", _("Everywhere"))] + list(Department.objects.order_by("name").values_list("code", "name"))


class SharingForm(forms.Form):
    level = forms.ChoiceField(label=_("What we share with the network"), choices=SharingLevel.choices, widget=forms.RadioSelect)
    public_page = forms.BooleanField(label=_("Publish a public statistics page (protected numbers only)"), required=False)
