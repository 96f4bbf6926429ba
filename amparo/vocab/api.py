from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from amparo.api import ApiError
from amparo.vocab.models import Vocabulary
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


@router.get("/{vocabulary}", response=list[TermOut], summary="Active terms of a controlled vocabulary")
def vocabulary_terms(request: HttpRequest, vocabulary: str) -> list:
    if vocabulary not in Vocabulary.values:
        raise ApiError(404, "not_found", "Unknown vocabulary.")
    return list(terms(vocabulary=vocabulary))
