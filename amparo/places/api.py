"""Reference data over the API: Peru's districts by name, for pickers in other clients."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from amparo.api import ErrorOut
from amparo.places.selectors import district_search

router = Router()


class DistrictOut(Schema):
    code: str
    name: str
    province: str
    department: str


@router.get(
    "/districts",
    response={200: list[DistrictOut], 401: ErrorOut, 422: ErrorOut},
    summary="Search districts by name",
    operation_id="district_search",
)
def districts(
    request: HttpRequest,
    q: str = Query(..., min_length=1, max_length=80),
    department: str = Query("", pattern=r"^(\d{2})?$"),
) -> list[dict[str, Any]]:
    return [
        {"code": d.code, "name": d.name, "province": d.province.name, "department": d.department.name}
        for d in district_search(query=q, department_code=department)
    ]
