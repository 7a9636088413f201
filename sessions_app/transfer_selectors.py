"""Reads for transfers to a colleague (issue 14), with their joins, so the panels stay one query."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from mechanics.models import Mechanic
from sessions_app.models import SessionTransfer
from sessions_app.transitions import WORKING_STATUSES

_TRANSFER_RELATED = (
    "session__plan",
    "session__customer",
    "session__intake",
    "from_mechanic",
    "to_mechanic",
)


def transfers_for_dashboard(*, mechanic: Mechanic, since: datetime) -> list[SessionTransfer]:
    """Both sides of a mechanic's dashboard in ONE query, oldest first:

    - open offers to them that can still be taken (the session is still the offering
      mechanic's waiting or live one; the sweep closes the others);
    - their own offers of the sessions they hold: open ones, and declined / lapsed / withdrawn
      ones answered since `since` (the work card says what became of it)."""
    lapsed_before = timezone.now() - timedelta(minutes=settings.TRANSFER_OFFER_MINUTES)
    to_me = Q(
        to_mechanic=mechanic,
        status=SessionTransfer.Status.OFFERED,
        created_at__gt=lapsed_before,  # past its time: the sweep lapses it within a minute
        session__status__in=WORKING_STATUSES,
        session__mechanic_id=F("from_mechanic_id"),
    )
    mine = (
        Q(from_mechanic=mechanic, session__mechanic=mechanic)
        & (Q(status=SessionTransfer.Status.OFFERED) | Q(answered_at__gte=since))
        & ~Q(status=SessionTransfer.Status.ACCEPTED)
    )
    return list(
        SessionTransfer.objects.filter(to_me | mine)
        .select_related(*_TRANSFER_RELATED)
        .order_by("created_at", "id")
    )


def transfer_colleagues(*, mechanic: Mechanic) -> QuerySet[Mechanic]:
    """Every other active mechanic, by name (the service re-checks the workshop rule per session)."""
    return (
        Mechanic.objects.filter(user__is_active=True)
        .exclude(pk=mechanic.pk)
        .only("id", "display_name", "workshop_id")
        .order_by("display_name", "id")
    )


def transfer_for_mechanic(*, mechanic: Mechanic, transfer_id: int) -> SessionTransfer | None:
    """A transfer this mechanic is party to (offering or named), else None (404 for outsiders)."""
    return (
        SessionTransfer.objects.filter(Q(from_mechanic=mechanic) | Q(to_mechanic=mechanic), pk=transfer_id)
        .select_related(*_TRANSFER_RELATED)
        .first()
    )
