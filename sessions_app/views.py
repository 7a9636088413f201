"""Session rooms (/chat|video|diagnostic/<id>/): status, participants, intake, chat, actions.

Only the session's customer, its mechanic and staff get in (404 for anyone else, via
viewable_session). The status and the chat poll cheaply: 204 when nothing is new, 286 (htmx's
stop-polling) once the session is over.
"""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling, trigger_client_event
from django_htmx.middleware import HtmxDetails

from autodoctor.access import mechanic_of
from autodoctor.caching import no_store
from autodoctor.errors import DomainError
from autodoctor.uploads import private_file_response
from mechanics.models import Mechanic

from .access import viewable_session
from .forms import AttachmentForm, CompleteForm, MessageForm, PresenceForm, RatingForm, first_error
from .models import Session, SessionAttachment
from .room_selectors import attachment_for_viewer, chat_lines, room_presence, room_state
from .selectors import session_version
from .services import (
    attachment_add,
    message_send,
    presence_update,
    rating_create,
    session_complete,
    session_release,
    session_start,
)
from .transitions import ACTIVE_STATUSES

STOP_POLLING = HttpResponseStopPolling.status_code


class RoomRequest(HttpRequest):
    """What the middleware and @login_required guarantee (for the type checker)."""

    htmx: HtmxDetails
    user: User


@require_GET
@login_required
def session_room(request: RoomRequest, session_id: int, room_type: str) -> HttpResponse:
    session = viewable_session(request, session_id)
    if session.type != room_type:
        return redirect(session.get_absolute_url())
    room = room_state(session=session, user=request.user)
    lines = chat_lines(session=session, user=request.user)
    presence = room_presence(session=session, user=request.user)
    # page_stream: the room's own stream (/live/session/<id>/) replaces the customer pages' one.
    context = {"room": room, "session": session, "lines": lines, "presence": presence, "page_stream": True}
    return render(request, "sessions_app/room.html", context)


@require_GET
@no_store  # a live poll: never stored by a browser or proxy
@login_required
def room_status(request: RoomRequest, session_id: int) -> HttpResponse:
    """The status panel's poll (?v=<session version>&s=<status>)."""
    session = viewable_session(request, session_id)
    if request.GET.get("v") == str(session_version(session_id=session.pk)):
        return HttpResponse(status=204)
    room = room_state(session=session, user=request.user, with_intake=False)  # the panel has no intake
    # The composer is swapped in too only when the status moved (?s=<status the page has>): events
    # that change no status (joined, left, a photo shared) must not wipe a message being typed.
    oob = request.GET.get("s") != session.status
    response = render(
        request, "sessions_app/room.html#status", {"room": room, "session": session, "oob": oob}
    )
    if room.is_over:
        response.status_code = STOP_POLLING
    return response


@require_http_methods(["GET", "POST"])
@no_store  # a live poll: never stored by a browser or proxy
@login_required
def room_messages(request: RoomRequest, session_id: int) -> HttpResponse:
    """GET ?after=<last id>: only newer messages (204 if none). POST: send one."""
    session = viewable_session(request, session_id)
    if request.method == "POST":
        return _send_message(request, session)
    try:
        after = max(0, int(request.GET.get("after") or 0))
    except ValueError:
        after = 0
    lines = chat_lines(session=session, user=request.user, after=after)
    if not lines:
        over = session.status not in ACTIVE_STATUSES
        return HttpResponse(status=STOP_POLLING if over else 204)
    return render(request, "sessions_app/room.html#chat-append", {"lines": lines, "session": session})


def _send_message(request: RoomRequest, session: Session) -> HttpResponse:
    form = MessageForm(request.POST)
    error, retry_after = "", None
    if form.is_valid():
        try:
            message_send(session=session, sender=request.user, body=form.cleaned_data["body"])
        except DomainError as exc:
            error, retry_after = exc.detail, exc.retry_after
    else:
        error = first_error(form)
    if request.htmx:
        if retry_after:  # rate limited: 429 with when to try again (the toast still shows)
            response = HttpResponse(status=429, headers={"Retry-After": str(retry_after)})
        else:
            response = HttpResponse(status=204)
        if error:
            return trigger_client_event(response, "toast", {"message": error, "level": "error"})
        return trigger_client_event(response, "chat-refresh")
    if error:
        messages.error(request, error)
    return redirect(session.get_absolute_url() + "#chat")


# --- photos and clips, presence --------------------------------------------------------------


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _refusal(request: RoomRequest, session: Session, code: str, detail: str, status: int) -> HttpResponse:
    """A refused upload: JSON {"error","detail"} for scripts, a toast for htmx, a message otherwise."""
    if _wants_json(request):
        return JsonResponse({"error": code, "detail": detail}, status=status)
    if request.htmx:
        return trigger_client_event(
            HttpResponse(status=status), "toast", {"message": detail, "level": "error"}
        )
    messages.error(request, detail)
    return redirect(session.get_absolute_url() + "#chat")


