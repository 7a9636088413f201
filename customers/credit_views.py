"""Buying credit packs: a form post opens Stripe Checkout; the return from Stripe adds the credits
if the webhook has not yet (exactly once either way: billing.services.packs)."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from autodoctor.access import customer_of, customer_required
from autodoctor.errors import DomainError
from billing.services import credit_pack_checkout_start, credit_pack_confirm

from .forms import CreditPackForm
from .views import CustomerRequest


@require_POST
@customer_required
def credits_buy(request: CustomerRequest) -> HttpResponse:
    form = CreditPackForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for e in form.errors.get("pack", ["Choose a credit pack."])))
        return redirect("customer_dashboard")
    base = request.build_absolute_uri("/").rstrip("/")
    try:
        url = credit_pack_checkout_start(
            customer=customer_of(request.user),
            pack=form.cleaned_data["pack"],
            success_url=base + reverse("credits_success") + "?session_id={CHECKOUT_SESSION_ID}",
            cancel_url=base + reverse("customer_dashboard") + "?credits=cancelled",
        )
    except DomainError as exc:
        messages.error(request, exc.detail)
        return redirect("customer_dashboard")
    return redirect(url)


@require_GET
@customer_required
def credits_success(request: CustomerRequest) -> HttpResponse:
    try:
        outcome = credit_pack_confirm(
            customer=customer_of(request.user), checkout_id=request.GET.get("session_id", "")
        )
    except DomainError as exc:
        if exc.code == "not_found":
            raise Http404 from exc
        messages.error(request, exc.detail)
        return redirect("customer_dashboard")
    if outcome.result in ("purchased", "existing"):
        messages.success(request, f"Payment received: {outcome.credits} credits added to your balance.")
    else:
        messages.info(
            request, "Stripe has not confirmed the payment yet. Your credits appear as soon as it does."
        )
    return redirect("customer_dashboard")
