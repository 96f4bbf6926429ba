"""Controlled vocabularies over the API: the codes clients send, with their labels in both languages."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Path, Router, Schema

from amparo.api import ApiError, ErrorOut
from amparo.vocab.models import Term, Vocabulary
from amparo.vocab.selectors import terms

router = Router()


class TermOut(Schema):
    code: str
    label_es: str
    label_en: str
    huridocs_ref: str
    right_group: str
    is_state_agent: bool
    version: int


@router.get(
    "/{vocabulary}",
    response={200: list[TermOut], 401: ErrorOut, 404: ErrorOut},
    summary="Active terms of a controlled vocabulary",
    operation_id="vocabulary_terms",
)
def vocabulary_terms(request: HttpRequest, vocabulary: Annotated[str, Path(max_length=40, pattern=r"^[a-z_]+$")]) -> list[Term]:
    if vocabulary not in Vocabulary.values:
        raise ApiError(404, "not_found", _("Unknown vocabulary."))
    return list(terms(vocabulary=vocabulary))
