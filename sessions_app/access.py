"""Who may see a session: the one check behind every room, poll and API read."""

from django.http import Http404, HttpRequest

from .models import Session
from .selectors import user_can_view_session


def viewable_session(request: HttpRequest, session_id: int) -> Session:
    """The session if this user may see it; 404 otherwise (never reveal that it exists)."""
    session = (
        Session.objects.select_related("plan", "customer__user", "mechanic__user", "intake")
        .filter(pk=session_id)
        .first()
    )
    if session is None or not user_can_view_session(user=request.user, session=session):
        raise Http404
    return session
