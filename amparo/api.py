"""The JSON API under /api/v1: token authentication, one error shape, routers from each app.

Every error body is {"error": {"code": ..., "message": ..., "fields": {...}}}.
"""

from __future__ import annotations

import logging
from typing import Any, get_args

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.schema import OpenAPISchema
from ninja.security import HttpBearer
from pydantic_core.core_schema import ErrorType

from amparo.accounts.models import Membership
from amparo.lib.errors import Conflict

logger = logging.getLogger("django.request")


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Membership | None:
        from amparo.accounts.selectors import api_token_authenticate

        membership = api_token_authenticate(raw_token=token)
        if membership is not None:
            request.membership = membership  # type: ignore[attr-defined]
            request.organisation = membership.organisation  # type: ignore[attr-defined]
            request.user = membership.user
        return membership


class ApiError(Exception):
    """Raise from services or endpoints to answer with a given status and code."""

    def __init__(self, status: int, code: str, message: str, fields: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or {}


class ErrorBody(Schema):
    code: str
    message: str
    fields: dict[str, list[str]]


class ErrorOut(Schema):
    """The one error body, for endpoints to declare in their responses (and so in the OpenAPI schema)."""

    error: ErrorBody


# Every status an operation may answer besides its own, documented with the one error body.
# A word on each, in the OpenAPI schema.
_COMMON_ERRORS = {
    "400": "The request is malformed (the body is not JSON, a filter is not valid).",
    "403": "Refused: the token's role does not allow this; on public routes, the form is closed or the receipt and passphrase do not match.",
    "404": "Not found, or not yours: the same answer for both.",
    "413": "The request body is too large.",
    "422": "Some fields are not valid; `fields` says which and why.",
    "429": "Too many requests; try again in a few minutes.",
    "500": "An unexpected error on the server, in the same shape.",
}
_TOKEN_ERRORS = {
    "401": "A valid API token is required.",
}
_WRITE_ERRORS = {
    "409": "The action does not fit the record's current state (already closed, locked, …).",
    "415": "The body must be JSON (Content-Type: application/json).",
}


class AmparoAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI schema documents every error status in the one error shape."""

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        error_schema = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in error_schema.pop("$defs", {}).items():
            components.setdefault(name, definition)
        components.setdefault("ErrorOut", error_schema)
        error_ref = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
        for item in schema.get("paths", {}).values():
            for method, operation in item.items():
                codes = dict(_COMMON_ERRORS)
                if operation.get("security"):
                    codes.update(_TOKEN_ERRORS)
                if method in ("post", "put", "patch", "delete"):
                    codes.update(_WRITE_ERRORS)
                responses = operation.setdefault("responses", {})
                for code, description in sorted(codes.items()):
                    responses.setdefault(code, {"description": description, "content": error_ref})
        return schema


api = AmparoAPI(
    title="Amparo API",
    version="1",
    urls_namespace="api",
    auth=TokenAuth(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def error_response(request: HttpRequest, status: int, code: str, message: str, fields: dict | None = None) -> HttpResponse:
    return api.create_response(
        request, {"error": {"code": code, "message": str(message), "fields": fields or {}}}, status=status
    )


# Pydantic writes its messages in English; these say the same through gettext. Errors raised
# by our own validators (PydanticCustomError) are translated already and pass through; any other
# pydantic error gets a plain translated word rather than English.
_PYDANTIC_TYPES = frozenset(get_args(ErrorType))
_PYDANTIC_MESSAGES = {
    "missing": gettext_lazy("This field is required."),
    "extra_forbidden": gettext_lazy("Unknown field."),
    "string_type": gettext_lazy("Must be text."),
    "string_too_short": gettext_lazy("Too short: at least %(min_length)s characters."),
    "string_too_long": gettext_lazy("Too long: at most %(max_length)s characters."),
    "string_pattern_mismatch": gettext_lazy("Not in the expected format."),
    "int_type": gettext_lazy("Must be a whole number."),
    "int_parsing": gettext_lazy("Must be a whole number."),
    "int_from_float": gettext_lazy("Must be a whole number."),
    "bool_type": gettext_lazy("Must be true or false."),
    "bool_parsing": gettext_lazy("Must be true or false."),
    "greater_than_equal": gettext_lazy("Must be at least %(ge)s."),
    "less_than_equal": gettext_lazy("Must be at most %(le)s."),
    "enum": gettext_lazy("Not an allowed value; choose one of: %(expected)s."),
    "date_type": gettext_lazy("Not a valid date (YYYY-MM-DD)."),
    "date_parsing": gettext_lazy("Not a valid date (YYYY-MM-DD)."),
    "date_from_datetime_parsing": gettext_lazy("Not a valid date (YYYY-MM-DD)."),
    "date_from_datetime_inexact": gettext_lazy("Not a valid date (YYYY-MM-DD)."),
    "time_type": gettext_lazy("Not a valid time (HH:MM)."),
    "time_parsing": gettext_lazy("Not a valid time (HH:MM)."),
    "list_type": gettext_lazy("Must be a list."),
    "too_short": gettext_lazy("Give at least %(min_length)s."),
    "too_long": gettext_lazy("Give at most %(max_length)s."),
    "model_type": gettext_lazy("Must be a JSON object."),
    "model_attributes_type": gettext_lazy("Must be a JSON object."),
    "dict_type": gettext_lazy("Must be a JSON object."),
    "datetime_type": gettext_lazy("Not a valid date and time (YYYY-MM-DDTHH:MM:SS±HH:MM)."),
    "datetime_parsing": gettext_lazy("Not a valid date and time (YYYY-MM-DDTHH:MM:SS±HH:MM)."),
    "datetime_from_date_parsing": gettext_lazy("Not a valid date and time (YYYY-MM-DDTHH:MM:SS±HH:MM)."),
    "datetime_object_invalid": gettext_lazy("Not a valid date and time (YYYY-MM-DDTHH:MM:SS±HH:MM)."),
    "uuid_type": gettext_lazy("Not a valid identifier."),
    "uuid_parsing": gettext_lazy("Not a valid identifier."),
    "literal_error": gettext_lazy("Not an allowed value; choose one of: %(expected)s."),
    "float_type": gettext_lazy("Must be a number."),
    "float_parsing": gettext_lazy("Must be a number."),
    "string_unicode": gettext_lazy("Some characters could not be read or are not allowed. Please check the text and send it again."),
    "json_invalid": gettext_lazy("The request body is not valid JSON."),
}


def _message(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    template = _PYDANTIC_MESSAGES.get(kind)
    if template is None:
        return _("Not a valid value.") if kind in _PYDANTIC_TYPES else str(err.get("msg", _("Not a valid value.")))
    try:
        return str(template) % {k: v for k, v in (err.get("ctx") or {}).items()}
    except (KeyError, TypeError, ValueError):
        return str(err.get("msg", "invalid"))


def _fields_from_ninja(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for err in errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "query", "path", "payload", "form")]
        key = ".".join(loc) or "__all__"
        fields.setdefault(key, []).append(_message(err))
    return fields


@api.exception_handler(NinjaValidationError)
def _validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    return error_response(request, 422, "validation", _("Some fields are not valid."), _fields_from_ninja(exc.errors))


@api.exception_handler(DjangoValidationError)
def _django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return error_response(request, 422, "validation", _("Some fields are not valid."), fields)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(request, 401, "unauthenticated", _("A valid API token is required."))


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(request, 403, "forbidden", _("Your role does not allow this."))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(request, 404, "not_found", _("Not found."))


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found", 409: "conflict", 413: "too_large", 429: "rate_limited"}.get(exc.status_code, "error")
    message = str(exc)
    if message.startswith("Cannot parse request body"):  # Ninja's own words, in English
        message = _("The request body is not valid JSON.")
    return error_response(request, exc.status_code, code, message)


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Unhandled, Django would answer with its HTML 400 page (which also fails for token users).
    return error_response(request, 413, "too_large", _("What you sent is too large. Send fewer or smaller files."))


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Logged like Django's own 500s (the anonymous-route filter drops public callers' lines);
    # the caller gets the API's shape in its language, never the HTML error page.
    logger.error("Unexpected error in the API: %s", type(exc).__name__, exc_info=exc, extra={"request": request, "status_code": 500})
    return error_response(request, 500, "server_error", _("Something went wrong on our side. Please try again later; if it happens again, tell your organisation's administrator."))


@api.exception_handler(Conflict)
def _conflict(request: HttpRequest, exc: Conflict) -> HttpResponse:
    return error_response(request, 409, exc.code, exc.message)


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return error_response(request, exc.status, exc.code, exc.message, exc.fields)


def _register_routers() -> None:
    from amparo.alerts.api import router as alerts_router
    from amparo.insights.api import router as insights_router
    from amparo.intake.api import router as intake_router
    from amparo.openrosa.api import router as openrosa_router
    from amparo.places.api import router as places_router
    from amparo.programmes.api import router as programmes_router
    from amparo.records.api import router as records_router
    from amparo.response.api import router as response_router
    from amparo.vocab.api import router as vocab_router

    api.add_router("/places/", places_router, tags=["places"])
    api.add_router("/vocabularies/", vocab_router, tags=["vocabularies"])
    api.add_router("/", records_router, tags=["records"])
    api.add_router("/", intake_router, tags=["intake"])
    api.add_router("/", response_router, tags=["response"])
    api.add_router("/", alerts_router, tags=["alerts"])
    api.add_router("/", insights_router, tags=["insights"])
    api.add_router("/", openrosa_router, tags=["openrosa"])
    api.add_router("/", programmes_router, tags=["programmes"])


_register_routers()
