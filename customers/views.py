"""Customer pages: sign-up, dashboard, intake -> waiver -> payment, the banner and its poll."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseStopPolling, trigger_client_event
from django_htmx.middleware import HtmxDetails

from autodoctor.access import customer_of, customer_required
from autodoctor.caching import no_store
from autodoctor.errors import DomainError
from autodoctor.uploads import private_file_response
from billing.selectors import credit_packs_for_sale
from billing.services import credit_balance
from billing.stripe_client import stripe_configured
from sessions_app.selectors import state_version
from sessions_app.services import session_end_by_customer
from sessions_app.status_view import customer_end
from sessions_app.transitions import SessionStatus
from sessions_app.wording import active_session_refusal

from . import selectors
from .forms import IntakeForm, SignupForm, TimeZoneForm, WaiverForm
from .models import Customer, Intake
from .services import (
    IntakeDetails,
    checkout_confirm,
    customer_create,
    customer_has_active_session,
    customer_set_time_zone,
    intake_create,
    waiver_submit,
)

SESSION_ENDED_EVENT = "session-ended"
BANNER_TOKEN_EVENT = "banner-token"  # customer.js keeps the token for the next polls
PAST_PER_PAGE = 10


class CustomerRequest(HttpRequest):
    """What the middleware and @customer_required guarantee (for the type checker)."""

    htmx: HtmxDetails
    user: User


def _customer(request: CustomerRequest) -> Customer:
    return customer_of(request.user)


def _page_path(request: CustomerRequest) -> str:
    """The path of the page the visitor is on (for htmx requests, the page that asked)."""
    if request.htmx and request.htmx.current_url_abs_path:
        return urlsplit(request.htmx.current_url_abs_path).path
    return request.path


def _banner_response(request: CustomerRequest, state: selectors.ActiveSessionBanner) -> HttpResponse:
    return render(request, "customers/banner.html", {"banner": state, "here": _page_path(request)})


def _client_ip(request: CustomerRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _active_session_page(request: CustomerRequest, error: DomainError, *, status: int = 409) -> HttpResponse:
    """The friendly answer to a second request while one is active: explain and link back."""
    return render(request, "customers/active_exists.html", {"error": error}, status=status)


# --- accounts --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """Self sign-up: a user with a Customer profile, signed in straight away."""
    if request.user.is_authenticated:
        return redirect("after_login")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        customer = customer_create(
            username=data["username"],
            password=data["password1"],
            full_name=data["full_name"],
            email=data["email"],
            phone=data["phone"],
            time_zone=data["time_zone"],
        )
        login(request, customer.user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {customer.first_name}! Tell us what is going on with your car.")
        return redirect("customer_dashboard")
    return render(request, "registration/signup.html", {"form": form})


@require_http_methods(["GET", "POST"])
@customer_required
def account(request: CustomerRequest) -> HttpResponse:
    """The customer's account: their time zone (issue 14). Pages, banners, emails and reports
    follow it from the next render on."""
    customer = _customer(request)
    form = TimeZoneForm(request.POST or None, initial={"time_zone": customer.time_zone})
    if request.method == "POST" and form.is_valid():
        customer_set_time_zone(customer=customer, time_zone=form.cleaned_data["time_zone"])
        messages.success(request, f"Saved. Times are now shown in {customer.time_zone}.")
        return redirect("customer_account")
    status = 400 if form.errors else 200
    return render(request, "customers/account.html", {"customer": customer, "form": form}, status=status)


# --- dashboard and banner --------------------------------------------------------------------


@require_GET
@customer_required
def dashboard(request: CustomerRequest) -> HttpResponse:
    """Banner (from the base layout), start a request, past sessions, credits, refund notices."""
    customer = _customer(request)
    context = {
        "customer": customer,
        "active_url": selectors.active_session_url(customer=customer),
    }
    if request.htmx and request.htmx.target == "start-request":
        return render(request, "customers/dashboard.html#start-request", context)
    past = Paginator(selectors.past_sessions(customer=customer), PAST_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context.update(
        past=past,
        past_sessions=[selectors.PastSession(session=session) for session in past],
        balance=credit_balance(customer=customer),
        credit_entries=selectors.recent_credit_entries(customer=customer),
        credit_packs=credit_packs_for_sale(),  # issue 13: the credits card offers packs
        payments_configured=stripe_configured(),
        refunds=selectors.refund_notices(customer=customer),
    )
    return render(request, "customers/dashboard.html", context)


@require_GET
@no_store  # a live poll: never stored by a browser or proxy
def banner(request: CustomerRequest) -> HttpResponse:
    """The banner's poll: 204 when nothing changed, the new banner otherwise, and htmx's
    stop-polling 286 (with the empty banner) once there is no active session.

    Nothing changed anywhere since the banner's state token was issued: 204 after at most one
    query, before loading session, user or customer (sessions_app.live). Otherwise the checked
    path compares the banner's own version."""
    if selectors.BANNER_UNCHANGED(request):
        return HttpResponse(status=204)
    return _banner_checked(request)


