"""The call's signalling: thin JSON views (CSRF-protected, signed-in participants only).

GET  /calls/<id>/config/               ICE servers (with this user's TURN credentials), polite or
                                       not, and the signal id a fresh page starts after.
GET  /calls/<id>/signals/?after=<id>   the signals for me newer than <id> (the page asks when the
                                       live stream hints "signal", or every second while it is down)
POST /calls/<id>/signals/              kind, peer, payload (JSON): 201 {"id"}
Errors are {"error", "detail"} with 404 (not a participant), 409 (the call is not open),
400 (a bad signal) or 429 (too many)."""

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET, require_http_methods

from autodoctor.caching import no_store
from autodoctor.errors import DomainError
from sessions_app.models import Session

from .access import call_session
from .forms import SignalForm, first_error
from .models import SignalKind
from .selectors import call_config, signals_after
from .services import signal_send


class CallRequest(HttpRequest):
    user: User


def _refused(exc: DomainError) -> JsonResponse:
    response = JsonResponse(exc.as_dict(), status=exc.http_status)
    if exc.retry_after:
        response["Retry-After"] = str(exc.retry_after)
    return response


@require_GET
@no_store
@login_required
def config(request: CallRequest, session_id: int) -> JsonResponse:
    try:
        session, role = call_session(request, session_id)
    except DomainError as exc:
        return _refused(exc)
    return JsonResponse(call_config(session=session, user=request.user, role=role).as_dict())


@require_http_methods(["GET", "POST"])
@no_store
@login_required
def signals(request: CallRequest, session_id: int) -> JsonResponse:
    try:
        session, _ = call_session(request, session_id)
        if request.method == "POST":
            return _send(request, session)
    except DomainError as exc:
        return _refused(exc)
    try:
        after = max(0, int(request.GET.get("after") or 0))
    except ValueError:
        after = 0
    found = signals_after(session=session, user=request.user, after=after)
    return JsonResponse(
        {
            "signals": [
                {"id": s.pk, "kind": s.kind, "peer": s.payload.get("peer"), "payload": s.payload.get("data")}
                for s in found
            ]
        }
    )


def _send(request: CallRequest, session: Session) -> JsonResponse:
    form = SignalForm(request.POST)
    if not form.is_valid():
        field, detail = first_error(form)
        return JsonResponse({"error": "invalid_input", "detail": detail, "field": field}, status=400)
    signal = signal_send(
        session=session,
        sender=request.user,
        kind=SignalKind(form.cleaned_data["kind"]),
        peer=form.cleaned_data["peer"],
        data=form.cleaned_data["payload"],
    )
    return JsonResponse({"id": signal.pk}, status=201)
