"""The mechanic dashboard (SPEC §4): one page, its live panels, and the actions on it.

Every action is a plain form post that redirects with a message; under htmx the same view
answers with a toast and a `dashboard-changed` event so every panel refreshes at once.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event
from django_htmx.middleware import HtmxDetails

from autodoctor.access import mechanic_of, mechanic_required
from autodoctor.caching import no_store
from autodoctor.errors import DomainError
from sessions_app.forms import CompleteForm, first_error
from sessions_app.live import (
    PULSE_UNCHANGED,
    pulse_token_version,
    session_key_of,
)
from sessions_app.models import SessionAssignment
from sessions_app.selectors import state_version
from sessions_app.services import (
    session_accept,
    session_complete,
    session_force_end_all,
    session_release,
    session_start,
    transfer_accept,
    transfer_decline,
    transfer_offer,
    transfer_withdraw,
)
from sessions_app.transfer_selectors import transfer_for_mechanic
from sessions_app.transitions import TRANSITIONS

from .banner import BANNER_UNCHANGED, mechanic_banner
from .dashboard import MechanicDashboard, shared_queue_panel
from .forms import (
    AvailabilityForm,
    DashboardFilterForm,
    ExpertiseForm,
    ForceEndAllForm,
    MechanicSettingsForm,
    TransferDeclineForm,
    TransferOfferForm,
)
from .selectors import MechanicContext, dashboard_mechanic, own_sessions, request_for_mechanic
from .services import (
    mechanic_dismiss_tip,
    mechanic_set_availability,
    mechanic_update_expertise,
    mechanic_update_settings,
    request_viewed_record,
)
from .upcoming import UPCOMING_LIMIT, upcoming_for_mechanic

PANELS = ("stats", "offers", "active", "tabnav", "tablist")


class HtmxHttpRequest(HttpRequest):
    """What HtmxMiddleware adds, for the type checker."""

    htmx: HtmxDetails


def dashboard_mechanic_required[**P](
    view: Callable[Concatenate[HtmxHttpRequest, MechanicContext, P], HttpResponse],
) -> Callable[Concatenate[HtmxHttpRequest, P], HttpResponse]:
    """@mechanic_required for the dashboard reads: the profile arrives in the same query as its
    working count and the state version, and the view gets them as its second argument."""

    @wraps(view)
    def wrapped(request: HtmxHttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        context = dashboard_mechanic(user=request.user)
        if context is None:
            raise PermissionDenied
        request.user.mechanic = context.mechanic  # Django's cache of the relation: what mechanic_of() reads
        return view(request, context, *args, **kwargs)

    return wrapped


def _dashboard(
    request: HtmxHttpRequest, context: MechanicContext
) -> tuple[MechanicDashboard, DashboardFilterForm]:
    form = DashboardFilterForm(request.GET)
    dash = MechanicDashboard(
        context=context, filters=form.filters(), session_key=request.session.session_key or ""
    )
    return dash, form


def _after_action(
    request: HtmxHttpRequest, text: str, *, level: int = messages.SUCCESS, to: str = ""
) -> HttpResponse:
    """Plain post: message + redirect. htmx: a toast and `dashboard-changed` (or HX-Redirect)."""
    if request.htmx and not to:
        response = HttpResponse(status=204)
        trigger_client_event(response, "toast", {"message": text, "level": messages.DEFAULT_TAGS[level]})
        trigger_client_event(response, "session-changed")  # the banner, on the other mechanic pages
        return trigger_client_event(response, "dashboard-changed")
    messages.add_message(request, level, text)
    target = to or reverse("mechanic_dashboard")
    return HttpResponseClientRedirect(target) if request.htmx else redirect(target)


def _attempt(
    request: HtmxHttpRequest,
    action: Callable[[], object],
    success: str,
    *,
    level: int = messages.ERROR,
    missing_is_404: bool = False,
) -> HttpResponse:
    """Run a service call; a refusal becomes a message (at `level`), or a 404 for `not_found`
    when `missing_is_404` (a transfer offer that is not the caller's)."""
    try:
        action()
    except DomainError as exc:
        if missing_is_404 and exc.code == "not_found":
            raise Http404 from None
        return _after_action(request, exc.detail, level=level)
    return _after_action(request, success)


@require_GET
@dashboard_mechanic_required
def dashboard(request: HtmxHttpRequest, context: MechanicContext) -> HttpResponse:
    dash, form = _dashboard(request, context)
    return render(request, "mechanics/dashboard.html", {"dash": dash, "filter_form": form})


@require_GET
@no_store  # live data for one signed-in mechanic: never stored by a browser or proxy
def dashboard_panel(request: HtmxHttpRequest, panel: str) -> HttpResponse:
    """One panel of the dashboard, for htmx to swap in after a change. The unfiltered queue
    panel comes from the shared cache when the page brings a valid panel token (see
    dashboard.shared_queue_panel); everything else takes the checked path."""
    if panel == "tablist" and "pt" in request.GET:
        form = DashboardFilterForm(request.GET)
        shared = shared_queue_panel(
            session_key=session_key_of(request.COOKIES), token=request.GET["pt"], filters=form.filters()
        )
        if shared is not None:
            return render(request, "mechanics/dashboard.html#tablist", {"dash": shared, "filter_form": form})
    return _dashboard_panel_checked(request, panel)


@dashboard_mechanic_required
def _dashboard_panel_checked(request: HtmxHttpRequest, context: MechanicContext, panel: str) -> HttpResponse:
    if panel not in PANELS:
        raise Http404
    dash, form = _dashboard(request, context)
    return render(request, f"mechanics/dashboard.html#{panel}", {"dash": dash, "filter_form": form})


@require_GET
@no_store
def dashboard_pulse(request: HtmxHttpRequest) -> HttpResponse:
    """The 2-second poll. Nothing changed: 204 after at most one query, before loading session or
    user (see sessions_app.live.pulse_token; sessions_app.polls answers the same even earlier).
    Otherwise the checked path answers with a fresh token."""
    if PULSE_UNCHANGED(request):
        return HttpResponse(status=204)
    token = request.GET.get("v", "")
    return _dashboard_pulse_checked(
        request, known=pulse_token_version(session_key=session_key_of(request.COOKIES), token=token)
    )


@dashboard_mechanic_required
def _dashboard_pulse_checked(
    request: HtmxHttpRequest, context: MechanicContext, known: int | None
) -> HttpResponse:
    dash, _ = _dashboard(request, context)
    response = render(request, "mechanics/dashboard.html#pulse", {"dash": dash})
    if known != dash.version:
        # After the swap, so the panels that refresh read the new pulse's panel token.
        trigger_client_event(response, "dashboard-changed", after="swap")
    return response


@require_POST
@mechanic_required
def accept_assignment(request: HtmxHttpRequest, assignment_id: int) -> HttpResponse:
    """Claim a queued request and go to its room; a lost race or a full plate is a message."""
    assignment = get_object_or_404(SessionAssignment, pk=assignment_id)
    try:
        session = session_accept(assignment=assignment, mechanic=mechanic_of(request.user))
    except DomainError as exc:
        return _after_action(request, exc.detail, level=messages.WARNING)
    return _after_action(
        request, "You accepted the request. The customer has been told.", to=session.get_absolute_url()
    )


@require_POST
@mechanic_required
def start_session(request: HtmxHttpRequest, session_id: int) -> HttpResponse:
    mechanic = mechanic_of(request.user)
    session = get_object_or_404(own_sessions(mechanic=mechanic), pk=session_id)
    return _attempt(
        request, lambda: session_start(session=session, mechanic=mechanic), "Session started: you are live."
    )


@require_POST
@mechanic_required
def release_session(request: HtmxHttpRequest, session_id: int) -> HttpResponse:
    """ "Cancel / Unlock": the request goes back to the queue at its original place."""
    mechanic = mechanic_of(request.user)
    session = get_object_or_404(own_sessions(mechanic=mechanic), pk=session_id)
    return _attempt(
        request,
        lambda: session_release(session=session, mechanic=mechanic),
        "Released: the request is back in the queue at its original place.",
    )


@require_POST
@mechanic_required
def complete_session(request: HtmxHttpRequest, session_id: int) -> HttpResponse:
    mechanic = mechanic_of(request.user)
    session = get_object_or_404(own_sessions(mechanic=mechanic), pk=session_id)
    form = CompleteForm(request.POST)
    if not form.is_valid():
        return _after_action(request, first_error(form), level=messages.ERROR)
    summary = form.cleaned_data["summary"]
    return _attempt(
        request,
        lambda: session_complete(session=session, mechanic=mechanic, summary=summary),
        "Session completed. Its summary is in your Completed tab.",
    )


@require_http_methods(["GET", "POST"])
@mechanic_required
def force_end_all(request: HtmxHttpRequest) -> HttpResponse:
    """Emergency exit. GET is the confirmation page (without JavaScript); POST does it."""
    form = ForceEndAllForm(request.POST if request.method == "POST" else None)
    if request.method == "GET" or not form.is_valid():
        if request.htmx:
            return _after_action(request, "Tick the box to confirm.", level=messages.ERROR)
        return render(request, "mechanics/force_end_all.html", {"form": form})
    counts = session_force_end_all(mechanic=mechanic_of(request.user))
    text = f"Force-ended: {counts['released']} released to the queue, {counts['completed']} completed."
    return _after_action(request, text, level=messages.WARNING)


@require_POST
@mechanic_required
def set_availability(request: HtmxHttpRequest) -> HttpResponse:
    form = AvailabilityForm(request.POST)
    if not form.is_valid():
        return _after_action(request, "Choose Available or Away.", level=messages.ERROR)
    mechanic = mechanic_set_availability(
        mechanic=mechanic_of(request.user), available=form.cleaned_data["available"]
    )
    return _after_action(request, f"You are now {mechanic.get_availability_display()}.")


@require_GET
@mechanic_required
def session_intake(request: HtmxHttpRequest, session_id: int) -> HttpResponse:
    """The intake of one of this mechanic's sessions: a page, or the dialog body under htmx."""
    queryset = own_sessions(mechanic=mechanic_of(request.user)).prefetch_related("intake__attachments")
    session = get_object_or_404(queryset, pk=session_id)
    template = "mechanics/intake.html#intake" if request.htmx else "mechanics/intake.html"
    return render(request, template, {"session": session, "intake": session.intake})


# --- the banner on the other mechanic pages --------------------------------------------------


BANNER_TOKEN_EVENT = "mechanic-banner-token"  # mechanic.js keeps the token for the next polls


def _page_path(request: HtmxHttpRequest) -> str:
    """The path of the page the mechanic is on (for htmx requests, the page that asked)."""
    if request.htmx and request.htmx.current_url_abs_path:
        return urlsplit(request.htmx.current_url_abs_path).path
    return request.path


@require_GET
@no_store  # a live poll: never stored by a browser or proxy
def banner(request: HtmxHttpRequest) -> HttpResponse:
    """The banner's poll: 204 when nothing changed, the new banner otherwise. Nothing changed
    anywhere since its state token was issued: 204 after at most one query, before session,
    user or profile load (BANNER_UNCHANGED). Otherwise the banner's own stamp decides."""
    if BANNER_UNCHANGED(request):
        return HttpResponse(status=204)
    return _banner_checked(request)


@mechanic_required
def _banner_checked(request: HtmxHttpRequest) -> HttpResponse:
    session_key = request.session.session_key
    seen = state_version()  # first: a token issued from it is never newer than what follows
    state = mechanic_banner(
        mechanic=mechanic_of(request.user), here=_page_path(request), session_key=session_key, state=seen
    )
    if request.GET.get("v") == state.version:
        # This banner is unchanged though something else changed: a fresh token, so the next
        # polls take the fast path again.
        response = HttpResponse(status=204)
        return (
            trigger_client_event(response, BANNER_TOKEN_EVENT, {"t": state.token})
            if state.token
            else response
        )
    return render(request, "mechanics/banner.html", {"banner": state})


# --- a queued request in full, before accepting ------------------------------------------------


@require_GET
@mechanic_required
def request_details(request: HtmxHttpRequest, assignment_id: int) -> HttpResponse:
    """The whole request as the queue shows it to this mechanic, without the customer's surname,
    email or phone (those come with Accept). Only a request this mechanic may take (404
    otherwise); opening it is recorded once per mechanic, and takes nothing."""
    mechanic = mechanic_of(request.user)
    assignment = request_for_mechanic(mechanic=mechanic, assignment_id=assignment_id)
    if assignment is None:
        raise Http404
    request_viewed_record(session=assignment.session, mechanic=mechanic)
    intake = assignment.session.intake
    context = {
        "assignment": assignment,
        "session": assignment.session,
        "intake": intake,
        "attachments": list(intake.attachments.all()) if intake is not None else [],
        "accept_label": TRANSITIONS["accept"].label,
    }
    return render(request, "mechanics/request_details.html", context)


# --- the dashboard's tip and the Settings page ---------------------------------------------------


@require_POST
@mechanic_required
def dismiss_tip(request: HtmxHttpRequest) -> HttpResponse:
    """ "Got it" on the dashboard's How it works tip: gone for good (Settings brings it back)."""
    mechanic_dismiss_tip(mechanic=mechanic_of(request.user))
    if request.htmx:
        return HttpResponse("")  # the tip is swapped out for nothing
    return redirect("mechanic_dashboard")


@require_http_methods(["GET", "POST"])
@mechanic_required
def mechanic_settings(request: HtmxHttpRequest) -> HttpResponse:
    mechanic = mechanic_of(request.user)
    form = MechanicSettingsForm(request.POST if request.method == "POST" else None, mechanic=mechanic)
    if request.method == "POST" and form.is_valid():
        mechanic_update_settings(mechanic=mechanic, **form.cleaned_data)
        messages.success(request, "Your settings are saved.")
        return redirect("mechanic_settings")
    return render(
        request,
        "mechanics/settings.html",
        {"form": form, "expertise_form": ExpertiseForm(mechanic=mechanic)},  # route: Your expertise
    )


@require_GET
@no_store
@mechanic_required
def upcoming(request: HtmxHttpRequest) -> HttpResponse:
    """Scheduled requests not yet in the queue (issue 14), due times in the mechanic's zone: a
    page of its own, and the dashboard's Upcoming panel (htmx fetches the panel)."""
    rows = upcoming_for_mechanic(mechanic=mechanic_of(request.user))
    context = {"rows": rows, "limit": UPCOMING_LIMIT, "promote_before": settings.PROMOTE_BEFORE_MINUTES}
    template = "mechanics/upcoming.html#upcoming-panel" if request.htmx else "mechanics/upcoming.html"
    return render(request, template, context)


# --- issue 14: transfers to a colleague ------------------------------------------------------------


@require_POST
@mechanic_required
def mechanic_expertise(request: HtmxHttpRequest) -> HttpResponse:
    """Settings › Your expertise (its own form, so it never touches the other settings)."""
    mechanic = mechanic_of(request.user)
    form = ExpertiseForm(request.POST, mechanic=mechanic)
    if form.is_valid():
        mechanic_update_expertise(mechanic=mechanic, **form.cleaned_data)
        messages.success(request, "Your expertise is saved: matching requests are marked in your queue.")
        return redirect(reverse("mechanic_settings") + "#expertise")
    context = {"form": MechanicSettingsForm(mechanic=mechanic), "expertise_form": form}
    return render(request, "mechanics/settings.html", context, status=400)


@require_POST
@mechanic_required
def offer_transfer(request: HtmxHttpRequest, session_id: int) -> HttpResponse:
    """ "Transfer…" on a work card: offer the session to a named colleague, with a note."""
    mechanic = mechanic_of(request.user)
    session = get_object_or_404(own_sessions(mechanic=mechanic), pk=session_id)
    form = TransferOfferForm(request.POST)
    if not form.is_valid():
        return _after_action(request, first_error(form), level=messages.ERROR)
    data = form.cleaned_data
    try:
        transfer = transfer_offer(
            session=session, mechanic=mechanic, to_mechanic_id=data["to_mechanic"], note=data["note"]
        )
    except DomainError as exc:
        return _after_action(request, exc.detail, level=messages.ERROR)
    return _after_action(
        request,
        f"Offered to {transfer.to_mechanic.display_name}. The session stays yours until they accept.",
    )


def _transfer_or_404(request: HtmxHttpRequest, transfer_id: int) -> Any:
    transfer = transfer_for_mechanic(mechanic=mechanic_of(request.user), transfer_id=transfer_id)
    if transfer is None:
        raise Http404
    return transfer


@require_POST
@mechanic_required
def accept_transfer(request: HtmxHttpRequest, transfer_id: int) -> HttpResponse:
    """The named colleague takes the session over and goes to its room."""
    transfer = _transfer_or_404(request, transfer_id)
    try:
        session = transfer_accept(transfer=transfer, mechanic=mechanic_of(request.user))
    except DomainError as exc:
        if exc.code == "not_found":
            raise Http404 from None
        return _after_action(request, exc.detail, level=messages.WARNING)
    return _after_action(
        request, "The session is yours now. The customer has been told.", to=session.get_absolute_url()
    )


@require_POST
@mechanic_required
def decline_transfer(request: HtmxHttpRequest, transfer_id: int) -> HttpResponse:
    transfer = _transfer_or_404(request, transfer_id)
    form = TransferDeclineForm(request.POST)
    if not form.is_valid():
        return _after_action(request, first_error(form), level=messages.ERROR)
    reason = form.cleaned_data["reason"]
    return _attempt(
        request,
        lambda: transfer_decline(transfer=transfer, mechanic=mechanic_of(request.user), reason=reason),
        f"Declined. {transfer.from_mechanic.display_name} keeps the session and has been told.",
        level=messages.WARNING,
        missing_is_404=True,
    )


@require_POST
@mechanic_required
def withdraw_transfer(request: HtmxHttpRequest, transfer_id: int) -> HttpResponse:
    transfer = _transfer_or_404(request, transfer_id)
    return _attempt(
        request,
        lambda: transfer_withdraw(transfer=transfer, mechanic=mechanic_of(request.user)),
        "Offer withdrawn: the session stays yours.",
        level=messages.WARNING,
        missing_is_404=True,
    )