@require_POST
@no_store
@login_required
def room_attachments(request: RoomRequest, session_id: int) -> HttpResponse:
    """POST multipart `file` (and `source=snapshot` from the call's snapshot button): share a
    photo or clip in the chat. 201 with JSON (Accept: application/json; room.js, the snapshot) or
    with a chat-refresh trigger (htmx); a plain form post is redirected back to the room."""
    session = viewable_session(request, session_id)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        return _refusal(request, session, "invalid_input", first_error(form), 400)
    try:
        attachment = attachment_add(
            session=session,
            uploader=request.user,
            upload=form.cleaned_data["file"],
            source=form.cleaned_data["source"],
        )
    except DomainError as exc:
        if exc.code == "not_found":
            raise Http404 from exc
        response = _refusal(request, session, exc.code, exc.detail, exc.http_status)
        if exc.retry_after:
            response["Retry-After"] = str(exc.retry_after)
        return response
    if _wants_json(request):
        return JsonResponse(_attachment_json(attachment), status=201)
    if request.htmx:  # the chat poll fetches the new line (in order, never twice)
        return trigger_client_event(HttpResponse(status=201), "chat-refresh")
    return redirect(session.get_absolute_url() + "#chat")


def _attachment_json(attachment: SessionAttachment) -> dict[str, object]:
    return {
        "id": attachment.pk,
        "message_id": attachment.message_id,
        "kind": attachment.kind,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "original_name": attachment.original_name,
        "source": attachment.source,
        "url": reverse("room_attachment_file", args=[attachment.pk]),
        "thumbnail_url": reverse("room_attachment_thumbnail", args=[attachment.pk])
        if attachment.thumbnail
        else None,
    }


@require_GET
@login_required
def room_attachment_file(request: RoomRequest, attachment_id: int, thumbnail: bool = False) -> FileResponse:
    """A shared photo (inline) or clip (download), or its thumbnail, for the session's two people
    and staff only (404 for anyone else)."""
    attachment = attachment_for_viewer(user=request.user, attachment_id=attachment_id)
    if attachment is None:
        raise Http404
    if thumbnail:
        name = f"{attachment.original_name}.jpg"
        return private_file_response(
            attachment.thumbnail, content_type="image/jpeg", inline=True, filename=name
        )
    return private_file_response(
        attachment.file,
        content_type=attachment.content_type,
        inline=attachment.is_image,
        filename=attachment.original_name,
    )


@require_POST
@no_store
@login_required
def room_presence_update(request: RoomRequest, session_id: int) -> HttpResponse:
    """POST state=join|beat|leave (room.js: page load, every 25 s, pagehide via sendBeacon).
    Answers with where the other side is (the #presence partial)."""
    session = viewable_session(request, session_id)
    form = PresenceForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"error": "invalid_input", "detail": first_error(form)}, status=400)
    try:
        presence_update(session=session, user=request.user, state=form.cleaned_data["state"])
    except DomainError as exc:
        if exc.code == "not_found":
            raise Http404 from exc
        return JsonResponse(exc.as_dict(), status=exc.http_status)
    if form.cleaned_data["state"] == "leave":
        return HttpResponse(status=204)
    presence = room_presence(session=session, user=request.user)
    return render(request, "sessions_app/room.html#presence", {"presence": presence, "session": session})


# --- actions: the mechanic's start / complete / release, the customer's rating ---------------


def _mechanic_action(
    request: RoomRequest, session_id: int, act: Callable[[Session, Mechanic], Session], done: str
) -> HttpResponse:
    session = viewable_session(request, session_id)
    mechanic = mechanic_of(request.user)
    if mechanic is None or session.mechanic_id != mechanic.pk:
        raise Http404
    try:
        act(session, mechanic)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, done)
    return redirect(session.get_absolute_url())


@require_POST
@login_required
def room_start(request: RoomRequest, session_id: int) -> HttpResponse:
    return _mechanic_action(
        request,
        session_id,
        lambda s, m: session_start(session=s, mechanic=m),
        "You are live. The customer can see it.",
    )


@require_POST
@login_required
def room_release(request: RoomRequest, session_id: int) -> HttpResponse:
    return _mechanic_action(
        request,
        session_id,
        lambda s, m: session_release(session=s, mechanic=m),
        "Released: the request is back in the queue at its original place.",
    )


@require_POST
@login_required
def room_complete(request: RoomRequest, session_id: int) -> HttpResponse:
    form = CompleteForm(request.POST)
    if not form.is_valid():
        session = viewable_session(request, session_id)
        messages.error(request, first_error(form))
        return redirect(session.get_absolute_url())
    summary = form.cleaned_data["summary"]
    return _mechanic_action(
        request,
        session_id,
        lambda s, m: session_complete(session=s, mechanic=m, summary=summary),
        "Session completed. The customer has your summary.",
    )


@require_POST
@login_required
def room_rate(request: RoomRequest, session_id: int) -> HttpResponse:
    """The customer rates a completed session, once."""
    session = viewable_session(request, session_id)
    form = RatingForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return redirect(session.get_absolute_url())
    try:
        rating_create(
            session=session,
            user=request.user,
            stars=form.cleaned_data["stars"],
            comment=form.cleaned_data["comment"],
        )
    except DomainError as exc:
        if exc.code == "not_found":
            raise Http404 from exc
        messages.error(request, exc.detail)
    else:
        messages.success(request, "Thank you for rating your session!")
    return redirect(session.get_absolute_url())
