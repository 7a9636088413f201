"""Reads. Each panel's queryset lives here with its select_related, so query counts stay flat."""

import math
import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth.models import AnonymousUser, User
from django.db import connection
from django.db.models import (
    Case,
    Exists,
    IntegerField,
    Max,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from autodoctor.access import customer_of, mechanic_of
from customers.models import Customer
from mechanics.models import Mechanic
from sessions_app.models import Session, SessionAssignment, SessionEvent, SessionParticipant, SessionTransfer
from sessions_app.presence import ABSENCE_AFTER
from sessions_app.routing import Specialties, match_q
from sessions_app.transitions import (
    FINAL_STATUSES,
    SESSION_ONLY_EVENTS,
    WORKING_STATUSES,
    AssignmentStatus,
    SessionEventType,
    SessionStatus,
)

DEFAULT_WAIT_SECONDS = 5 * 60

_SESSION_RELATED = ("plan", "customer__user", "mechanic__user", "intake")


STATE_WINDOW = 64


def _shared_condition() -> str:
    """The SQL condition "a shared event" (not one of SESSION_ONLY_EVENTS), written exactly as the
    partial index event_shared_id (SessionEvent.Meta) states it, so PostgreSQL reads the index."""
    names = ", ".join(f"'{name}'" for name in SESSION_ONLY_EVENTS)  # our own constants
    return f"NOT (type IN ({names}))"


def state_version_sql() -> str:
    """SQL for the "anything changed?" stamp: the sum of the newest STATE_WINDOW shared event ids.

    Every transition writes an event, so a change moves the stamp. Events that only one session's
    room shows (SESSION_ONLY_EVENTS: a look at a request's details, a diagnosis edit) do not: they
    would make every open dashboard re-render for nothing. Not simply MAX(id): ids are taken at
    insert and transactions commit in any order, so an event with a lower id can become visible
    after a higher one; it still lands in the newest window and changes the sum. Compare stamps for
    equality only. An index-only scan of STATE_WINDOW entries of the partial index."""
    table = SessionEvent._meta.db_table
    return (
        f"SELECT CAST(COALESCE(SUM(id), 0) AS BIGINT) FROM "  # noqa: S608 - table and types are ours
        f"(SELECT id FROM {table} WHERE {_shared_condition()} ORDER BY id DESC LIMIT {STATE_WINDOW}) recent"
    )


def state_version() -> int:
    """The current stamp (see state_version_sql)."""
    with connection.cursor() as cursor:
        cursor.execute(state_version_sql())
        return int(cursor.fetchone()[0])


def session_version(*, session_id: int) -> int:
    """The newest event id of one session (its banner/room polls compare against it)."""
    return SessionEvent.objects.filter(session_id=session_id).aggregate(v=Max("id"))["v"] or 0


def queue_for_mechanic(*, mechanic: Mechanic, now: datetime | None = None) -> QuerySet[SessionAssignment]:
    """Queued assignments this mechanic may take: general ones, plus their workshop's own, minus
    those still in a first-look window offered to others (sessions_app.services.first_look).
    Urgent first, then those matching the mechanic's expertise (sessions_app.routing), then by
    original queue time."""
    visible = Q(workshop__isnull=True)
    if mechanic.workshop_id:
        visible |= Q(workshop_id=mechanic.workshop_id)
    offered = SessionAssignment.offered_to.through.objects.filter(
        sessionassignment_id=OuterRef("pk"), mechanic_id=mechanic.pk
    )
    open_to_me = (
        Q(first_look_until__isnull=True)
        | Q(opened_at__isnull=False)
        | Q(first_look_until__lte=now or timezone.now())
        | Exists(offered)
    )
    queue = SessionAssignment.objects.filter(
        visible, open_to_me, status=AssignmentStatus.QUEUED
    ).select_related("session__plan", "session__customer__user", "session__intake")
    matching = match_q(Specialties.of(mechanic))
    if matching is None:
        return queue.order_by("-urgent", "queued_at", "id")
    matched = Case(When(matching, then=Value(1)), default=Value(0), output_field=IntegerField())
    return queue.annotate(matched=matched).order_by("-urgent", "-matched", "queued_at", "id")


def _participant_column(role: str, column: str, *, of_mechanic: bool = False) -> Subquery:
    rows = SessionParticipant.objects.filter(session=OuterRef("pk"), role=role)
    if of_mechanic:
        rows = rows.filter(user_id=OuterRef("mechanic__user_id"))
    return Subquery(rows.values(column)[:1])


def active_sessions_for_mechanic(*, mechanic: Mechanic) -> QuerySet[Session]:
    """The mechanic's waiting and live sessions, read from the sessions themselves, with the room's
    presence (customer_seen_at, customer_left_at, mechanic_seen_at), the current acceptance
    (accepted_at) and the latest reminder (reminded_at) in the same query."""
    return (
        Session.objects.working()
        .for_mechanic(mechanic)
        .select_related(*_SESSION_RELATED)
        .annotate(
            customer_seen_at=_participant_column(SessionParticipant.Role.CUSTOMER, "last_seen_at"),
            customer_left_at=_participant_column(SessionParticipant.Role.CUSTOMER, "left_at"),
            mechanic_seen_at=_participant_column(
                SessionParticipant.Role.MECHANIC, "last_seen_at", of_mechanic=True
            ),
            # issue 14: the current acceptance and the latest reminder (My Active Work's alert)
            accepted_at=Subquery(
                SessionAssignment.objects.filter(
                    session=OuterRef("pk"), status=AssignmentStatus.ACCEPTED
                ).values("accepted_at")[:1]
            ),
            reminded_at=Subquery(
                SessionEvent.objects.filter(session=OuterRef("pk"), type=SessionEventType.REMINDED)
                .order_by("-id")
                .values("created_at")[:1]
            ),
        )
        .order_by("status", "created_at")  # live before waiting: "live" < "waiting"
    )


def sessions_absent(*, now: datetime | None = None) -> QuerySet[Session]:
    """Live sessions that started at least ABSENCE_AFTER ago and that nobody (customer or
    mechanic) has been present in since: the absence sweep's candidates and staff's list filter."""
    cutoff = (now or timezone.now()) - ABSENCE_AFTER
    return (
        Session.objects.filter(status=SessionStatus.LIVE, started_at__lte=cutoff)
        .annotate(room_seen_at=Max("participants__last_seen_at"))
        .filter(Q(room_seen_at__isnull=True) | Q(room_seen_at__lte=cutoff))
    )


def mechanic_active_count(*, mechanic: Mechanic) -> int:
    return Session.objects.working().for_mechanic(mechanic).count()


@dataclass
class CustomerActiveSession:
    session: Session
    queue_position: int | None
    estimated_wait_seconds: int | None


def median_queue_wait_seconds(*, sample: int = 50) -> int:
    """Median of recent queue-to-accept times, or a default when there is no history."""
    since = timezone.now() - timedelta(days=7)
    rows = (
        SessionAssignment.objects.filter(accepted_at__isnull=False, accepted_at__gte=since)
        .order_by("-accepted_at")
        .values_list("queued_at", "accepted_at")[:sample]
    )
    waits = [max(0.0, (accepted - queued).total_seconds()) for queued, accepted in rows if accepted]
    return int(statistics.median(waits)) if waits else DEFAULT_WAIT_SECONDS


def queue_position(*, assignment: SessionAssignment) -> int:
    """1-based place in the general queue order (urgent first, then original queue time)."""
    ahead = Q(urgent=True) if not assignment.urgent else Q(pk__in=[])
    ahead |= Q(urgent=assignment.urgent, queued_at__lt=assignment.queued_at)
    ahead |= Q(urgent=assignment.urgent, queued_at=assignment.queued_at, id__lt=assignment.pk)
    visible = Q(workshop__isnull=True) | Q(workshop_id=assignment.workshop_id)
    return SessionAssignment.objects.filter(ahead, visible, status=AssignmentStatus.QUEUED).count() + 1


def active_session_for_customer(*, customer: Customer) -> CustomerActiveSession | None:
    session = Session.objects.active().for_customer(customer).select_related(*_SESSION_RELATED).first()
    if session is None:
        return None
    position = wait = None
    if session.status == SessionStatus.PENDING:
        assignment = SessionAssignment.objects.filter(session=session, status=AssignmentStatus.QUEUED).first()
        if assignment is not None:
            position = queue_position(assignment=assignment)
            available = max(1, Mechanic.objects.filter(availability=Mechanic.Availability.AVAILABLE).count())
            wait = median_queue_wait_seconds() * math.ceil(position / available)
    return CustomerActiveSession(session=session, queue_position=position, estimated_wait_seconds=wait)


HISTORY_GROUPS = {
    "active": WORKING_STATUSES,
    "completed": (SessionStatus.COMPLETED,),
    "ended": FINAL_STATUSES,
}


def session_history(
    *,
    mechanic: Mechanic | None = None,
    customer: Customer | None = None,
    group: str | None = None,
    search: str = "",
    session_type: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[Session]:
    """Sessions of a mechanic or a customer, newest first, filtered for the history tabs.

    A mechanic's groups are the sessions they hold (active) or completed (completed); with no
    group, every session they touched (issue 14): held now, or once accepted and then released,
    transferred away, cancelled or expired, each annotated with what happened to them
    (mechanic_touches)."""
    qs: QuerySet[Session] = Session.objects.select_related(*_SESSION_RELATED, "rating")
    if mechanic is not None:
        if group in HISTORY_GROUPS:
            qs = qs.filter(mechanic=mechanic)
        else:
            qs = mechanic_touches(qs.filter(touched_by(mechanic)), mechanic=mechanic)
    if customer is not None:
        qs = qs.filter(customer=customer)
    if group in HISTORY_GROUPS:  # an unknown group (e.g. a tampered query string) filters nothing
        qs = qs.filter(status__in=HISTORY_GROUPS[group])
    filtered = narrowed(qs, search=search, session_type=session_type, date_from=date_from, date_to=date_to)
    return filtered.order_by("-created_at", "-id")


# --- issue 14: every session a mechanic touched, and what became of it for them ------------------


def touched_by(mechanic: Mechanic | int) -> Q:
    """Sessions the mechanic holds, or held once: each acceptance is an assignment naming them
    (accepted, released, transferred, completed, cancelled or expired; SessionAssignment.mechanic
    stays set when it closes)."""
    mine = SessionAssignment.objects.filter(mechanic=mechanic).values("session_id")
    return Q(mechanic=mechanic) | Q(pk__in=mine)


def mechanic_touches(qs: QuerySet[Session], *, mechanic: Mechanic) -> QuerySet[Session]:
    """Annotate each session with what happened to it for `mechanic`, in the same query:
    `my_assignment` (the status of their newest assignment of it), `my_release_reason` (their
    newest release: mechanic / idle / force_end), `transferred_to` / `transferred_from` (the
    colleague's display name of their newest accepted transfer away from / to them)."""
    assignments = SessionAssignment.objects.filter(session=OuterRef("pk"), mechanic=mechanic).order_by("-id")
    releases = SessionEvent.objects.filter(
        session=OuterRef("pk"), type=SessionEventType.RELEASED, data__mechanic_id=mechanic.pk
    ).order_by("-id")
    accepted = SessionTransfer.objects.filter(session=OuterRef("pk"), status=SessionTransfer.Status.ACCEPTED)
    return qs.annotate(
        my_assignment=Subquery(assignments.values("status")[:1]),
        my_release_reason=Subquery(releases.values("data__reason")[:1]),
        transferred_to=Subquery(
            accepted.filter(from_mechanic=mechanic).order_by("-id").values("to_mechanic__display_name")[:1]
        ),
        transferred_from=Subquery(
            accepted.filter(to_mechanic=mechanic).order_by("-id").values("from_mechanic__display_name")[:1]
        ),
    )


def narrowed[M: Model](
    qs: QuerySet[M],
    *,
    via: str = "",
    search: str = "",
    session_type: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[M]:
    """The history tabs' and the queue's filters: customer name, session type, created between.
    `via` is the path from the queryset's model to the session ("session" for assignments)."""
    to = f"{via}__" if via else ""
    if search.strip():
        qs = qs.filter(**{f"{to}customer__full_name__icontains": search.strip()})
    if session_type:
        qs = qs.filter(**{f"{to}type": session_type})
    if date_from:
        qs = qs.filter(**{f"{to}created_at__date__gte": date_from})
    if date_to:
        qs = qs.filter(**{f"{to}created_at__date__lte": date_to})
    return qs


def session_events(*, session: Session) -> QuerySet[SessionEvent]:
    """The audit trail, with what display_name_of() reads for each actor (one query)."""
    return (
        SessionEvent.objects.filter(session=session)
        .select_related("actor__mechanic", "actor__customer")
        .order_by("id")
    )


STAFF_NAME = "Auto Doctor staff"


def display_name_of(user: User | None) -> str | None:
    """How people see each other: a mechanic's display name, a customer's full name, or "Auto
    Doctor staff" — never a login username or an email. None for the system."""
    if user is None:
        return None
    mechanic = mechanic_of(user)
    if mechanic is not None:
        return str(mechanic.display_name)
    customer = customer_of(user)
    if customer is not None:
        return str(customer.full_name)
    return STAFF_NAME


def user_can_view_session(*, user: User | AnonymousUser, session: Session) -> bool:
    """The session's customer, its (current) mechanic and staff may see it."""
    if not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    if session.customer.user_id == user.pk:
        return True
    return session.mechanic is not None and session.mechanic.user_id == user.pk
