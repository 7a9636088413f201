"""The one domain error type: a machine code, a human sentence and the HTTP status to use.

Platform, not domain: every layer raises it and every interface (pages, API, admin) turns it
into an answer, so it lives below all of them."""

from typing import Any

HTTP_STATUS = {
    "already_taken": 409,
    "at_capacity": 409,
    "active_session_exists": 409,
    "invalid_transition": 409,
    "insufficient_credits": 402,
    "not_found": 404,
    "forbidden": 403,
    "invalid_input": 400,
    "diagnosis_closed": 409,  # diagnostics: outside the edit window (live, or 24 h after)
    "payments_not_configured": 409,
    "intake_already_submitted": 409,
    "already_rated": 409,
    "payment_unavailable": 503,
    "rate_limited": 429,
    "request_too_large": 413,
    "method_not_allowed": 405,
    # Repair quotes (quotes.services)
    "not_quotable": 409,
    "quote_open": 409,
    "quote_decided": 409,
    "quote_expired": 409,
    # Ask before expiry (sessions_app.services.waiting): keep-waiting on a request that is over
    "already_expired": 409,
    "not_pending": 409,
    # route (issue 14): a request still in its first-look window, offered to others first
    "first_look": 409,
    # Transfers to a colleague (sessions_app.services.transfers)
    "transfer_open": 409,
    "transfer_closed": 409,
    "not_transferable": 409,
}


class DomainError(Exception):
    def __init__(self, code: str, detail: str, **context: Any) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.context = context

    @property
    def http_status(self) -> int:
        return HTTP_STATUS.get(self.code, 400)

    @property
    def retry_after(self) -> int | None:
        """Seconds to wait before trying again (rate limits), for the Retry-After header."""
        value = self.context.get("retry_after")
        return int(value) if value else None

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "detail": self.detail}
        for extra in ("session_url", "field", "retry_after"):
            if extra in self.context:
                body[extra] = self.context[extra]
        return body

    def __repr__(self) -> str:
        return f"DomainError({self.code!r}, {self.detail!r})"
