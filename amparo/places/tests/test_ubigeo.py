from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from amparo.places.models import Department, District, Province
from amparo.places.selectors import district_search

DATA = Path(__file__).resolve().parents[1] / "data"


def test_the_shipped_files_are_the_ones_in_the_provenance_note():
    note = (DATA / "PROVENANCE.md").read_text()
    for name in ("ubigeo.csv", "ubigeo_provincias.csv", "ubigeo_departamentos.csv"):
        assert hashlib.sha256((DATA / name).read_bytes()).hexdigest() in note
    assert "Castagnetto" in (DATA / "LICENSE-ubigeo.txt").read_text()


@pytest.mark.django_db
def test_all_of_peru_is_loaded_with_codes_as_text():
    assert Department.objects.count() == 25
    assert Province.objects.count() == 196
    assert District.objects.count() == 1893
    assert District.objects.get(code="010101").name == "Chachapoyas"
    assert District.objects.get(code="150132").name == "San Juan de Lurigancho"


@pytest.mark.django_db
def test_district_search_ignores_accents_and_case_and_can_be_limited_to_a_region():
    assert [d.code for d in district_search(query="SAN JUAN DE LURIGANCHO")] == ["150132"]
    assert "150132" in [d.code for d in district_search(query="lurigancho")]
    assert all(d.department_id == "04" for d in district_search(query="san", department_code="04"))
    assert list(district_search(query="")) == []


@pytest.mark.django_db
def test_region_names_are_shown_with_their_accents():
    names = dict(Department.objects.values_list("code", "name"))
    assert [names["02"], names["03"], names["10"], names["12"], names["22"]] == ["Áncash", "Apurímac", "Huánuco", "Junín", "San Martín"]
    assert District.objects.get(code="150113").name == "Jesús María"
    # Searching still ignores accents.
    assert "150113" in [d.code for d in district_search(query="jesus maria")]
