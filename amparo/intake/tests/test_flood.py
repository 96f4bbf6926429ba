"""The form stays open under a flood: the price of a report grows with the load, nobody is shut out.

A sender who solves proofs of work as fast as she can makes every new challenge dearer (for her
too), a stockpile she solved while the form was quiet is sent back to be solved again at the
current price, and every other person's report is still accepted: there is no budget to fill.
"""

from __future__ import annotations

import pytest

from amparo.intake import abuse, conf
from amparo.intake.lib import pow
from amparo.intake.models import Report
from amparo.intake.tests.helpers import form_data, page_fields, solve, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_quickly(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every 2 reports double the price, up to 8 times the base work.
    monkeypatch.setattr(conf, "POW_BUSY_THRESHOLD", 2)
    monkeypatch.setattr(conf, "POW_MAX_MULTIPLIER", 8)
    monkeypatch.setattr(conf, "POW_PRICE_GRACE", 2)


def test_the_price_doubles_with_the_load_up_to_a_ceiling(busy_quickly) -> None:
    assert [abuse.price_for_load(load) for load in (0, 1.9, 2, 4, 6, 8, 500, 10**9)] == [1, 1, 2, 4, 8, 8, 8, 8]


def test_challenges_get_dearer_while_many_reports_arrive(personas, client, busy_quickly) -> None:
    org = personas.org
    assert abuse.pow_maxnumber(org) == conf.POW_MAXNUMBER
    for _ in range(4):
        assert submit(client).status_code == 201
    assert abuse.pow_price(org) == 4
    _token, challenge = page_fields(client.get("/r/lima/").content)
    assert challenge["maxnumber"] == conf.POW_MAXNUMBER * 4
    assert "cost=4" in challenge["salt"]  # the price travels inside the signed challenge
    # Another organisation's price is its own.
    assert abuse.pow_price(personas.other_org) == 1


def test_a_flood_never_shuts_the_form_for_the_next_person(personas, client, busy_quickly) -> None:
    for _ in range(12):
        assert submit(client).status_code == 201
    # Someone else, after the flood, at the current (highest) price: accepted.
    response = submit(client, narrative="Una persona cualquiera después de la avalancha.")
    assert response.status_code == 201
    assert Report.objects.count() == 13


def test_a_stockpile_solved_while_quiet_must_be_solved_again_at_the_current_price(personas, client, busy_quickly) -> None:
    stockpile = []
    for _ in range(2):
        token, challenge = page_fields(client.get("/r/lima/").content)
        stockpile.append((token, solve(challenge)))
    for _ in range(6):
        submit(client)
    assert abuse.pow_price(personas.org) == 8
    token, cheap = stockpile[0]
    refused = client.post("/r/lima/", form_data(token=token, pow=cheap, narrative="Guardado de antes"))
    assert refused.status_code == 409
    assert "Guardado de antes" in refused.content.decode()  # the text is kept
    _token, fresh = page_fields(refused.content)
    assert fresh["maxnumber"] == conf.POW_MAXNUMBER * 8
    # The person's phone solves the new challenge and she presses Send again: accepted.
    again = client.post("/r/lima/", form_data(token=token, pow=solve(fresh), narrative="Guardado de antes"))
    assert again.status_code == 201
    assert Report.objects.filter(status=Report.Status.NEW).count() == 7


def test_a_page_loaded_just_before_a_rush_still_sends(personas, client, busy_quickly) -> None:
    token, challenge = page_fields(client.get("/r/lima/").content)
    for _ in range(2):
        submit(client)
    assert abuse.pow_price(personas.org) == 2  # within the grace: half price is still accepted
    assert client.post("/r/lima/", form_data(token=token, pow=solve(challenge))).status_code == 201


def test_the_api_answers_challenge_outdated_for_a_cheap_solution(personas, client, busy_quickly) -> None:
    cheap = client.get("/api/v1/public/r/lima/challenge").json()
    cheap_solution = solve(cheap)
    for _ in range(6):
        submit(client)
    body = {
        "pow": cheap_solution, "violations": ["physical_assault"], "occurred_on": "2025-06-02", "department": "15",
        "district": "", "perpetrators": ["serenazgo"], "narrative": "Desde una app aliada.", "reporter": "victim",
        "consent_store": True,
    }
    response = client.post("/api/v1/public/r/lima/reports", body, content_type="application/json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "challenge_outdated"
    fresh = client.get("/api/v1/public/r/lima/challenge").json()
    assert fresh["maxnumber"] == conf.POW_MAXNUMBER * 8
    body["pow"] = solve(fresh)
    assert client.post("/api/v1/public/r/lima/reports", body, content_type="application/json").status_code == 201


def test_the_price_falls_smoothly_after_the_window(personas, client, busy_quickly, monkeypatch) -> None:
    import time as real_time

    window = conf.RATE_WINDOW_SECONDS
    start = (int(real_time.time()) // window + 1) * window  # the start of a fresh window
    clock = {"now": float(start + 1)}
    monkeypatch.setattr(abuse.time, "time", lambda: clock["now"])
    for _ in range(8):
        submit(client)
    assert abuse.pow_price(personas.org) == 8
    clock["now"] = start + window + window / 2  # half of the next window gone: half the load remains
    assert abuse.pow_load(personas.org) == pytest.approx(4, abs=0.1)
    assert abuse.pow_price(personas.org) == 4
    clock["now"] = start + 2 * window + 1
    assert abuse.pow_price(personas.org) == 1


def test_a_forged_price_is_a_forged_challenge() -> None:
    key = b"k" * 32
    challenge = pow.create_challenge(key=key, scope="o1", maxnumber=100, ttl_seconds=60, cost=8)
    number = pow.solve(challenge=challenge.challenge, salt=challenge.salt, maxnumber=100)
    assert pow.verify(pow.solution_payload(challenge, number), key=key, scope="o1").cost == 8
    forged = dict(challenge.as_dict(), salt=challenge.salt.replace("cost=8", "cost=64"))
    with pytest.raises(pow.PowError):
        pow.verify(pow.solution_payload(forged, number), key=key, scope="o1")
