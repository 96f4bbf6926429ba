"""Helpers shared by the apps' forms and views."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import ValidationError
from django.forms import Form

T = TypeVar("T")


def errors_into(form: Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on its field when the form has it, else on top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@dataclass(frozen=True)
class Saved(Generic[T]):
    """What the service returned: a post that saved nothing gives None instead, so a service that
    returns nothing still counts as saved."""

    value: T


def saved_by(form: Form, save: Callable[[dict[str, Any]], T]) -> Saved[T] | None:
    """The shape of every form post: validate, hand the data to the service, and on a refusal put
    its reasons on the form (nothing saved: the services write in one transaction). None when
    nothing was saved and the view answers 400 with the form."""
    if not form.is_valid():
        return None
    try:
        return Saved(save(form.cleaned_data))
    except ValidationError as exc:
        errors_into(form, exc)
        return None
