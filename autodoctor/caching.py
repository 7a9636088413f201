"""Cache headers for live data."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse

NO_STORE = "private, no-store"


def no_store(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For the live polls: never stored by a browser or a proxy. One constant header; Django's
    never_cache also formats an Expires date and parses Cache-Control on every response, which
    showed in the benchmark of the two-second poll."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Cache-Control"] = NO_STORE
        return response

    return wrapped
