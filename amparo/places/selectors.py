from __future__ import annotations

from django.db.models import QuerySet

from amparo.places.models import Department, District
from amparo.places.ubigeo import normalise


def district_search(*, query: str, department_code: str = "", limit: int = 20) -> QuerySet[District]:
    """Districts whose name (or province/department) contains every word typed, accents ignored."""
    qs = District.objects.select_related("province", "department")
    if department_code:
        qs = qs.filter(department_id=department_code)
    words = [w for w in normalise(query).split() if w][:5]
    if not words:
        return qs.none()
    for word in words:
        qs = qs.filter(search_name__contains=word)
    return qs.order_by("name")[:limit]


def departments() -> QuerySet[Department]:
    return Department.objects.order_by("name")
