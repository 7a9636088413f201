"""What the session domain says to people when it refuses: one sentence per refusal, used by the
services (as DomainError details) and by every page that shows the same refusal."""

from autodoctor.errors import DomainError
from customers.models import Customer
from sessions_app.models import Session


def lock_message(active_count: int) -> str:
    """What a mechanic at capacity reads instead of Accept buttons (SPEC §4)."""
    plural = "s" if active_count != 1 else ""
    return (
        f"You have {active_count} active session{plural} assigned to you. Complete or cancel your "
        "current work before accepting new requests. Your active sessions persist even if you log out."
    )


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


def active_session_refusal(*, customer: Customer) -> DomainError:
    """Invariant 1's answer: the customer already has an active session; with a link back to it."""
    existing = Session.objects.active().for_customer(customer).only("id", "type").first()
    url = existing.get_absolute_url() if existing else "/customer/dashboard/"
    return DomainError(
        "active_session_exists",
        "You already have an active session. Return to it, or end it before starting a new request.",
        session_id=existing.pk if existing else None,
        session_url=url,
    )
