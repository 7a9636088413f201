"""The JSON API of SPEC §5: one NinjaAPI and one error shape. Each app's api module adds its
router; autodoctor/urls.py (the wiring, above every app) mounts them.

django-ninja because it gives typed request/response schemas and the OpenAPI document from the
same code (nothing to keep in sync by hand), runs as plain Django views (same cookie login and
CSRF as the pages) and stays function-based like the rest of the code.
"""

import json
import logging
from collections.abc import Awaitable
from typing import Any

from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.security import django_auth

from autodoctor.errors import DomainError
from autodoctor.middleware import SyncAndAsyncMiddleware, service_unavailable
from autodoctor.request_id import request_id_of
from autodoctor.text import unstorable_text_at

log = logging.getLogger(__name__)


class StrictJSONParser(Parser):
    """JSON bodies, refusing text no column can store: a NUL byte (PostgreSQL refuses it) or a
    lone surrogate (not UTF-8), anywhere in the body, keys included. The answer names the field."""

    def parse_body(self, request: HttpRequest) -> Any:
        try:
            body = request.body
        except RequestDataTooBig:
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
            raise DomainError("request_too_large", f"A JSON body can be at most {limit} MB.") from None
        data = json.loads(body)
        where = unstorable_text_at(data)
        if where is not None:
            raise DomainError(
                "invalid_input",
                f"{where or 'The request'} contains a character we cannot store (a NUL byte or "
                "broken Unicode). Remove it and send again.",
                field=where,
            )
        return data


api = NinjaAPI(
    title="Auto Doctor API",
    version="1.0",
    auth=django_auth,
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    parser=StrictJSONParser(),
)


class ErrorOut(Schema):
    """Every error answer of the API, whatever its status: a machine code and a sentence for a
    person, plus what helps the client act on it. Declared once; every router lists it."""

    error: str = Field(examples=["already_taken"], description="A machine code, e.g. `invalid_input`.")
    detail: str = Field(
        examples=["Another mechanic just took this request. The queue has been refreshed."],
        description="One sentence for a person.",
    )
    field: str | None = Field(None, description="400: the input at fault, e.g. `vehicle.make`.")
    errors: list[dict[str, Any]] | dict[str, list[str]] | None = Field(
        None, description="400: every problem found, by field."
    )
    session_url: str | None = Field(None, description="409: the session the conflict is about.")
    retry_after: int | None = Field(None, description="429: seconds to wait (also the Retry-After header).")
    request_id: str | None = Field(None, description="500: the id our log line carries; quote it to us.")


# What any POST may answer before its view runs: an unreadable body (400), a missing or wrong
# CSRF token (403), a body over the size limit (413).
BEFORE_A_POST = (400, 403, 413)


def error_responses(*statuses: int, post: bool = False) -> dict[int, type[ErrorOut]]:
    """`response=` entries for an operation's error answers, all in the one shape: the statuses
    given, those of any POST when `post`, and those of every operation: 401 (not signed in) and
    503 (database unreachable, with Retry-After)."""
    every = {401, 503, *statuses, *(BEFORE_A_POST if post else ())}
    return dict.fromkeys(sorted(every), ErrorOut)


def error(request: HttpRequest, code: str, detail: str, status: int, **extra: Any) -> HttpResponse:
    return api.create_response(request, {"error": code, "detail": detail, **extra}, status=status)


def form_error(request: HttpRequest, form: Form, *, fields: dict[str, str] | None = None) -> HttpResponse:
    """The same rules as the pages: a bound form's errors (`errors`, by the form's field names) as
    the API's 400, naming the first field by the API's name for it (`fields` maps the names)."""
    errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
    first, messages = next(iter(errors.items()))
    field = (fields or {}).get(first, first)
    detail = messages[0] if field == "__all__" else f"{field}: {messages[0]}"
    return error(request, "invalid_input", detail, 400, field=field, errors=errors)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    response = api.create_response(request, exc.as_dict(), status=exc.http_status)
    if exc.retry_after:
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error(request, "not_authenticated", "Sign in first.", 401)


