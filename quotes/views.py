"""The quote pages: the mechanic composes and sends; the customer approves or declines in the app
or from the signed link in the email (a confirmation page, then a POST: never an action on GET)."""

import contextlib
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.forms import BaseFormSet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.middleware import HtmxDetails

from autodoctor.access import mechanic_of, mechanic_required
from autodoctor.errors import DomainError
from sessions_app.models import Session

from . import rules
from .forms import DeclineForm, QuoteForm, QuoteLineFormSet, formset_lines
from .links import LinkExpired, LinkInvalid, quote_link_target
from .models import QuoteStatus, RepairQuote
from .money import line_total_cents, money_display, quote_totals
from .selectors import latest_session_quote, quote_with_lines
from .services import may_quote, quotable_problem, quote_approve, quote_decline, quote_send

LINES_PREFIX = "lines"


class QuoteRequest(HttpRequest):
    htmx: HtmxDetails
    user: User


def _quotable_session(request: QuoteRequest, session_id: int) -> Session:
    session = (
        Session.objects.select_related("plan", "customer", "mechanic", "intake").filter(pk=session_id).first()
    )
    if session is None or not may_quote(session=session, mechanic=mechanic_of(request.user)):
        raise Http404
    return session


def _previous_lines(quote: RepairQuote | None) -> list[dict[str, object]]:
    """A re-quote starts from the last quote's lines."""
    if quote is None:
        return []
    return [
        {
            "kind": x.kind,
            "description": x.description,
            "quantity": x.quantity,
            "unit_price": Decimal(x.unit_price_cents) / 100,
        }
        for x in quote.lines.all()
    ]


def _one_more_row(data: QueryDict) -> QueryDict:
    """The posted form with one more (empty) line: "Add a line" without JavaScript."""
    rows = data.copy()
    key = f"{LINES_PREFIX}-TOTAL_FORMS"
    with contextlib.suppress(ValueError):
        rows[key] = str(min(int(rows.get(key, "")) + 1, rules.MAX_LINES))
    return rows


def _preview(formset: BaseFormSet, tax_value: str, currency: str) -> dict[str, str]:
    """The totals of the lines filled in so far (invalid rows left out), by the stored rule."""
    lines = [
        line_total_cents(
            quantity=f.cleaned_data["quantity"], unit_price_cents=int(f.cleaned_data["unit_price"] * 100)
        )
        for f in formset.forms
        if f.is_valid() and f.cleaned_data and not f.cleaned_data.get("DELETE")
    ]
    try:
        rate = max(Decimal(0), min(Decimal(tax_value or 0), rules.MAX_TAX_RATE_PERCENT))
    except InvalidOperation:
        rate = Decimal(0)
    totals = quote_totals(line_totals=lines, tax_rate_percent=rate)
    return {
        "subtotal": money_display(totals.subtotal_cents, currency),
        "tax": money_display(totals.tax_cents, currency),
        "total": money_display(totals.total_cents, currency),
        "rate": f"{rate.normalize():f}",
    }


@require_http_methods(["GET", "POST"])
@mechanic_required
def quote_compose(request: QuoteRequest, session_id: int) -> HttpResponse:
    session = _quotable_session(request, session_id)
    latest = latest_session_quote(session=session)
    if request.method == "POST" and "add_line" in request.POST:
        form = QuoteForm(request.POST)
        formset = QuoteLineFormSet(_one_more_row(request.POST), prefix=LINES_PREFIX)
    elif request.method == "POST":
        form = QuoteForm(request.POST)
        formset = QuoteLineFormSet(request.POST, prefix=LINES_PREFIX)
        if form.is_valid() and formset.is_valid():
            try:
                quote_send(
                    session=session,
                    mechanic=mechanic_of(request.user),
                    lines=formset_lines(formset),
                    valid_until=form.cleaned_data["valid_until"],
                    tax_rate_percent=form.cleaned_data["tax_rate_percent"],
                    note=form.cleaned_data["note"],
                    site_url=request.build_absolute_uri("/"),
                )
            except DomainError as exc:
                messages.error(request, exc.detail)
            else:
                messages.success(request, "Quote sent. The customer has it by email and in the app.")
                return redirect(session.get_absolute_url() + "#quote")
    else:
        form = QuoteForm()
        reusable = (
            latest
            if latest is not None and latest.status in (QuoteStatus.DECLINED, QuoteStatus.EXPIRED)
            else None
        )
        formset = QuoteLineFormSet(prefix=LINES_PREFIX, initial=_previous_lines(reusable))
    context = {
        "session": session,
        "latest": latest,
        "blocked": quotable_problem(session),
        "open": latest is not None and latest.status in (QuoteStatus.SENT, QuoteStatus.APPROVED),
        "form": form,
        "formset": formset,
        "totals": _preview(formset, request.POST.get("tax_rate_percent", ""), session.plan.currency),
    }
    return render(request, "quotes/compose.html", context)


