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
    "payments_not_configured": 409,
    "intake_already_submitted": 409,
    "already_rated": 409,
    "payment_unavailable": 503,
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

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "detail": self.detail}
        for extra in ("session_url", "field"):
            if extra in self.context:
                body[extra] = self.context[extra]
        return body

    def __repr__(self) -> str:
        return f"DomainError({self.code!r}, {self.detail!r})"
