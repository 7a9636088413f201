"""A database outage is answered 503 with Retry-After, never the 500 page; and the
Content-Security-Policy header, built once per policy instead of once per response.

When PostgreSQL restarts, fails over or refuses connections, the request did nothing wrong and
the same request will work in a few seconds: say so (503 + `Retry-After`), so browsers, htmx
(which swaps nothing on a 5xx), API clients and load balancers can tell "try again" from "bug".
Only connection-level errors count: `OperationalError` and `InterfaceError`. An
`IntegrityError`, `DataError` or `ProgrammingError` is a conflict or a bug and stays what it is.

Two ways in, because Django turns every exception into a response at each middleware layer:

- `process_exception` sees what a view (or its template) raises: the usual case, since the
  session and `request.user` load lazily inside the view. Answered here, logged as a warning.
- Anything below this middleware that fails outside the view (a session save in
  SessionMiddleware's response phase) reaches `__call__` as Django's 500 response. The
  `got_request_exception` receiver notes the outage on the request, and `__call__` swaps that
  500 for the 503. Django has logged it as an error by then; the client still gets the truth.

The answer never touches the database: the HTML page is rendered from a plain context (no
request, so no context processors, no user, no session).
"""

import logging
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csp import ContentSecurityPolicyMiddleware as DjangoCSPMiddleware
from django.middleware.csp import get_nonce
from django.template import loader
from django.utils import timezone
from django.utils.csp import CSP, build_policy
from django.utils.log import log_response

from autodoctor.access import customer_of, mechanic_of
from autodoctor.timezones import DEFAULT_TIME_ZONE, zone_of

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
OUTAGE_ERRORS = (OperationalError, InterfaceError)
API_PREFIX = "/api/"
UNAVAILABLE_DETAIL = "The service is briefly unavailable. Please try again in a few seconds."
# Set on the request by the signal receiver when Django is about to answer an outage with a 500.
OUTAGE_ATTRIBUTE = "_database_outage"


def wants_json(request: HttpRequest) -> bool:
    if request.path_info.startswith(API_PREFIX):
        return True
    return request.get_preferred_type(["text/html", "application/json"]) == "application/json"