@require_POST
@mechanic_required
def quote_preview(request: QuoteRequest, session_id: int) -> HttpResponse:
    """The compose page's totals, recomputed as the mechanic types (htmx)."""
    session = _quotable_session(request, session_id)
    formset = QuoteLineFormSet(request.POST, prefix=LINES_PREFIX)
    totals = _preview(formset, request.POST.get("tax_rate_percent", ""), session.plan.currency)
    return render(request, "quotes/compose.html#totals", {"totals": totals, "session": session})


def _customer_quote(request: QuoteRequest, quote_id: int) -> RepairQuote:
    quote = (
        RepairQuote.objects.select_related("session")
        .filter(pk=quote_id, session__customer__user_id=request.user.pk)
        .first()
    )
    if quote is None:
        raise Http404
    return quote


def _back(request: QuoteRequest, quote: RepairQuote) -> HttpResponse:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = quote.session.get_absolute_url() + "#quote"
    return redirect(target)


@require_POST
@login_required
def quote_approve_view(request: QuoteRequest, quote_id: int) -> HttpResponse:
    quote = _customer_quote(request, quote_id)
    try:
        quote_approve(quote=quote, user=request.user)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, "Quote approved. Your mechanic has been told.")
    return _back(request, quote)


@require_POST
@login_required
def quote_decline_view(request: QuoteRequest, quote_id: int) -> HttpResponse:
    quote = _customer_quote(request, quote_id)
    form = DeclineForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The reason is at most 500 characters.")
        return _back(request, quote)
    try:
        quote_decline(quote=quote, user=request.user, reason=form.cleaned_data["reason"])
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, "Quote declined. Your mechanic has been told.")
    return _back(request, quote)


@require_http_methods(["GET", "POST"])
def quote_link(request: QuoteRequest, token: str) -> HttpResponse:
    """The email's signed link: shows the quote with Approve / Decline buttons (POST)."""
    try:
        target = quote_link_target(token)
    except LinkExpired:
        return render(request, "quotes/link_problem.html", {"expired": True}, status=410)
    except LinkInvalid:
        return render(request, "quotes/link_problem.html", {"expired": False}, status=400)
    quote = quote_with_lines(quote_id=target.quote_id)
    if quote is None or quote.session.customer.user_id != target.customer_user_id:
        return render(request, "quotes/link_problem.html", {"expired": False}, status=400)
    if request.method == "POST":
        customer = quote.session.customer.user
        form = DeclineForm(request.POST)
        try:
            if request.POST.get("action") == "approve":
                quote_approve(quote=quote, user=customer)
                messages.success(request, "Quote approved. Your mechanic has been told.")
            elif request.POST.get("action") == "decline" and form.is_valid():
                quote_decline(quote=quote, user=customer, reason=form.cleaned_data["reason"])
                messages.success(request, "Quote declined. Your mechanic has been told.")
            else:
                messages.error(request, "Choose Approve or Decline (a reason is at most 500 characters).")
        except DomainError as exc:
            messages.error(request, exc.detail)
        return redirect("quote_link", token=token)
    return render(
        request, "quotes/review.html", {"quote": quote, "token": token, "decline_form": DeclineForm()}
    )
