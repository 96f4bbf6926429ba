from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from amparo.places.selectors import district_search

router = Router()


class DistrictOut(Schema):
    code: str
    name: str
    province: str
    department: str


@router.get("/districts", response=list[DistrictOut], summary="Search districts by name")
def districts(request: HttpRequest, q: str, department: str = "") -> list[DistrictOut]:
    return [
        DistrictOut(code=d.code, name=d.name, province=d.province.name, department=d.department.name)
        for d in district_search(query=q[:80], department_code=department[:2])
    ]
