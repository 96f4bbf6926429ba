from __future__ import annotations

from django.db.models import QuerySet

from amparo.vocab.models import Term


def terms(*, vocabulary: str, include_retired: bool = False) -> QuerySet[Term]:
    qs = Term.objects.filter(vocabulary=vocabulary)
    if not include_retired:
        qs = qs.filter(is_active=True)
    return qs.order_by("sort_order", "code")
