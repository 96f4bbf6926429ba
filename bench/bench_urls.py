"""Amparo's URLs plus /bench/empty/: the baseline every page is compared with, through the same middleware."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def empty(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"", content_type="text/plain")


urlpatterns = [
    path("bench/empty/", empty),
    path("", include("amparo.urls")),
]

handler400 = "amparo.web.views.bad_request"
handler403 = "amparo.web.views.permission_denied"
handler404 = "amparo.web.views.page_not_found"
handler500 = "amparo.web.views.server_error"