def service_unavailable(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """The 503 for a database outage: JSON for the API and JSON clients, a static page otherwise."""
    response: HttpResponse
    if wants_json(request):
        response = JsonResponse({"error": "service_unavailable", "detail": UNAVAILABLE_DETAIL}, status=503)
    else:
        page = loader.get_template("503.html").render({"retry_after": RETRY_AFTER_SECONDS})
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    # An outage answer must not be kept by a browser or a proxy.
    response["Cache-Control"] = "no-store"
    # A warning, not an error: nothing to fix in the code. Logged once with the cause (no
    # traceback per request during an outage); log_response also keeps Django's request logger
    # from logging this 503 again as an error.
    log_response(
        "Database unavailable, answered 503: %s %s (%s: %s)",
        request.method,
        request.path,
        type(exc).__name__,
        str(exc).strip(),
        response=response,
        request=request,
        logger=logger,
        level="warning",
    )
    return response


@receiver(got_request_exception, dispatch_uid="autodoctor.middleware.note_outage")
def note_outage(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """Django sends this while it turns an uncaught exception into the 500 response (still
    inside the `except` block, so sys.exc_info() is that exception)."""
    exc = sys.exc_info()[1]
    if request is not None and isinstance(exc, OUTAGE_ERRORS):
        setattr(request, OUTAGE_ATTRIBUTE, exc)


class SyncAndAsyncMiddleware:
    """A middleware Django runs sync under gunicorn and async under uvicorn: an async view (the
    live streams) then passes it without a thread hop. Subclasses branch on `is_async`."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        raise NotImplementedError


class DatabaseOutageMiddleware(SyncAndAsyncMiddleware):
    """Place it early (right after SecurityMiddleware and whitenoise): everything below it is
    covered."""

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        if self.is_async:
            return self.__acall__(request)
        return self._replace_outage_500(request, self.get_response(request))

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        return self._replace_outage_500(request, await self.get_response(request))

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, OUTAGE_ERRORS):
            return service_unavailable(request, exception)
        return None

    def _replace_outage_500(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        exc = getattr(request, OUTAGE_ATTRIBUTE, None)
        if exc is not None and response.status_code == 500:
            return service_unavailable(request, exc)
        return response


# --- Content-Security-Policy -------------------------------------------------------------------

_built_policies: dict[int, tuple[Any, str]] = {}  # id(config) -> (config, header without a nonce)


def csp_header(config: Any, nonce: Any) -> str:
    """build_policy(config, nonce). A response that used its nonce (a page with a nonce'd
    script) gets it built with that nonce; every other response (the polls, partials, JSON, the
    streams) gets the same header, built once per process and config."""
    if nonce:  # a LazyNonce is true once it was generated for this response
        return build_policy(config, nonce)
    known = _built_policies.get(id(config))
    if known is not None and known[0] is config:
        return known[1]
    policy = build_policy(config, None)
    _built_policies[id(config)] = (config, policy)  # holds config, so its id stays its own
    return policy


class ContentSecurityPolicyMiddleware(DjangoCSPMiddleware):
    """Django's CSP middleware (same headers, same per-response overrides), with the header built
    once per policy: building it was a visible share of a trivial request (bench/dashboard.py)."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        nonce = get_nonce(request)
        sentinel = object()
        if (csp_config := getattr(response, "_csp_config", sentinel)) is sentinel:
            csp_config = settings.SECURE_CSP
        if (csp_ro_config := getattr(response, "_csp_ro_config", sentinel)) is sentinel:
            csp_ro_config = settings.SECURE_CSP_REPORT_ONLY
        for header, config in ((CSP.HEADER_ENFORCE, csp_config), (CSP.HEADER_REPORT_ONLY, csp_ro_config)):
            if config and header not in response:
                response.headers[str(header)] = csp_header(config, nonce)
        return response


# --- the signed-in user's time zone ------------------------------------------------------------

TIME_ZONE_SESSION_KEY = "_time_zone"  # the profile's zone name, remembered for this sign-in
PROFILE_RELATIONS = ("mechanic", "customer")  # user.<name>: the profiles that carry a time_zone


def _cached_profile_zone(user: Any) -> str | None:
    """The zone of a profile row this request has already loaded (user.mechanic / user.customer
    cached on the user by Django): no query."""
    for name in PROFILE_RELATIONS:
        try:
            relation = user._meta.get_field(name)  # user may be a SimpleLazyObject: ask its _meta
        except FieldDoesNotExist:
            continue
        if relation.is_cached(user):
            profile = relation.get_cached_value(user)
            if profile is not None:
                return str(profile.time_zone)
    return None


def user_time_zone_name(request: HttpRequest) -> str:
    """The signed-in user's zone name, as cheaply as it can be known: the profile row if the
    request already loaded it (its value wins: it is the newest), else the name remembered in the
    session, else one look-up of the profile (then remembered). Anonymous visitors and staff
    without a profile get UTC."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return DEFAULT_TIME_ZONE
    session = getattr(request, "session", None)
    remembered = session.get(TIME_ZONE_SESSION_KEY) if session is not None else None
    name = _cached_profile_zone(user)
    if name is not None:
        if remembered is not None and name != remembered and session is not None:
            session[TIME_ZONE_SESSION_KEY] = name  # changed since (a settings page): remember it
        return name
    if remembered is not None:
        return str(remembered)
    profile = mechanic_of(user) or customer_of(user)
    name = str(profile.time_zone) if profile is not None else DEFAULT_TIME_ZONE
    if session is not None:
        session[TIME_ZONE_SESSION_KEY] = name
    return name


class UserTimeZone(tzinfo):
    """The signed-in user's zone, looked up on first use. Activating it costs nothing: a poll that
    answers 204, or a page that renders no time, never asks; a page that does has, nearly always,
    loaded the user and their profile already (so no query either)."""

    def __init__(self, request: HttpRequest) -> None:
        self._request = request
        self._zone: ZoneInfo | None = None

    @property
    def zone(self) -> ZoneInfo:
        if self._zone is None:
            self._zone = zone_of(user_time_zone_name(self._request))
        return self._zone

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return self.zone.utcoffset(dt)

    def dst(self, dt: datetime | None) -> timedelta | None:
        return self.zone.dst(dt)

    def tzname(self, dt: datetime | None) -> str | None:
        return self.zone.tzname(dt)

    def fromutc(self, dt: datetime) -> datetime:
        # astimezone(self) lands here: the result carries the real ZoneInfo.
        return self.zone.fromutc(dt.replace(tzinfo=self.zone))

    def __str__(self) -> str:  # timezone.get_current_timezone_name()
        return self.zone.key

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        # A datetime made aware in this zone (a form's make_aware) pickles as the plain ZoneInfo,
        # never with the request inside.
        return (zone_of, (self.zone.key,))

    def __repr__(self) -> str:
        return f"UserTimeZone({self._zone!r})"


class TimeZoneMiddleware(SyncAndAsyncMiddleware):
    """Pages and partials render the signed-in user's local times (SPEC §7: users carry a time
    zone). After AuthenticationMiddleware. The zone is resolved lazily (UserTimeZone), so this
    adds no query to any request."""

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        if self.is_async:
            return self.__acall__(request)
        timezone.activate(UserTimeZone(request))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        timezone.activate(UserTimeZone(request))
        try:
            return await self.get_response(request)
        finally:
            timezone.deactivate()
