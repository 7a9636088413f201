from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views import defaults
from django.views.decorators.http import require_GET

from .access import role_of
from .limits import too_large_response

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
    """A trivial view: the load balancer's health check and the benchmarks' baseline."""
    return HttpResponse("ok", content_type="text/plain")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400: a form body over DATA_UPLOAD_MAX_MEMORY_SIZE is 413 with the limit in words."""
    if isinstance(exception, RequestDataTooBig):
        return too_large_response(request)
    return defaults.bad_request(request, exception or Exception())
