"""The two-second polls' "nothing changed" 204, answered before most of the middleware stack.

Every open dashboard and banner asks every two seconds (every thirty while its live stream is
up), and nearly every answer is "nothing changed". That answer reads no session, user, CSRF
token, message or template (sessions_app.live.UnchangedPoll), so this middleware gives it right
after the platform's own (request id, size limit, security, static files, database outage, API
errors) instead of after the session, CSRF, auth, messages, CSP, htmx and axes layers too. The
views keep the same check first (a deployment without this middleware answers the same), and
anything else falls through to them.

settings.UNCHANGED_POLLS maps a URL name to the dotted path of its UnchangedPoll; the paths are
reversed once, on the first request.
"""

from collections.abc import Awaitable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string

from autodoctor.caching import NO_STORE
from autodoctor.middleware import SyncAndAsyncMiddleware


class UnchangedPollMiddleware(SyncAndAsyncMiddleware):
    def __init__(self, get_response: Any) -> None:
        super().__init__(get_response)
        self._checks: dict[str, Any] | None = None

    def _check_for(self, request: HttpRequest) -> Any:
        if request.method != "GET":
            return None
        if self._checks is None:
            self._checks = {}
            for name, path in settings.UNCHANGED_POLLS.items():
                try:
                    self._checks[reverse(name)] = import_string(path)
                except NoReverseMatch:  # a URLconf without that poll (a test's own): nothing to answer
                    continue
        return self._checks.get(request.path_info)

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        if self.is_async:
            return self.__acall__(request)
        check = self._check_for(request)
        if check is not None and check(request):
            return _unchanged()
        return self.get_response(request)

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        # Under uvicorn the polls take the views' own path (the check reads the database).
        return await self.get_response(request)


def _unchanged() -> HttpResponse:
    response = HttpResponse(status=204)
    response["Cache-Control"] = NO_STORE
    return response
