"""Every Response page: sign-in and two-factor, role, other organisations, bad input — and both languages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from amparo.response import services
from amparo.response.models import CaseRoute, Deadline, LegalCase, Referral, SecurityRecord, Service
from amparo.response.tests.factories import (
    PDF,
    incident_with_person,
    local_service,
    move,
    open_case,
    refer,
)
from conftest import login, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(personas):
    incident, person = incident_with_person(personas)
    referral = move(personas, refer(personas, incident), "sent")
    case = open_case(personas, [incident])
    m = personas.membership(personas.carla)
    route = services.case_route_start(case=case, membership=m, acting_user=personas.carla, route="criminal", stage="complaint_police")
    deadline = services.deadline_add(case=case, membership=m, acting_user=personas.carla, title="Apelar", due_at=timezone.now() + timedelta(days=1))
    document = services.case_document_add(case=case, membership=m, acting_user=personas.carla,
                                          uploaded=__import__("django.core.files.uploadedfile", fromlist=["x"]).SimpleUploadedFile("a.pdf", PDF), kind="complaint")
    service = local_service(personas)
    person.is_defender = True
    person.save(update_fields=["is_defender"])
    security = services.security_record_create(membership=m, acting_user=personas.carla, incident=incident, defender=person,
                                               risk_level="high", assessment="Amenazas de la junta vecinal")
    return {"incident": incident, "person": person, "referral": referral, "case": case, "route": route,
            "deadline": deadline, "document": document, "service": service, "security": security}


def get_urls(w):
    c = w["case"].pk
    return [
        "/respuesta/tareas/", "/respuesta/directorio/", f"/respuesta/directorio/{w['service'].pk}/",
        "/respuesta/derivaciones/", f"/respuesta/derivaciones/{w['referral'].pk}/", f"/respuesta/derivaciones/{w['referral'].pk}/?mostrar=1",
        f"/respuesta/derivaciones/nueva/?incident={w['incident'].pk}", f"/respuesta/incidentes/{w['incident'].pk}/",
        "/respuesta/casos/", "/respuesta/casos/?vencidos=1", f"/respuesta/casos/{c}/", f"/respuesta/casos/{c}/?mostrar=1",
        f"/respuesta/casos/nuevo/?incident={w['incident'].pk}", f"/respuesta/casos/{c}/documentos/{w['document'].pk}/",
        "/respuesta/pendientes/", "/respuesta/seguridad/", f"/respuesta/seguridad/{w['security'].pk}/", "/respuesta/seguridad/nuevo/",
        "/respuesta/directorio/nuevo/", f"/respuesta/directorio/{w['service'].pk}/editar/",
    ]


def post_urls(w):
    c = w["case"].pk
    return [
        f"/respuesta/derivaciones/{w['referral'].pk}/estado/", f"/respuesta/derivaciones/{w['referral'].pk}/valoracion/",
        f"/respuesta/casos/{c}/rutas/", f"/respuesta/casos/{c}/rutas/{w['route'].pk}/etapa/", f"/respuesta/casos/{c}/eventos/",
        f"/respuesta/casos/{c}/audiencias/", f"/respuesta/casos/{c}/plazos/", f"/respuesta/casos/{c}/abogada/",
        f"/respuesta/casos/{c}/cerrar/", f"/respuesta/casos/{c}/documentos/", f"/respuesta/casos/{c}/paquete/",
        f"/respuesta/plazos/{w['deadline'].pk}/cumplido/", f"/respuesta/seguridad/{w['security'].pk}/medidas/",
        f"/respuesta/seguridad/{w['security'].pk}/actualizar/",
    ]


def test_every_page_requires_sign_in(world, client):
    for url in get_urls(world):
        response = client.get(url)
        assert response.status_code == 302 and "/cuenta/" in response["Location"], url
    for url in post_urls(world):
        assert client.post(url).status_code == 302, url


def test_a_password_without_the_second_factor_is_not_enough(personas, world, client):
    client.force_login(personas.carla)
    response = client.get("/respuesta/tareas/")
    assert response.status_code == 302 and "/cuenta/" in response["Location"]


def test_a_coordinator_opens_every_page(personas, world, client):
    login(client, personas.carla)
    for url in get_urls(world):
        assert client.get(url).status_code == 200, url


def test_another_organisation_gets_404_for_everything(personas, world, client):
    login(client, personas.bruno)
    client.post("/cuenta/confirmar/", {"password": "correct horse battery staple"})  # so the bundle route is reached
    for url in get_urls(world):
        if url.startswith(("/respuesta/tareas/", "/respuesta/directorio/", "/respuesta/derivaciones/", "/respuesta/casos/", "/respuesta/pendientes/", "/respuesta/seguridad/")) and url.count("/") <= 3:
            continue  # lists and forms of her own organisation
        if url.endswith("/nuevo/"):
            continue
        assert client.get(url).status_code == 404, url
    for url in post_urls(world):
        assert client.post(url, {"status": "accepted", "outcome": "conviction"}).status_code == 404, url
    assert LegalCase.objects.get(pk=world["case"].pk).status == "open"
    assert Referral.objects.get(pk=world["referral"].pk).status == "sent"
    assert world["service"].name not in client.get("/respuesta/directorio/").content.decode()


def test_lists_leave_out_other_organisations(personas, world, client):
    login(client, personas.bruno)
    assert world["case"].reference not in client.get("/respuesta/casos/").content.decode()
    assert f"#{world['referral'].pk}" not in client.get("/respuesta/derivaciones/").content.decode()


def test_analysts_see_only_the_directory(personas, world, client):
    login(client, personas.ana)
    assert client.get("/respuesta/directorio/").status_code == 200
    for url in ("/respuesta/tareas/", "/respuesta/casos/", "/respuesta/derivaciones/", f"/respuesta/casos/{world['case'].pk}/",
                "/respuesta/pendientes/", "/respuesta/seguridad/"):
        assert client.get(url).status_code == 403, url


def test_documenters_and_lawyers_do_not_see_security_records_or_organisation_lists(personas, world, client):
    for user in (personas.dora, personas.lucia):
        login(client, user)
        for url in ("/respuesta/seguridad/", f"/respuesta/seguridad/{world['security'].pk}/", "/respuesta/pendientes/", "/respuesta/directorio/nuevo/"):
            assert client.get(url).status_code == 403, (user, url)


def test_a_documenter_sees_referrals_and_cases_of_her_incidents_only(personas, world, client):
    login(client, personas.diana)
    assert client.get(f"/respuesta/casos/{world['case'].pk}/").status_code == 404
    assert client.get(f"/respuesta/derivaciones/{world['referral'].pk}/").status_code == 404
    login(client, personas.dora)
    assert client.get(f"/respuesta/casos/{world['case'].pk}/").status_code == 200


def test_action_urls_reject_get(personas, world, client):
    login(client, personas.carla)
    for url in post_urls(world):
        assert client.get(url).status_code == 405, url


def test_bad_input_is_answered_with_400_and_saves_nothing(personas, world, client):
    login(client, personas.carla)
    c = world["case"].pk
    before = (Deadline.objects.count(), CaseRoute.objects.count(), Referral.objects.count(), Service.objects.count())
    for url, data in [
        (f"/respuesta/casos/{c}/plazos/", {"title": "", "amount": "x"}),
        (f"/respuesta/casos/{c}/plazos/", {"title": "Apelar"}),
        (f"/respuesta/casos/{c}/rutas/", {"start": "criminal:trial"}),
        (f"/respuesta/casos/{c}/rutas/{world['route'].pk}/etapa/", {f"r{world['route'].pk}-stage": "sentence"}),
        (f"/respuesta/casos/{c}/audiencias/", {"scheduled_at": "mañana"}),
        (f"/respuesta/casos/{c}/eventos/", {"kind": "note", "occurred_at": "2999-01-01T10:00", "description": "x"}),
        (f"/respuesta/casos/{c}/documentos/", {"kind": "photo"}),
        (f"/respuesta/casos/{c}/cerrar/", {"outcome": "victory"}),
        (f"/respuesta/derivaciones/{world['referral'].pk}/estado/", {"status": "completed"}),
        (f"/respuesta/derivaciones/{world['referral'].pk}/valoracion/", {"rating": "11"}),
        (f"/respuesta/derivaciones/nueva/?incident={world['incident'].pk}", {"incident": world["incident"].pk, "target": "lawyer", "lawyer": str(personas.lucia.pk)}),
        ("/respuesta/directorio/nuevo/", {"kind": "spa", "name": ""}),
        (f"/respuesta/seguridad/{world['security'].pk}/medidas/", {"kind": "magic"}),
        ("/respuesta/seguridad/nuevo/", {"incident": "NOPE-1", "defender": str(world["person"].pk)}),
    ]:
        response = client.post(url, data)
        assert response.status_code == 400, (url, response.status_code)
    after = (Deadline.objects.count(), CaseRoute.objects.count(), Referral.objects.count(), Service.objects.count())
    assert before == after
    assert Referral.objects.get(pk=world["referral"].pk).status == "sent"


def test_the_referral_form_explains_the_missing_consent(personas, world, client):
    login(client, personas.carla)
    response = client.post(f"/respuesta/derivaciones/nueva/?incident={world['incident'].pk}", {
        "incident": world["incident"].pk, "target": "service", "service": str(world["service"].pk), "shares_identifying_data": "on",
    }, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "not consented" in response.content.decode()


def test_a_coordinator_takes_a_case_forward_by_pages(personas, world, client):
    login(client, personas.carla)
    c = world["case"].pk
    r = world["route"].pk
    assert client.post(f"/respuesta/casos/{c}/rutas/{r}/etapa/", {f"r{r}-stage": "preliminary", f"r{r}-note": "Carpeta 506"}).status_code == 303
    assert client.post(f"/respuesta/casos/{c}/plazos/", {"title": "Pedir copias", "amount": "5", "unit": "business_days"}).status_code == 303
    assert client.post(f"/respuesta/casos/{c}/audiencias/", {"scheduled_at": "2031-05-04T09:30", "purpose": "Declaración"}).status_code == 303
    assert client.post(f"/respuesta/casos/{c}/rutas/", {"start": "protection:requested", "forum": "Juzgado de Familia de Lima"}).status_code == 303
    body = client.get(f"/respuesta/casos/{c}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Preliminary investigation (carpeta fiscal)" in body and "Pedir copias" in body and "72 hours" in body


def test_the_directory_searches_by_region_need_and_community_flags(personas, world, client):
    services.service_create(membership=personas.membership(personas.carla), acting_user=personas.carla, kind="legal_aid",
                            name="Abogada aliada Lince", needs=["legal_aid"], trans_friendly=True,
                            department=__import__("amparo.places.models", fromlist=["x"]).Department.objects.get(code="15"))
    login(client, personas.dora)
    body = client.get("/respuesta/directorio/?department=15&need=legal_aid").content.decode()
    assert "Abogada aliada Lince" in body and "Defensa Pública" in body  # national services match every region
    assert "CERITS Alberto Barton" not in body
    body = client.get("/respuesta/directorio/?trans_friendly=on").content.decode()
    assert "Abogada aliada Lince" in body and "Línea 100 (MIMP" not in body
    body = client.get("/respuesta/directorio/?department=04&need=legal_aid").content.decode()
    assert "Abogada aliada Lince" not in body
    assert client.get("/respuesta/directorio/?department=99&need=nonsense").status_code == 400


def test_national_services_are_seeded_to_verify_with_their_sources(personas, client):
    national = Service.objects.filter(organisation__isnull=True)
    assert national.count() >= 10 and not national.exclude(verification="to_verify").exists()
    assert all(s.sources for s in national)
    login(client, personas.carla)
    linea = national.get(code="L100")
    body = client.get(f"/respuesta/directorio/{linea.pk}/").content.decode()
    assert "100" in body and "andina.pe" in body
    assert client.get(f"/respuesta/directorio/{linea.pk}/editar/").status_code == 403  # network admins only


@pytest.mark.parametrize(("language", "words"), [("es", ["Mis tareas", "Plazos"]), ("en", ["My tasks", "Deadlines"])])
def test_both_languages_render(personas, world, client, language, words):
    login(client, personas.carla)
    body = client.get("/respuesta/tareas/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    for word in words:
        assert word in body


def test_my_tasks_lists_deadlines_follow_ups_and_unanswered_referrals(personas, world, client):
    Referral.objects.filter(pk=world["referral"].pk).update(sent_at=timezone.now() - timedelta(days=30), follow_up_on=timezone.localdate())
    login(client, personas.carla)
    body = client.get("/respuesta/tareas/").content.decode()
    assert f"#{world['referral'].pk}" in body
    login(client, personas.lucia)
    body = client.get("/respuesta/tareas/").content.decode()
    assert "Apelar" in body  # the case deadline is the lawyer's


def test_the_overdue_page_shows_response_times(personas, world, client):
    move(personas, world["referral"], "accepted", "completed")
    Deadline.objects.filter(pk=world["deadline"].pk).update(due_at=timezone.now() - timedelta(days=1))
    login(client, personas.carla)
    body = client.get("/respuesta/pendientes/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Apelar" in body and "Incident → first action" in body


def test_security_records_need_a_defender_in_the_incident(personas, world):
    from django.core.exceptions import ValidationError

    stranger = make_person(personas.org, personas.dora, code_name="Ajena")
    with pytest.raises(ValidationError):
        services.security_record_create(membership=personas.membership(personas.carla), acting_user=personas.carla,
                                        incident=world["incident"], defender=stranger)
    record = SecurityRecord.objects.get()
    services.protective_measure_add(record=record, membership=personas.membership(personas.carla), acting_user=personas.carla,
                                    kind="accompaniment", description="Acompañamiento a la fiscalía")
    assert record.measures.count() == 1


def test_a_person_can_be_referred_without_an_incident(personas, client):
    person = make_person(personas.org, personas.dora, code_name="Sola")
    service = local_service(personas)
    login(client, personas.dora)
    assert "?persona=" in client.get(f"/personas/{person.pk}/").content.decode()
    response = client.post(f"/respuesta/derivaciones/nueva/?persona={person.pk}", {
        "persona": person.pk, "target": "service", "service": str(service.pk), "consent_given": "on",
        "consent_method": "phone", "shares_identifying_data": "on", "need": "hiv_sti",
    })
    assert response.status_code == 303
    referral = Referral.objects.get()
    assert referral.person == person and referral.incident is None and referral.created_by == personas.dora
