"""Report-form posters tied to a venue.

Carla (coordinator, Lima) prints a poster for "Sauna Azul": its QR code opens Lima's anonymous
report form with the venue's random token, and a report sent from it says which venue's poster
it came from, and nothing about who sent it. Counts of reports by venue are shown to planners
only, through small-cell suppression. Dora (documenter), Ana (analyst) and Lucía (lawyer) get
no posters; Bruno (Arequipa) gets a 404 for Lima's venues. A token that is unknown, renewed or
of a venue no longer in use still opens the form, and records no venue.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from amparo.audit.models import AuditEvent
from amparo.intake import conf as intake_conf
from amparo.intake.models import Report
from amparo.intake.tests.helpers import form_data, page_fields, solve
from amparo.programmes import selectors, services
from amparo.programmes.models import Venue
from amparo.programmes.tests.factories import make_venue
from amparo.reports.tests.pdf_text import pdf_text


@pytest.fixture(autouse=True)
def _quick_intake(monkeypatch):
    monkeypatch.setattr(intake_conf, "POW_MAXNUMBER", 300)


@pytest.fixture
def venue(personas):
    return make_venue(personas, "Sauna Azul")


def poster_token_of(client, venue) -> str:
    response = client.get(f"/programas/lugares/{venue.pk}/afiche.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    return re.search(r"/r/lima/\?p=([A-Za-z0-9_-]+)", pdf_text(response.content)).group(1)


def report_through(url: str, **overrides) -> object:
    """Scan the code, fill the form, send it: an anonymous browser, no account, no cookie."""
    browser = Client()
    page = browser.get(url)
    assert page.status_code == 200
    token, challenge = page_fields(page.content)
    poster = re.search(r'name="poster" value="([^"]*)"', page.content.decode()).group(1)
    return browser.post("/r/lima/", form_data(token=token, pow=solve(challenge), poster=poster, **overrides))


def test_a_report_sent_from_a_venue_poster_records_the_venue(personas, login_as, venue):
    token = poster_token_of(login_as(personas.carla), venue)
    assert token == Venue.objects.get(pk=venue.pk).poster_token
    # Opaque: neither the code name nor the id is in the code.
    assert "Sauna" not in token and token != str(venue.pk) and len(token) >= 16
    response = report_through(f"/r/lima/?p={token}")
    assert response.status_code == 201, response.content
    report = Report.objects.get(organisation=personas.org)
    assert report.venue == venue
    # The triage page says which venue's poster it came from.
    page = login_as(personas.carla).get(f"/triaje/{report.pk}/").content.decode()
    assert 'id="poster-venue">Sauna Azul<' in page


def test_switching_the_form_to_english_keeps_the_poster(personas, login_as, venue):
    token = poster_token_of(login_as(personas.carla), venue)
    page = Client().get("/r/lima/", {"p": token}).content.decode()
    assert f'href="?lang=en&amp;p={token}"' in page
    response = report_through(f"/r/lima/?lang=en&p={token}", lang="en")
    assert response.status_code == 201 and Report.objects.get(organisation=personas.org).venue == venue


def test_the_form_without_a_poster_token_records_no_venue(personas, venue):
    assert report_through("/r/lima/").status_code == 201
    assert Report.objects.get(organisation=personas.org).venue is None


@pytest.mark.parametrize("token", ["unknown-token-123456", "x" * 40, "<script>alert(1)</script>", "", "short"])
def test_an_unknown_or_malformed_token_still_shows_the_form_and_records_no_venue(personas, venue, token):
    normal = Client().get("/r/lima/")
    page = Client().get("/r/lima/", {"p": token})
    assert page.status_code == 200 and "<script>alert" not in page.content.decode()
    # Nothing on the page tells a valid token from a wrong one.
    assert page.content.decode().count('name="poster"') == normal.content.decode().count('name="poster"') == 1
    assert report_through(f"/r/lima/?p={token}").status_code == 201
    assert Report.objects.get(organisation=personas.org).venue is None


def test_a_renewed_token_no_longer_names_the_venue(personas, login_as, venue):
    client = login_as(personas.carla)
    old = poster_token_of(client, venue)
    renewed = client.post(f"/programas/lugares/{venue.pk}/afiche/renovar/")
    assert renewed.status_code == 303
    new = Venue.objects.get(pk=venue.pk).poster_token
    assert new and new != old and poster_token_of(client, venue) == new
    assert AuditEvent.objects.filter(action="venue.poster_renewed").exists()
    assert report_through(f"/r/lima/?p={old}").status_code == 201
    assert Report.objects.get(organisation=personas.org).venue is None
    assert report_through(f"/r/lima/?p={new}").status_code == 201
    assert Report.objects.filter(organisation=personas.org, venue=venue).count() == 1


def test_a_venue_no_longer_in_use_records_no_venue(personas, login_as, venue):
    token = poster_token_of(login_as(personas.carla), venue)
    services.venue_update(venue=venue, membership=personas.membership(personas.carla), acting_user=personas.carla, is_active=False)
    assert report_through(f"/r/lima/?p={token}").status_code == 201
    assert Report.objects.get(organisation=personas.org).venue is None


def test_another_organisations_venue_token_records_no_venue_on_limas_form(personas, login_as):
    from amparo.programmes.tests.factories import district

    other = services.venue_create(membership=personas.membership(personas.bruno, personas.other_org), acting_user=personas.bruno,
                                  code_name="Hotel Misti", kind="hotel", district=district("040101"))
    assert report_through(f"/r/lima/?p={other.poster_token}").status_code == 201
    assert Report.objects.get(organisation=personas.org).venue is None


def test_a_venue_created_before_posters_gets_its_token_on_first_print(personas, login_as, venue):
    Venue.objects.filter(pk=venue.pk).update(poster_token=None)
    token = poster_token_of(login_as(personas.carla), venue)
    assert Venue.objects.get(pk=venue.pk).poster_token == token
    assert AuditEvent.objects.filter(action="venue.poster_issued").count() == 1
    assert poster_token_of(login_as(personas.carla), venue) == token


def test_posters_and_qr_codes_are_for_planners(personas, login_as, venue):
    for who in (personas.carla, personas.alicia):
        client = login_as(who)
        assert client.get(f"/programas/lugares/{venue.pk}/afiche.pdf?size=a5").content.startswith(b"%PDF")
        png = client.get(f"/programas/lugares/{venue.pk}/qr.png")
        assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
        assert b"<svg" in client.get(f"/programas/lugares/{venue.pk}/qr.svg").content
        assert client.get(f"/programas/lugares/{venue.pk}/qr.gif").status_code == 404
    for who in (personas.dora, personas.ana, personas.lucia):
        client = login_as(who)
        assert client.get(f"/programas/lugares/{venue.pk}/afiche.pdf").status_code == 403
        assert client.get(f"/programas/lugares/{venue.pk}/qr.png").status_code == 403
        assert client.post(f"/programas/lugares/{venue.pk}/afiche/renovar/").status_code == 403
    assert Client().get(f"/programas/lugares/{venue.pk}/afiche.pdf").status_code == 302  # to sign-in


def test_another_organisations_planner_gets_404(personas, login_as, venue):
    client = login_as(personas.bruno)
    assert client.get(f"/programas/lugares/{venue.pk}/afiche.pdf").status_code == 404
    assert client.get(f"/programas/lugares/{venue.pk}/qr.png").status_code == 404
    assert client.post(f"/programas/lugares/{venue.pk}/afiche/renovar/").status_code == 404
    assert Venue.objects.get(pk=venue.pk).poster_token == venue.poster_token


def test_renewing_needs_a_post(personas, login_as, venue):
    assert login_as(personas.carla).get(f"/programas/lugares/{venue.pk}/afiche/renovar/").status_code == 405


def _reports_at(venue, n, status=Report.Status.NEW):
    for i in range(n):
        Report.objects.create(organisation=venue.organisation, receipt_index=f"{venue.pk}-{status}-{i}", passphrase_hash="x",
                              channel=Report.Channel.WEB, reporter=Report.Reporter.VICTIM, venue=venue, status=status)


def test_counts_by_venue_pass_small_cell_suppression(personas, login_as, venue):
    busy = make_venue(personas, "Hotel Sol", kind="hotel")
    quiet = make_venue(personas, "Bar Luna", kind="bar")
    _reports_at(busy, 12)
    _reports_at(venue, 7)
    _reports_at(quiet, 1)
    _reports_at(quiet, 9, status=Report.Status.SPAM)  # spam is not a report from the venue
    counts = selectors.poster_report_counts(membership=personas.membership(personas.carla))
    assert counts.by_venue[quiet.pk] == f"<{counts.threshold}"
    shown = [counts.by_venue[busy.pk], counts.by_venue[venue.pk], counts.total]
    # The small cell cannot be worked out by subtraction: another number is held back with it.
    assert "*" in shown and set(shown) - {"*"} <= {"12", "7", "20"}
    page = login_as(personas.carla).get("/programas/lugares/").content.decode()
    assert f'data-venue="{quiet.pk}">&lt;{counts.threshold}<' in page
    assert f'data-venue="{quiet.pk}">1<' not in page
    assert re.findall(r'data-venue="total">([^<]*)<', page) == [counts.total]


def test_only_planners_see_counts_by_venue(personas, login_as, venue):
    _reports_at(venue, 8)
    page = login_as(personas.dora).get("/programas/lugares/").content.decode()
    assert "Sauna Azul" in page and "data-venue" not in page and "afiche.pdf" not in page
    with pytest.raises(Exception) as refused:
        selectors.poster_report_counts(membership=personas.membership(personas.dora))
    assert type(refused.value).__name__ == "PermissionDenied"


def test_counts_are_scoped_to_the_organisation(personas, login_as, venue):
    from amparo.programmes.tests.factories import district

    other = services.venue_create(membership=personas.membership(personas.bruno, personas.other_org), acting_user=personas.bruno,
                                  code_name="Hotel Misti", kind="hotel", district=district("040101"))
    _reports_at(other, 30)
    counts = selectors.poster_report_counts(membership=personas.membership(personas.carla))
    assert set(counts.by_venue) == {venue.pk} and counts.by_venue[venue.pk] == "0"
