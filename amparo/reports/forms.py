from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from amparo.lib import inputs

LANGUAGES = [("es", _("Spanish")), ("en", _("English"))]
FORMATS = [("pdf", "PDF"), ("xlsx", "XLSX")]


class FunderReportForm(forms.Form):
    # An id, not a choice among the member's programmes: another organisation's programme is
    # looked up like any record and is a 404 (`programme_get_for`), not a form error.
    programme = inputs.IntegerField(label=_("Programme"), required=False, min_value=1, widget=forms.Select)
    date_from = inputs.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = inputs.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    # Optional so that the old monitoring-report form (dates and narrative only) still works.
    language = forms.ChoiceField(label=_("Language of the report"), choices=LANGUAGES, required=False)
    format = forms.ChoiceField(label=_("Format"), choices=FORMATS, required=False, widget=forms.RadioSelect)
    context = inputs.TextField(label=_("Context"), widget=forms.Textarea, max_length=4000, required=False)
    achievements = inputs.TextField(label=_("What we achieved"), widget=forms.Textarea, max_length=4000, required=False)
    challenges = inputs.TextField(label=_("Challenges and next steps"), widget=forms.Textarea, max_length=4000, required=False)

    def __init__(self, *args: Any, programmes: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["date_from"].initial = date(today.year - 1, 1, 1)
        self.fields["date_to"].initial = today
        self.fields["language"].initial = (translation.get_language() or "es")[:2]
        self.fields["format"].initial = "pdf"
        self.fields["programme"].widget.choices = [("", _("None: documentation only"))] + [(p.pk, p.name) for p in programmes]

    def clean(self) -> dict:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end of the period is before its start."))
        if not data.get("language"):
            data["language"] = (translation.get_language() or "es")[:2]
        if not data.get("format"):
            data["format"] = "pdf"
        return data
