"""The event streams at /live/mechanic/, /live/customer/ and /live/session/<id>/ (SPEC §7).

Served by the ASGI process (autodoctor/asgi.py under uvicorn): async views that hold no
database connection while they stream. Each is authorised like the page it feeds: signed out is
sent to the login page, the wrong role gets 403, a session one may not see is 404. The checks
run once, in one thread hop that closes its connection before the stream starts.
"""

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.handlers.asgi import ASGIRequest
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_GET

from autodoctor.access import customer_of, mechanic_of

from .models import Session
from .selectors import state_version, user_can_view_session
from .streams import BROKER, CustomerViewer, MechanicViewer, SessionViewer, event_stream, parse_version
from .transitions import SessionStatus

Viewer = MechanicViewer | CustomerViewer | SessionViewer
CONNECT_WAIT_SECONDS = 5.0
DATABASE_GATE = 4  # connections a process's stream checks may hold at once


def _mechanic_viewer(user: Any) -> MechanicViewer:
    mechanic = mechanic_of(user)
    if mechanic is None:
        raise PermissionDenied
    held = Session.objects.working().for_mechanic(mechanic).values_list("pk", flat=True)
    return MechanicViewer(mechanic_id=mechanic.pk, workshop_id=mechanic.workshop_id, sessions=set(held))


def _customer_viewer_of(customer: Any) -> CustomerViewer:
    active = Session.objects.active().for_customer(customer).values_list("status", "workshop_id").first()
    return CustomerViewer(
        customer_id=customer.pk,
        pending=active is not None and active[0] == SessionStatus.PENDING,
        workshop_id=active[1] if active else customer.workshop_id,
    )


def _customer_viewer(user: Any) -> CustomerViewer:
    customer = customer_of(user)
    if customer is None:
        raise PermissionDenied
    return _customer_viewer_of(customer)


def _session_viewer(user: Any, session_id: int) -> SessionViewer:
    session = Session.objects.select_related("customer", "mechanic").filter(pk=session_id).first()
    if session is None or not user_can_view_session(user=user, session=session):
        raise Http404
    own = session.customer.user_id == user.pk
    return SessionViewer(
        session_id=session.pk,
        customer=_customer_viewer_of(session.customer) if own else None,
        user_id=user.pk,  # issue 11 (calls): signals reach only their recipient
    )


def _closing[T](read: Callable[[], T]) -> T:
    """Run a read, then close this thread's connection: a stream holds none while it waits."""
    try:
        return read()
    finally:
        connection.close()


def _authorised(request: HttpRequest, check: Callable[[Any], Viewer]) -> Viewer | None:
    """The viewer for the signed-in user (None: signed out). One thread, one connection, closed."""
    return _closing(lambda: check(request.user) if request.user.is_authenticated else None)


_gate: asyncio.Semaphore | None = None


def _database_gate() -> asyncio.Semaphore:
    """At most DATABASE_GATE streams of this process touch the database at once: after a deploy
    thousands of pages reconnect together, and each check needs a connection for a moment."""
    global _gate
    if _gate is None:
        _gate = asyncio.Semaphore(DATABASE_GATE)
    return _gate


async def _stream(request: HttpRequest, check: Callable[[Any], Viewer]) -> HttpResponseBase:
    if not isinstance(request, ASGIRequest):
        # A WSGI worker would be held forever by an endless stream. 204 tells EventSource not to
        # reconnect at once; the page keeps polling at its own pace (route /live/ to uvicorn).
        return HttpResponse(status=204)
    async with _database_gate():
        viewer = await sync_to_async(_authorised)(request, check)
    if viewer is None:
        return redirect_to_login(request.get_full_path())
    subscriber = await BROKER.subscribe(viewer.select)
    try:
        # The first stream of a process starts the LISTEN: read the version once it is
        # listening, so no change falls between the two (a database that is down: go on).
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(BROKER.connected.wait(), CONNECT_WAIT_SECONDS)
        async with _database_gate():
            version = await sync_to_async(_closing)(state_version)
    except BaseException:
        BROKER.unsubscribe(subscriber)
        raise
    since = parse_version(request.headers.get("Last-Event-ID"))
    if since is None:
        since = parse_version(request.GET.get("v"))
    response = StreamingHttpResponse(
        event_stream(subscriber, since=since, version=version), content_type="text/event-stream"
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx and friends: pass each event on at once
    return response


@require_GET
async def mechanic_stream(request: HttpRequest) -> HttpResponseBase:
    """The mechanic dashboard's stream: my work changed, the queue I can see changed."""
    return await _stream(request, _mechanic_viewer)


@require_GET
async def customer_stream(request: HttpRequest) -> HttpResponseBase:
    """The customer pages' stream (the banner): my session changed, my place in line changed."""
    return await _stream(request, _customer_viewer)


@require_GET
async def session_stream(request: HttpRequest, session_id: int) -> HttpResponseBase:
    """A session room's stream: its status and its chat."""
    return await _stream(request, lambda user: _session_viewer(user, session_id))
