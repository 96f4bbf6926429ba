from __future__ import annotations

import pytest

from amparo.intake import conf


@pytest.fixture(autouse=True)
def _quick_intake(monkeypatch: pytest.MonkeyPatch) -> None:
    """A small proof of work keeps tests fast; the rules are the same."""
    monkeypatch.setattr(conf, "POW_MAXNUMBER", 300)
