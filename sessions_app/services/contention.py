"""Accepts lost to a race, for the staff's contention metrics (issue 14).

A refused accept rolls its transaction back, so it leaves no trace of its own. The wrapper
below records the loss after that rollback: outside the locked section, in a transaction of its
own, and never in the way of the refusal the mechanic gets."""

import logging
from collections.abc import Callable
from functools import wraps

from django.db import DatabaseError, transaction
from django.utils import timezone

from autodoctor.errors import DomainError
from mechanics.models import Mechanic
from sessions_app.models import AcceptMiss, Session, SessionAssignment

logger = logging.getLogger(__name__)

# The refusals that mean "someone else got there first".
RACE_CODES = frozenset({"already_taken"})


def accept_miss_record(*, assignment_id: int, mechanic: Mechanic, code: str) -> AcceptMiss | None:
    """Record that `mechanic` lost the race for `assignment_id`; None if it cannot be placed."""
    session_id = (
        SessionAssignment.objects.filter(pk=assignment_id).values_list("session_id", flat=True).first()
    )
    if session_id is None:
        return None
    return AcceptMiss.objects.create(
        session_id=session_id, mechanic_id=mechanic.pk, code=code, at=timezone.now()
    )


def records_accept_miss(
    accept: Callable[..., Session],
) -> Callable[..., Session]:
    """Wrap session_accept: a refusal in RACE_CODES is recorded, then re-raised unchanged."""

    @wraps(accept)
    def wrapped(*, assignment: SessionAssignment, mechanic: Mechanic) -> Session:
        try:
            return accept(assignment=assignment, mechanic=mechanic)
        except DomainError as exc:
            if exc.code in RACE_CODES:
                try:
                    with transaction.atomic():
                        accept_miss_record(assignment_id=assignment.pk, mechanic=mechanic, code=exc.code)
                except DatabaseError:  # a metric must never turn a clear 409 into a 500
                    logger.warning("could not record an accept miss", exc_info=True)
            raise

    return wrapped
