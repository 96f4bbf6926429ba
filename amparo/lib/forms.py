"""Helpers shared by the apps' forms and views."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.forms import Form


def errors_into(form: Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on its field when the form has it, else on top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
