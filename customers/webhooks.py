"""Stripe's webhook: verify the signature, hand the event to the service, answer quickly."""

import json
import logging

import stripe
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .services import stripe_event_process

log = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """400 for a bad signature, a stale timestamp or a malformed body; 200 for everything else,
    including events we do not handle and replays of events already processed."""
    payload = request.body
    signature = request.headers.get("Stripe-Signature", "")
    if not settings.STRIPE_WEBHOOK_SECRET:
        log.error("Stripe webhook called but STRIPE_WEBHOOK_SECRET is not set")
        return JsonResponse({"error": "not_configured"}, status=400)
    try:
        event = json.loads(payload)
    except ValueError:  # not JSON, or not UTF-8
        return JsonResponse({"error": "bad_payload"}, status=400)
    if not isinstance(event, dict):
        return JsonResponse({"error": "bad_payload"}, status=400)
    try:
        # Checks the signature against our secret and rejects timestamps older than 5 minutes.
        stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET)
    except stripe.SignatureVerificationError:
        return JsonResponse({"error": "bad_signature"}, status=400)
    result = stripe_event_process(event=event)
    return JsonResponse({"received": True, "result": result})
