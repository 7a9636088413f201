"""What the session domain says to people when it refuses: one sentence per refusal, used by the
services (as DomainError details) and by every page that shows the same refusal."""

from datetime import datetime

from autodoctor.errors import DomainError
from customers.models import Customer
from sessions_app.capacity import CapacityUse, kind_phrase
from sessions_app.models import Session


def lock_message(active_count: int, *, use: CapacityUse | None = None) -> str:
    """What a mechanic at capacity reads instead of Accept buttons (SPEC §4). With `use` and a
    budget above 1, it also says the arithmetic of the weighted budget (issue 14)."""
    plural = "s" if active_count != 1 else ""
    arithmetic = ""
    if use is not None and use.budget > 1:
        arithmetic = (
            f" They use {use.used} of your capacity budget of {use.budget} ({use.holding_words}); "
            "no waiting request fits in what is left."
        )
    return (
        f"You have {active_count} active session{plural} assigned to you. Complete or cancel your "
        "current work before accepting new requests. Your active sessions persist even if you log out."
        f"{arithmetic}"
    )


def capacity_refusal_message(*, session_type: str, weight: int, use: CapacityUse) -> str:
    """Why this session does not fit: "A video call takes 2 of your 3; you are using 2 (one
    diagnostic)." With a budget of 1 it is the plain lock message of SPEC §4."""
    if use.budget <= 1:
        return lock_message(use.count)
    kind = kind_phrase(session_type)
    return (
        f"{kind[0].upper()}{kind[1:]} takes {weight} of your {use.budget}; you are using {use.used} "
        f"({use.holding_words}). Complete or cancel your current work before accepting it."
    )


def does_not_fit_message(*, session_type: str, weight: int, used: int, budget: int) -> str:
    """A queue row's short reason in place of Accept: "A video call takes 2 of your 3; you are
    using 2." """
    kind = kind_phrase(session_type)
    return f"{kind[0].upper()}{kind[1:]} takes {weight} of your {budget}; you are using {used}."


def first_look_refusal_message(*, audience: str, until: datetime, seconds_left: int) -> str:
    """The first-look window's 409: who it is offered to and when it opens to everyone.
    `until` is already in the reader's time zone."""
    return (
        f"This request is offered first to mechanics {audience} until {until:%H:%M:%S}; "
        f"it opens to everyone in {max(1, seconds_left)} s."
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
