from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from amparo.accounts.models import PUBLIC_NAME_MAX, Role
from amparo.lib import inputs


class LoginForm(forms.Form):
    username = inputs.TextField(label=_("User name"), max_length=150)
    password = inputs.TextField(label=_("Password"), strip=False, widget=forms.PasswordInput)


class TokenForm(forms.Form):
    token = forms.RegexField(
        label=_("6-digit code from your authenticator app"), regex=r"^\s*\d{6}\s*$", max_length=8,
        error_messages={"invalid": _("Enter the 6 digits shown in your app.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}),
    )


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class OrganisationForm(forms.Form):
    name = inputs.TextField(label=_("Name"), max_length=120)
    public_name = inputs.TextField(
        label=_("Name on public pages"), max_length=PUBLIC_NAME_MAX, required=False,
        help_text=_("Short and neutral: it appears at the top of the report form, the emergency form and the alerts pages, where others may see the screen."),
    )
    department_code = forms.ChoiceField(label=_("Home region"), required=False)

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        from amparo.places.models import Department

        super().__init__(*args, **kwargs)
        self.fields["department_code"].choices = [("", "—")] + [(d.code, d.name) for d in Department.objects.order_by("name")]  # type: ignore[attr-defined]


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class AcceptInvitationForm(forms.Form):
    username = forms.RegexField(label=_("Choose a user name"), regex=r"^[\w.@+-]{3,150}$", max_length=150,
                                error_messages={"invalid": _("Use 3 or more letters, digits or . @ + - _")})
    password = inputs.TextField(label=_("Choose a password"), strip=False, widget=forms.PasswordInput,
                               help_text=_("At least 10 characters. A sentence is easier to remember."))
    password2 = inputs.TextField(label=_("Repeat the password"), strip=False, widget=forms.PasswordInput)

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password2"):
            self.add_error("password2", _("The passwords do not match."))
        return data


class ApiTokenForm(forms.Form):
    name = inputs.TextField(label=_("What is this token for?"), max_length=80)
