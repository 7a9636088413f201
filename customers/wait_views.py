"""Ask before expiry, the customer's answers: Keep waiting / Cancel request from the banner, and
the email's signed link (a confirmation page; only its POST acts)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from autodoctor.access import customer_required
from autodoctor.errors import DomainError
from autodoctor.timezones import zone_of
from sessions_app.models import Session
from sessions_app.services import session_keep_waiting, session_wait_cancel
from sessions_app.wait_links import LinkExpired, LinkInvalid, wait_link_target

from . import selectors
from .views import SESSION_ENDED_EVENT, CustomerRequest, _banner_response, _customer

ANSWERS = ("keep", "cancel")
CANCELLED_TEXT = "Your request was cancelled. Anything you paid is refunded."


def _answer(session: Session, user: User, answer: str) -> tuple[str, str]:
    """Apply the customer's answer; (message, level tag) to show."""
    try:
        if answer == "keep":
            return session_keep_waiting(session=session, user=user).message, "success"
        session_wait_cancel(session=session, user=user)
        return CANCELLED_TEXT, "success"
    except DomainError as exc:
        return exc.detail, "error"


@require_POST
@customer_required
def session_wait_answer(request: CustomerRequest, session_id: int) -> HttpResponse:
    """The banner's Keep waiting / Cancel request (htmx: the new banner and a toast)."""
    customer = _customer(request)
    session = selectors.customer_session(customer=customer, session_id=session_id)
    answer = request.POST.get("answer", "")
    if session is None:
        raise Http404
    if answer not in ANSWERS:
        messages.error(request, "Choose Keep waiting or Cancel request.")
        return redirect("customer_dashboard")
    text, level = _answer(session, request.user, answer)
    if request.htmx:
        state = selectors.banner_state(customer=customer, session_key=request.session.session_key)
        response = _banner_response(request, state)
        trigger_client_event(response, "toast", {"message": text, "level": level})
        if state.active is None:
            trigger_client_event(response, SESSION_ENDED_EVENT, {"session_id": session.pk})
        return response
    messages.add_message(request, messages.ERROR if level == "error" else messages.SUCCESS, text)
    return redirect("customer_dashboard")


def _link_problem(request: HttpRequest, *, expired: bool) -> HttpResponse:
    return render(
        request, "customers/wait_link_problem.html", {"expired": expired}, status=410 if expired else 400
    )


@require_http_methods(["GET", "POST"])
def wait_link(request: HttpRequest, token: str) -> HttpResponse:
    """The email's signed link, for whoever holds it (signed in or not): GET shows the question
    with the session's state; POST (answer=keep|cancel) answers for the session's customer."""
    try:
        target = wait_link_target(token)
    except LinkExpired:
        return _link_problem(request, expired=True)
    except LinkInvalid:
        return _link_problem(request, expired=False)
    session = selectors.wait_link_session(session_id=target.session_id)
    if session is None or session.customer.user_id != target.customer_user_id:
        return _link_problem(request, expired=False)
    if request.method == "POST":
        answer = request.POST.get("answer", "")
        if answer in ANSWERS:
            with timezone.override(zone_of(session.customer.time_zone)):
                text, level = _answer(session, session.customer.user, answer)
        else:
            text, level = "Choose Keep waiting or Cancel request.", "error"
        messages.add_message(request, messages.ERROR if level == "error" else messages.SUCCESS, text)
        return redirect("customer_wait_link", token=token)
    with timezone.override(zone_of(session.customer.time_zone)):
        page = selectors.WaitLinkPage(
            session=session, token=token, keep_minutes=settings.KEEP_WAITING_MINUTES
        )
        return render(request, "customers/wait_link.html", {"page": page, "session": session})
