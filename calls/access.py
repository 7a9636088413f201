"""The session a call view is about, for a signed-in participant."""

from django.contrib.auth.models import User
from django.http import Http404, HttpRequest

from autodoctor.errors import DomainError
from sessions_app.access import viewable_session
from sessions_app.models import Session

from .rules import call_party


def call_session(request: HttpRequest, session_id: int) -> tuple[Session, str]:
    """(session, role) for the session's customer or mechanic while its call is open. Anyone
    else: 404 (Http404). A session whose call is not open: DomainError (409)."""
    session = viewable_session(request, session_id)
    try:
        user = request.user
        if not isinstance(user, User):  # signed out: the views' @login_required comes first
            raise Http404
        role, _ = call_party(session=session, user=user)
    except DomainError as exc:
        if exc.code == "not_found":
            raise Http404 from exc
        raise
    return session, role
