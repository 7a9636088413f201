"""Every request gets an id: answered in `X-Request-ID` and named in the logs and in an error
answer, so a customer's "it said server_error ab12…" finds its log line.

Sync and async (under uvicorn an async stream view then needs no thread hop to pass it), and
cheap: the header is read from META (request.headers would build a dict of every header)."""

import re
import secrets
from collections.abc import Awaitable

from django.http import HttpRequest, HttpResponse

from autodoctor.middleware import SyncAndAsyncMiddleware

HEADER = "X-Request-ID"
_META_KEY = "HTTP_X_REQUEST_ID"
# A proxy's id is kept when it looks like one (no log injection through the header).
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def request_id_of(request: HttpRequest) -> str:
    return getattr(request, "request_id", "")


def _assign(request: HttpRequest) -> str:
    offered = request.META.get(_META_KEY, "")
    request_id = offered if offered and _ACCEPTABLE.match(offered) else secrets.token_hex(16)
    request.request_id = request_id  # type: ignore[attr-defined]
    return request_id


class RequestIdMiddleware(SyncAndAsyncMiddleware):
    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        if self.is_async:
            return self.__acall__(request)
        request_id = _assign(request)
        response = self.get_response(request)
        response[HEADER] = request_id
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        request_id = _assign(request)
        response = await self.get_response(request)
        response[HEADER] = request_id
        return response
