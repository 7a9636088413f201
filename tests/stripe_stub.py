"""A tiny local stand-in for the Stripe API (checkout sessions, refunds, charges) and its hosted
checkout page, on 127.0.0.1 and a random port. Records every API request it gets.

    with StripeStub() as stub:
        settings.STRIPE_API_BASE = stub.url
        ...
        stub.pay(checkout_id)        # what the customer's "Pay" click does
        stub.requests                # [(method, path, params), ...]
        stub.fail_refunds = 2        # the next two refund requests answer 500
        stub.refund_in_dashboard(payment_intent, 500)   # staff refund in Stripe's dashboard:
                                     # returns the charge object a charge.refunded event carries
"""

import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlparse


def _unflatten(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's form encoding (a[b][0][c]=v) back into nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node: Any = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            nxt = parts[i + 1] if not last else None
            if isinstance(node, list):
                index = int(part)
                while len(node) <= index:
                    node.append({} if nxt is not None and not nxt.isdigit() else [])
                if last:
                    node[index] = value
                else:
                    if not isinstance(node[index], dict | list) or (
                        nxt.isdigit() and not isinstance(node[index], list)
                    ):
                        node[index] = [] if nxt.isdigit() else {}
                    node = node[index]
            else:
                if last:
                    node[part] = value
                else:
                    node = node.setdefault(part, [] if nxt.isdigit() else {})
    return root


class StripeStub:
    def __init__(self) -> None:
        self.sessions: dict[str, dict[str, Any]] = {}
        self.refunds: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str, dict[str, Any]]] = []
        self.fail_checkout_create = False
        self.fail_refunds = 0
        self.charges: dict[str, dict[str, Any]] = {}  # by payment intent
        self._by_idempotency_key: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def _params(self) -> dict[str, Any]:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                return _unflatten(parse_qsl(raw, keep_blank_values=True))

            def _json(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                path = urlparse(self.path).path
                stub._record("GET", path, {})
                if path.startswith("/v1/checkout/sessions/"):
                    checkout = stub.sessions.get(path.rsplit("/", 1)[1])
                    if checkout is None:
                        return self._json(
                            404,
                            {
                                "error": {
                                    "type": "invalid_request_error",
                                    "message": "No such checkout.session",
                                }
                            },
                        )
                    return self._json(200, checkout)
                if path.startswith("/pay/"):
                    checkout_id = path.rsplit("/", 1)[1]
                    checkout = stub.sessions.get(checkout_id)
                    amount = (checkout or {}).get("amount_total", 0) / 100
                    page = (
                        "<!doctype html><html lang=en><head><title>Stripe test checkout</title></head><body>"
                        f"<h1>Test checkout</h1><p>Pay ${amount:.2f}</p>"
                        f"<form method=post action='/pay/{checkout_id}'><button type=submit>Pay</button></form>"
                        "</body></html>"
                    ).encode()
                    self.send_response(200 if checkout else 404)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(page)))
                    self.end_headers()
                    self.wfile.write(page)
                    return None
                return self._json(
                    404, {"error": {"type": "invalid_request_error", "message": "unknown path"}}
                )

            def do_POST(self) -> None:
                path = urlparse(self.path).path
                params = self._params()
                stub._record("POST", path, params)
                if path == "/v1/checkout/sessions":
                    if stub.fail_checkout_create:
                        return self._json(500, {"error": {"type": "api_error", "message": "stub failure"}})
                    return self._json(200, stub._create_checkout(params))
                if path == "/v1/refunds":
                    with stub._lock:
                        if stub.fail_refunds > 0:
                            stub.fail_refunds -= 1
                            return self._json(
                                500, {"error": {"type": "api_error", "message": "stub failure"}}
                            )
                    key = self.headers.get("Idempotency-Key") or ""
                    return self._json(200, stub._refund(params, key))
                if path.startswith("/pay/"):
                    checkout = stub.pay(path.rsplit("/", 1)[1])
                    self.send_response(303)
                    self.send_header(
                        "Location", checkout["success_url"].replace("{CHECKOUT_SESSION_ID}", checkout["id"])
                    )
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                return self._json(
                    404, {"error": {"type": "invalid_request_error", "message": "unknown path"}}
                )

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # --- state ----------------------------------------------------------------------------
    def _record(self, method: str, path: str, params: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append((method, path, params))

    def _create_checkout(self, params: dict[str, Any]) -> dict[str, Any]:
        n = next(self._ids)
        checkout_id = f"cs_test_{n:06d}"
        items = params.get("line_items") or [{}]
        price = (items[0] or {}).get("price_data", {})
        checkout = {
            "id": checkout_id,
            "object": "checkout.session",
            "url": f"{self.url}/pay/{checkout_id}",
            "mode": params.get("mode", "payment"),
            "status": "open",
            "payment_status": "unpaid",
            "payment_intent": None,
            "amount_total": int(price.get("unit_amount") or 0),
            "currency": price.get("currency", "usd"),
            "metadata": params.get("metadata", {}),
            "client_reference_id": params.get("client_reference_id"),
            "success_url": params.get("success_url", ""),
            "cancel_url": params.get("cancel_url", ""),
        }
        with self._lock:
            self.sessions[checkout_id] = checkout
        return checkout

    def pay(self, checkout_id: str) -> dict[str, Any]:
        """Mark a checkout paid, as Stripe does when the customer pays."""
        with self._lock:
            checkout = self.sessions[checkout_id]
            checkout.update(
                status="complete", payment_status="paid", payment_intent=f"pi_test_{checkout_id[8:]}"
            )
            return dict(checkout)

    def _refund(self, params: dict[str, Any], idempotency_key: str = "") -> dict[str, Any]:
        """A succeeded refund of a payment intent (the same answer again for a repeated key)."""
        with self._lock:
            if idempotency_key and idempotency_key in self._by_idempotency_key:
                return self._by_idempotency_key[idempotency_key]
            intent = params.get("payment_intent", "")
            charge = self._charge_locked(intent)
            left = charge["amount"] - charge["amount_refunded"]
            amount = int(params.get("amount") or left)
            refund = {
                **params,
                "id": f"re_test_{next(self._ids)}",
                "object": "refund",
                "status": "succeeded",
                "amount": amount,
                "currency": charge["currency"],
                "charge": charge["id"],
                "payment_intent": intent,
                "metadata": params.get("metadata") or {},
                "reason": params.get("reason"),
            }
            charge["amount_refunded"] += amount
            charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
            charge["refunds"]["data"].insert(0, refund)
            self.refunds.append(refund)
            if idempotency_key:
                self._by_idempotency_key[idempotency_key] = refund
            return refund

    def _charge_locked(self, intent: str) -> dict[str, Any]:
        if intent not in self.charges:
            paid = next(
                (c for c in self.sessions.values() if c.get("payment_intent") == intent), {"amount_total": 0}
            )
            self.charges[intent] = {
                "id": f"ch_test_{next(self._ids)}",
                "object": "charge",
                "payment_intent": intent,
                "amount": int(paid.get("amount_total") or 0),
                "amount_refunded": 0,
                "currency": paid.get("currency", "usd"),
                "refunded": False,
                "refunds": {"object": "list", "data": []},
            }
        return self.charges[intent]

    def refund_in_dashboard(self, payment_intent: str, amount: int | None = None) -> dict[str, Any]:
        """What staff do in Stripe's dashboard: refund (part of) a charge. Returns the charge, as
        the charge.refunded event that follows carries it."""
        params: dict[str, Any] = {"payment_intent": payment_intent, "reason": "requested_by_customer"}
        if amount is not None:
            params["amount"] = amount
        self._refund(params)
        with self._lock:
            return json.loads(json.dumps(self.charges[payment_intent]))

    def charge(self, payment_intent: str) -> dict[str, Any]:
        with self._lock:
            return json.loads(json.dumps(self._charge_locked(payment_intent)))

    def calls(self, method: str, path_prefix: str) -> list[dict[str, Any]]:
        with self._lock:
            return [p for m, path, p in self.requests if m == method and path.startswith(path_prefix)]

    # --- lifecycle ------------------------------------------------------------------------
    def start(self) -> "StripeStub":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "StripeStub":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- pytest helpers (import them into a test module or conftest) -------------------------------

import pytest  # noqa: E402

STUB_SECRET_KEY = "sk_test_stub"
STUB_WEBHOOK_SECRET = "whsec_test_stub_secret"


@pytest.fixture
def stripe_stub(settings):
    """A running stub with the app's Stripe settings pointed at it."""
    with StripeStub() as stub:
        settings.STRIPE_SECRET_KEY = STUB_SECRET_KEY
        settings.STRIPE_WEBHOOK_SECRET = STUB_WEBHOOK_SECRET
        settings.STRIPE_API_BASE = stub.url
        yield stub


def checkout_event(
    checkout: dict[str, Any], *, event_id: str, event_type: str = "checkout.session.completed"
) -> str:
    """A webhook body as Stripe sends it (any object: a checkout, a charge, a refund)."""
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "api_version": "2025-01-01",
            "created": 1_700_000_000,
            "type": event_type,
            "livemode": False,
            "data": {"object": checkout},
        }
    )


def signature_for(payload: str, *, secret: str = STUB_WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    import stripe

    return stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp)


def deliver_webhook(client, payload: str, *, secret: str = STUB_WEBHOOK_SECRET, timestamp: int | None = None):
    """POST a signed event to /stripe/webhook/ with a Django test client."""
    return client.post(
        "/stripe/webhook/",
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature_for(payload, secret=secret, timestamp=timestamp),
    )
