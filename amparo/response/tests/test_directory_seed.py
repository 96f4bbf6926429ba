"""The national seed list for the service directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from amparo.response.lib.directory import SeedError, load_national_services


def test_it_loads_every_national_service_with_its_sources() -> None:
    services = load_national_services()
    codes = {s.code for s in services}
    assert {"L100", "CEM", "DPUB", "FISC", "INSP", "DP", "JF", "CERITS"} <= codes
    assert all(s.sources and all(u.startswith("http") for u in s.sources) for s in services)
    línea = next(s for s in services if s.code == "L100")
    assert línea.phone == "100" and set(línea.languages) == {"es", "qu", "ay"}


def test_it_refuses_a_service_without_sources(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"services": [{"code": "X", "kind": "legal_aid", "name": "X"}]}))
    with pytest.raises(SeedError, match="sources"):
        load_national_services(path)


def test_it_refuses_unknown_kinds_and_needs(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"services": [{"code": "X", "kind": "spa", "sources": ["https://x"]}]}))
    with pytest.raises(SeedError, match="kind"):
        load_national_services(path)
    path.write_text(json.dumps({"services": [{"code": "X", "kind": "legal_aid", "needs": ["money"], "sources": ["https://x"]}]}))
    with pytest.raises(SeedError, match="needs"):
        load_national_services(path)