def _field_of(problem: dict[str, Any]) -> str:
    """`vehicle.make` from pydantic's location (["body", "payload", "vehicle", "make"])."""
    loc = [str(part) for part in problem.get("loc", ())]
    while loc and loc[0] in ("body", "payload", "query", "path"):
        loc = loc[1:]
    return ".".join(loc)


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    field = _field_of(first)
    message = str(first.get("msg") or "is not valid")
    detail = f"{field}: {message}." if field else f"The request is not valid: {message}."
    return error(request, "invalid_input", detail, 400, field=field, errors=exc.errors)


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error(request, "not_found", "Not found, or not yours.", 404)


@api.exception_handler(RequestDataTooBig)
def on_body_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
    return error(request, "request_too_large", f"A JSON body can be at most {limit} MB.", 413)


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return error(request, "forbidden", "You may not do this.", 403)


@api.exception_handler(MultiPartParserError)
@api.exception_handler(SuspiciousOperation)
@api.exception_handler(BadRequest)
def on_unreadable_body(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A body Django cannot parse (a multipart type without a boundary, too many fields): the
    client's mistake, not ours. (The CSRF check reads a POST's form body before ninja does.)"""
    return error(
        request,
        "invalid_input",
        "The request body could not be read. Send JSON with Content-Type: application/json.",
        400,
    )


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, DomainError):  # refused by the parser
        return on_domain_error(request, exc.__cause__)
    if exc.status_code == 400:
        return error(request, "invalid_input", "The request body is not valid JSON.", 400)
    if exc.status_code == 403:  # ninja's session auth refuses a POST without the CSRF token
        detail = "The CSRF check failed: send the csrftoken cookie's value in the X-CSRFToken header."
        return error(request, "forbidden", detail, 403)
    return error(request, "error", str(exc), exc.status_code)


@api.exception_handler(Exception)
def on_unexpected_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    """Never an HTML page from the API: JSON 500 with the request id that the log line carries.
    (A database outage has its own handler below: 503, not 500.)"""
    request_id = request_id_of(request)
    log.exception("API error (request %s) on %s %s", request_id, request.method, request.path)
    detail = f"Something went wrong on our side; it is logged as {request_id}. Please try again."
    return error(request, "server_error", detail, 500, request_id=request_id)


# Ninja re-raises unhandled errors to Django only when DEBUG is off (with DEBUG on it answers a
# 500 traceback itself): handled here so an outage is the same JSON 503 in every mode.
@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def on_database_outage(request: HttpRequest, exc: Exception) -> HttpResponse:
    return service_unavailable(request, exc)


class ApiErrorShapeMiddleware(SyncAndAsyncMiddleware):
    """Unknown paths and wrong methods under /api/ answer in the API's one error shape
    (`{"error","detail"}`, JSON) instead of Django's HTML 404 page or ninja's plain-text 405:
    a client of the API never has to parse HTML. Everything else passes through untouched (and,
    under uvicorn, without a thread hop: the live streams go through here too)."""

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        if self.is_async:
            return self.__acall__(request)
        return self._shaped(request, self.get_response(request))

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        return self._shaped(request, await self.get_response(request))

    @staticmethod
    def _shaped(request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if response.status_code not in (404, 405) or not request.path_info.startswith("/api/"):
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response  # already an answer of ours (a 404 for a session you cannot see)
        if response.status_code == 405:
            allowed = response.get("Allow", "")
            shaped = error(
                request,
                "method_not_allowed",
                f"{request.method} is not accepted here. Allowed: {allowed or 'none'}.",
                405,
            )
            shaped["Allow"] = allowed
            return shaped
        return error(
            request,
            "not_found",
            f"There is no API endpoint at {request.path_info}. The endpoints are listed at /api/docs.",
            404,
        )
