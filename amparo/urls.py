from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import include, path, re_path
from django.utils.translation import gettext as _
from django.views.i18n import set_language

from amparo.api import api


def api_not_found(request: HttpRequest) -> JsonResponse:
    """Unknown API routes answer in the API's one error shape, not with an HTML page."""
    return JsonResponse({"error": {"code": "not_found", "message": _("Not found."), "fields": {}}}, status=404)


urlpatterns = [
    path("i18n/setlang/", set_language, name="set_language"),
    path("cuenta/", include("amparo.accounts.urls")),
    path("api/v1/", api.urls),
    re_path(r"^api/", api_not_found),
    path("", include("amparo.records.urls")),  # /incidentes/, /personas/ (and old /casos/ redirects)
    path("lugares/", include("amparo.places.urls")),
    path("vocabularios/", include("amparo.vocab.urls")),
    path("auditoria/", include("amparo.audit.urls")),
    path("respuesta/", include("amparo.response.urls")),
    path("alertas-equipo/", include("amparo.alerts.urls")),
    # Public alert pages and the emergency form: under /alertas/ and /emergencia/ (anonymous prefixes).
    path("", include("amparo.alerts.public_urls")),
    path("estadisticas/", include("amparo.insights.urls")),
    path("programas/", include("amparo.programmes.urls")),
    path("informes/", include("amparo.reports.urls")),
    path("odk/", include("amparo.openrosa.urls")),
    path("", include("amparo.intake.urls")),
    path("", include("amparo.web.urls")),
]

handler400 = "amparo.web.views.bad_request"
handler403 = "amparo.web.views.permission_denied"
handler404 = "amparo.web.views.page_not_found"
handler500 = "amparo.web.views.server_error"
