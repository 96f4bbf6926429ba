"""Every organisation's records are read through one scoped entry point."""

from __future__ import annotations

import re
from pathlib import Path

from django.apps import apps

from amparo.lib.scoping import OrganisationQuerySet

AMPARO = Path(__file__).resolve().parents[2]


def test_every_organisation_owned_model_reads_through_for_member():
    loose = []
    for model in apps.get_models():
        if not any(f.name == "organisation" for f in model._meta.concrete_fields):
            continue
        manager = model._default_manager
        if not isinstance(manager.all(), OrganisationQuerySet):
            loose.append(model._meta.label)
    assert loose == []


def test_no_view_selector_or_api_filters_by_organisation_inline():
    """`Model.objects.for_member(membership)`, not `.filter(organisation=...)` in each view."""
    inline = re.compile(r"(\.filter\(|get_object_or_404\()[^)]*\borganisation(_id)?=(request\.|membership\.)")
    found = []
    for path in AMPARO.glob("*/*.py"):
        if path.name in ("views.py", "public_views.py", "selectors.py", "api.py"):
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if inline.search(line):
                    found.append(f"{path.relative_to(AMPARO)}:{number}: {line.strip()}")
    assert found == []


def test_for_member_answers_404_for_another_organisations_row(personas):
    import pytest
    from django.http import Http404

    from amparo.accounts.models import Membership

    bruno = Membership.objects.get(user=personas.bruno)
    lima = personas.membership(personas.carla)
    assert Membership.objects.get_for_member(bruno, pk=bruno.pk) == bruno
    with pytest.raises(Http404):
        Membership.objects.get_for_member(lima, pk=bruno.pk)
    assert bruno not in Membership.objects.for_member(lima)
