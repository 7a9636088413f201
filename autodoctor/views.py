from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from .access import role_of

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