@customer_required
def _banner_checked(request: CustomerRequest) -> HttpResponse:
    customer = _customer(request)
    session_key = request.session.session_key
    # The global version first: a token issued from it is never newer than the comparison below.
    seen = state_version()
    stamp = selectors.banner_stamp(customer=customer)
    if request.GET.get("v") == stamp.version:
        # This banner is unchanged, though something else changed: a fresh token, so the
        # next polls take the fast path again.
        response = HttpResponse(status=204)
        token = selectors.banner_token(session_key=session_key, state=seen)
        return trigger_client_event(response, BANNER_TOKEN_EVENT, {"t": token}) if token else response
    banner = selectors.banner_state(customer=customer, session_key=session_key, stamp=stamp, state=seen)
    response = _banner_response(request, banner)
    if banner.active is None:
        response.status_code = HttpResponseStopPolling.status_code
    return response


@require_http_methods(["GET", "POST"])
@customer_required
def session_end(request: CustomerRequest, session_id: int) -> HttpResponse:
    """ "End Session": GET is the confirmation step (without JavaScript), POST ends it: a live
    session completes, one that has not started is cancelled (and refunded)."""
    customer = _customer(request)
    session = selectors.customer_session(customer=customer, session_id=session_id)
    if session is None:
        raise Http404
    if request.method == "GET":
        return render(
            request, "customers/end_confirm.html", {"session": session, "end": customer_end(session)}
        )
    try:
        session = session_end_by_customer(session=session, user=request.user)
    except DomainError as exc:
        text, level = exc.detail, messages.ERROR
    else:
        if session.status == SessionStatus.COMPLETED:
            text, level = "Your session has ended. You can rate it below.", messages.SUCCESS
        else:
            text, level = "Your request was cancelled. Anything you paid is refunded.", messages.SUCCESS
    if request.htmx:
        state = selectors.banner_state(customer=customer, session_key=request.session.session_key)
        response = _banner_response(request, state)
        trigger_client_event(response, "toast", {"message": text, "level": messages.DEFAULT_TAGS[level]})
        return trigger_client_event(response, SESSION_ENDED_EVENT, {"session_id": session.pk})
    messages.add_message(request, level, text)
    if session.status == SessionStatus.COMPLETED:
        return redirect(session.get_absolute_url())
    return redirect("customer_dashboard")


# --- intake -> waiver -> payment -------------------------------------------------------------


