"""Session rooms. (Placeholder until the customer-journey issue builds the full room.)"""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from .api import viewable_session


@login_required
def session_room(request: HttpRequest, session_id: int, room_type: str) -> HttpResponse:
    session = viewable_session(request, session_id)
    if session.type != room_type:
        return redirect(session.get_absolute_url())
    if session is None:
        raise Http404
    return render(request, "sessions_app/room.html", {"session": session})
