"""The one domain error type: a machine code, a human sentence and the HTTP status to use."""

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
        if "session_url" in self.context:
            body["session_url"] = self.context["session_url"]
        return body

    def __repr__(self) -> str:
        return f"DomainError({self.code!r}, {self.detail!r})"


def invalid_transition(action: str, status: str) -> DomainError:
    sentences = {
        "accept": "This request is no longer waiting for a mechanic.",
        "start": "Only a session waiting to start can be started.",
        "release": "Only a session waiting to start can be released back to the queue.",
        "complete": "Only a live session can be completed.",
        "cancel": "This session has already gone live or ended, so it can no longer be cancelled.",
        "expire": "Only a pending or waiting session can expire.",
        "promote": "Only a scheduled session can be promoted to the queue.",
    }
    return DomainError(
        "invalid_transition",
        f"{sentences.get(action, 'That change is not allowed now.')} (The session is {status}.)",
        action=action,
        status=status,
    )
