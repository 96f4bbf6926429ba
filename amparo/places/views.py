from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from amparo.accounts.decorators import role_required
from amparo.places.selectors import district_search


@role_required()
def district_search_view(request: HttpRequest) -> HttpResponse:
    """htmx fragment: districts matching what was typed (name, province or department)."""
    query = request.GET.get("district_q", request.GET.get("q", ""))[:80]
    department = request.GET.get("department", "")[:2]
    results = district_search(query=query, department_code=department) if len(query.strip()) >= 2 else []
    return render(request, "places/district_options.html", {"results": results, "query": query})
