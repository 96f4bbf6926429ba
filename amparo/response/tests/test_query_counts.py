"""List pages cost the same number of queries whatever the number of rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from amparo.response import services
from amparo.response.tests.factories import incident_with_person, move, open_case, refer
from conftest import login, organisation_keys_cached

pytestmark = pytest.mark.django_db

PAGES = ["/respuesta/casos/", "/respuesta/derivaciones/", "/respuesta/tareas/", "/respuesta/pendientes/", "/respuesta/directorio/"]


def add_rows(personas, n: int) -> None:
    m = personas.membership(personas.carla)
    for k in range(n):
        incident, _p = incident_with_person(personas, code_name=f"P{k}")
        referral = move(personas, refer(personas, incident, user=personas.carla), "sent")
        case = open_case(personas, [incident])
        services.deadline_add(case=case, membership=m, acting_user=personas.carla, title="Vencido",
                              due_at=timezone.now() - timedelta(hours=1), assigned_to=personas.carla)
        referral.follow_up_on = timezone.localdate()
        referral.save(update_fields=["follow_up_on"])


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_list_pages_do_not_grow_with_their_rows(personas, client, django_capture_on_commit_callbacks):
    add_rows(personas, 1)
    organisation_keys_cached()
    login(client, personas.carla)
    # Legal case titles are decrypted in lists. The vault caches an organisation key only once
    # its transaction commits, which a test transaction never does: run those callbacks once,
    # as production would after its first request, so only the rows are counted.
    with django_capture_on_commit_callbacks(execute=True):
        for url in PAGES:
            queries(client, url)
    few = {url: queries(client, url) for url in PAGES}
    add_rows(personas, 4)
    many = {url: queries(client, url) for url in PAGES}
    assert few == many
