import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig
from django.db import Error as DjangoDatabaseError
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views import defaults
from django.views.decorators.http import require_GET, require_safe
from django_q.brokers import get_broker

from .access import role_of
from .caching import no_store
from .limits import too_large_response
from .middleware import RETRY_AFTER_SECONDS

logger = logging.getLogger(__name__)

HOMES = {"mechanic": "mechanic_dashboard", "customer": "customer_dashboard", "staff": "admin:index"}


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    return after_login(request)


@login_required
def after_login(request: HttpRequest) -> HttpResponse:
    """Where the login page sends everyone: each role to its own home."""
    role = role_of(request.user)
    if role is None:
        return redirect("customer_dashboard")
    return redirect(HOMES[role])


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness, for a process supervisor (never touches the database), and the benchmarks' baseline."""
    return HttpResponse("ok", content_type="text/plain")


def _database_check() -> str:
    try:
        # A connection the database dropped (restart, failover) is replaced, not reported.
        if connection.connection is not None and not connection.is_usable():
            connection.close()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DjangoDatabaseError as exc:  # any failure of the driver: not ready
        logger.warning("Readiness: database unreachable (%s: %s)", type(exc).__name__, str(exc).strip())
        return "unavailable"
    return "ok"


def _broker_check() -> str:
    try:
        get_broker().ping()
    except Exception as exc:  # any client error (connection, timeout, auth) means not ready
        logger.warning("Readiness: task broker unreachable (%s: %s)", type(exc).__name__, exc)
        return "unavailable"
    return "ok"


@require_safe  # GET or HEAD, whichever the load balancer sends
@no_store
def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness, for the load balancer: 503 while this process cannot reach the database (or
    the Redis broker, when REDIS_URL is set), so it leaves rotation until it can. Liveness is
    /healthz/, which never touches the database."""
    checks = {"database": _database_check()}
    if settings.REDIS_URL:  # the ORM broker is the database, already checked
        checks["broker"] = _broker_check()
    ready = all(result == "ok" for result in checks.values())
    response = JsonResponse(
        {"status": "ready" if ready else "unavailable", **checks}, status=200 if ready else 503
    )
    if not ready:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400: a form body over DATA_UPLOAD_MAX_MEMORY_SIZE is 413 with the limit in words."""
    if isinstance(exception, RequestDataTooBig):
        return too_large_response(request)
    return defaults.bad_request(request, exception or Exception())
