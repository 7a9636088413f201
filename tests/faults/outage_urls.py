"""A test-only URLconf for the two cases no real view shows on demand."""

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.urls import path


def remember_choice(request: HttpRequest) -> HttpResponse:
    """Runs no query itself: its session is saved by SessionMiddleware after the view returns."""
    request.session["choice"] = "video"
    return HttpResponse("remembered")


async def lost_connection(request: HttpRequest) -> HttpResponse:
    """An async view whose database connection dropped (what psycopg raises on a restart)."""
    raise OperationalError("server closed the connection unexpectedly")


urlpatterns = [
    path("remember/", remember_choice),
    path("async-lost/", lost_connection),
]
