from __future__ import annotations

from django.urls import include, path
from django.views.i18n import set_language

from amparo.api import api

urlpatterns = [
    path("i18n/setlang/", set_language, name="set_language"),
    path("cuenta/", include("amparo.accounts.urls")),
    path("api/v1/", api.urls),
    path("casos/", include("amparo.records.urls")),
    path("lugares/", include("amparo.places.urls")),
    path("vocabularios/", include("amparo.vocab.urls")),
    path("auditoria/", include("amparo.audit.urls")),
    path("respuesta/", include("amparo.response.urls")),
    path("alertas-equipo/", include("amparo.alerts.urls")),
    path("estadisticas/", include("amparo.insights.urls")),
    path("odk/", include("amparo.openrosa.urls")),
    path("", include("amparo.intake.urls")),
    path("", include("amparo.web.urls")),
]

handler400 = "amparo.web.views.bad_request"
handler403 = "amparo.web.views.permission_denied"
handler404 = "amparo.web.views.page_not_found"
handler500 = "amparo.web.views.server_error"