def _intake_page(request: CustomerRequest, form: IntakeForm, *, status: int = 200) -> HttpResponse:
    customer = _customer(request)
    context = {
        "form": form,
        "balance": credit_balance(customer=customer),
        "stripe_ready": stripe_configured(),
        "plans": selectors.plans_on_offer(),
        "files_dropped": request.method == "POST" and bool(request.FILES),
    }
    return render(request, "customers/intake_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@customer_required
def intake_new(request: CustomerRequest) -> HttpResponse:
    """Step 1: the vehicle, the problem, the plan and photos. Errors re-render the bound form."""
    customer = _customer(request)
    if customer_has_active_session(customer=customer):
        status = 200 if request.method == "GET" else 409
        return _active_session_page(request, active_session_refusal(customer=customer), status=status)
    if request.method == "GET":
        initial = selectors.intake_initial(customer=customer, intake_id=request.GET.get("from"))
        if request.GET.get("plan"):
            initial["plan"] = request.GET["plan"]
        return _intake_page(request, IntakeForm(initial=initial))
    form = IntakeForm(request.POST, request.FILES)
    if not form.is_valid():
        return _intake_page(request, form, status=400)
    try:
        intake = intake_create(
            customer=customer, details=IntakeDetails.from_cleaned(form.cleaned_data, form.checked_uploads)
        )
    except DomainError as exc:
        if exc.code == "rate_limited":
            form.add_error(None, exc.detail)
            response = _intake_page(request, form, status=exc.http_status)
            response["Retry-After"] = str(exc.retry_after or 60)
            return response
        return _active_session_page(request, exc)
    for warning in form.warnings.values():
        messages.warning(request, warning)
    return redirect("intake_waiver", intake_id=intake.pk)


def _waiver_page(
    request: CustomerRequest,
    intake: Intake,
    form: WaiverForm,
    *,
    status: int = 200,
    error: DomainError | None = None,
) -> HttpResponse:
    context = {
        "intake": intake,
        "form": form,
        "error": error,
        "balance": credit_balance(customer=intake.customer),
        "stripe_ready": stripe_configured(),
        "checkout_cancelled": request.GET.get("checkout") == "cancelled",
        "waiver_version": settings.WAIVER_VERSION,
    }
    return render(request, "customers/waiver.html", context, status=status)


@require_http_methods(["GET", "POST"])
@customer_required
def intake_waiver(request: CustomerRequest, intake_id: int) -> HttpResponse:
    """Step 2: sign the waiver. Free and credit plans go straight to the room, card plans to Stripe."""
    customer = _customer(request)
    intake = selectors.customer_intake(customer=customer, intake_id=intake_id)
    if intake is None:
        raise Http404
    if request.method == "GET":
        return _waiver_page(request, intake, WaiverForm(initial={"full_name": customer.full_name}))
    form = WaiverForm(request.POST)
    if not form.is_valid():
        return _waiver_page(request, intake, form, status=400)
    try:
        outcome = waiver_submit(
            intake=intake,
            full_name=form.cleaned_data["full_name"],
            agreed=form.cleaned_data["agreed"],
            ip_address=_client_ip(request),
            user_agent=request.headers.get("User-Agent", ""),
            site_url=request.build_absolute_uri("/"),
        )
    except DomainError as exc:
        if exc.code == "active_session_exists":
            return _active_session_page(request, exc)
        if exc.code == "intake_already_submitted":
            messages.info(request, exc.detail)
            return redirect(exc.context.get("session_url") or reverse("customer_dashboard"))
        return _waiver_page(request, intake, form, status=exc.http_status, error=exc)
    if outcome.checkout_url:
        return redirect(outcome.checkout_url)
    # Worded as what happened, not as a state: the status above it updates itself, this does not.
    messages.success(request, "Request sent to our mechanics. This page shows when one picks it up.")
    assert outcome.session is not None  # free and credit plans always get their session
    return redirect(outcome.session.get_absolute_url())


@require_GET
@customer_required
def checkout_success(request: CustomerRequest) -> HttpResponse:
    """Back from Stripe. Fulfils the checkout if the webhook has not yet (exactly once either way)."""
    checkout_id = request.GET.get("session_id", "")
    if not checkout_id:
        return redirect("customer_dashboard")
    try:
        outcome = checkout_confirm(customer=_customer(request), checkout_id=checkout_id)
    except DomainError as exc:
        if exc.code == "not_found":
            raise Http404 from exc
        messages.error(request, exc.detail)
        return redirect("customer_dashboard")
    if outcome.result in ("created", "existing") and outcome.session is not None:
        messages.success(
            request,
            "Payment received and request sent to our mechanics. This page shows when one picks it up.",
        )
        return redirect(outcome.session.get_absolute_url())
    return render(request, "customers/checkout_success.html", {"outcome": outcome})


# --- attachments -----------------------------------------------------------------------------


@require_GET
def attachment_download(request: HttpRequest, attachment_id: int) -> FileResponse:
    """An intake photo or video, only for the intake's customer, the session's mechanic and staff
    (404 for anyone else). Images display inline, videos download; the browser must not sniff."""
    attachment = selectors.attachment_for_viewer(user=request.user, attachment_id=attachment_id)
    if attachment is None:
        raise Http404
    return private_file_response(
        attachment.file,
        content_type=attachment.content_type,
        inline=attachment.is_image,
        filename=attachment.original_name,
    )
