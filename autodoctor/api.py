"""The JSON API of SPEC §5: one NinjaAPI and one error shape. Each app's api module adds its
router; autodoctor/urls.py (the wiring, above every app) mounts them.

django-ninja because it gives typed request/response schemas and the OpenAPI document from the
same code (nothing to keep in sync by hand), runs as plain Django views (same cookie login and
CSRF as the pages) and stays function-based like the rest of the code.
"""

from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import django_auth

from autodoctor.errors import DomainError
from autodoctor.middleware import service_unavailable

api = NinjaAPI(
    title="Auto Doctor API",
    version="1.0",
    auth=django_auth,
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def error(request: HttpRequest, code: str, detail: str, status: int, **extra) -> HttpResponse:
    return api.create_response(request, {"error": code, "detail": detail, **extra}, status=status)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.http_status)


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error(request, "not_authenticated", "Sign in first.", 401)


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    return error(request, "invalid_input", "The request is not valid.", 400, errors=exc.errors)


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error(request, "not_found", "Not found, or not yours.", 404)


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return error(request, "error", str(exc), exc.status_code)


# Ninja re-raises unhandled errors to Django only when DEBUG is off (with DEBUG on it answers a
# 500 traceback itself): handled here so an outage is the same JSON 503 in every mode.
@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def on_database_outage(request: HttpRequest, exc: Exception) -> HttpResponse:
    return service_unavailable(request, exc)
