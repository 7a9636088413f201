"""Stripe's webhook: verify the signature, hand the event to the service, answer quickly."""

import json
import logging
import time

import stripe
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .services.stripe_events import NotAnEvent, stripe_event_process

log = logging.getLogger(__name__)

# Stripe's library refuses timestamps older than this; we refuse ones as far in the future too.
TOLERANCE_SECONDS = stripe.Webhook.DEFAULT_TOLERANCE


def _signed_in_the_future(header: str) -> bool:
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            return int(value) > time.time() + TOLERANCE_SECONDS
    return False


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """400 for a bad signature, a timestamp more than 5 minutes off either way, or a body that is
    not an event; 200 for everything else, including events we do not handle, events we cannot
    interpret (recorded as ignored, with the reason) and replays of events already processed."""
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
    if _signed_in_the_future(signature):
        return JsonResponse({"error": "bad_signature", "detail": "timestamp in the future"}, status=400)
    try:
        result = stripe_event_process(event=event)
    except NotAnEvent as exc:
        return JsonResponse({"error": "bad_payload", "detail": str(exc)}, status=400)
    return JsonResponse({"received": True, "result": result})
