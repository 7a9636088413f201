"""How a session's status reads on a page, from the transition table: the booleans templates
branch on (compared with the enum, never with strings) and the customer's one End Session.

The room's and the banner's view-models mix in StatusFlags; the room, the banner and the end
confirmation all offer End Session through customer_end()."""

from dataclasses import dataclass

from django.urls import reverse

from customers.models import PayWith

from .models import Session
from .transitions import (
    ACTIVE_STATUSES,
    FINAL_STATUSES,
    SessionStatus,
    action_label,
    actions_from,
    status_label,
)

CUSTOMER_END_ACTIONS = ("complete", "cancel")  # what session_end_by_customer does, by status


class StatusFlags:
    """Mixed into a view-model that says which status it shows ("" for none)."""

    @property
    def status(self) -> str:
        raise NotImplementedError

    @property
    def status_label(self) -> str:
        return status_label(self.status) if self.status else ""

    @property
    def is_pending(self) -> bool:
        return self.status == SessionStatus.PENDING

    @property
    def is_scheduled(self) -> bool:
        return self.status == SessionStatus.SCHEDULED

    @property
    def is_waiting(self) -> bool:
        return self.status == SessionStatus.WAITING

    @property
    def is_live(self) -> bool:
        return self.status == SessionStatus.LIVE

    @property
    def is_completed(self) -> bool:
        return self.status == SessionStatus.COMPLETED

    @property
    def is_over(self) -> bool:
        return self.status not in ACTIVE_STATUSES

    @property
    def ended_unstarted(self) -> bool:
        """Cancelled or expired: it never went live."""
        return self.status in FINAL_STATUSES and not self.is_completed


@dataclass(frozen=True)
class CustomerEnd(StatusFlags):
    """The customer's End Session on one session: its words, where it posts and what it means."""

    session: Session
    label: str
    url: str

    @property
    def status(self) -> str:
        return self.session.status

    @property
    def stops_mechanic(self) -> bool:
        """A mechanic has the request but has not started: they will not."""
        return self.is_waiting and self.session.mechanic_id is not None

    @property
    def refunds(self) -> bool:
        return self.session.payment_method != PayWith.FREE


def customer_end(session: Session) -> CustomerEnd | None:
    """End Session when the table allows it from the session's status (None once it is over)."""
    for action in actions_from(session.status):
        if action in CUSTOMER_END_ACTIONS:
            return CustomerEnd(
                session=session,
                label=action_label(action, customer=True),
                url=reverse("customer_session_end", args=[session.pk]),
            )
    return None
