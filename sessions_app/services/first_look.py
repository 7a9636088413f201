"""The first-look window (issue 14): a new request is offered first, for FIRST_LOOK_SECONDS, only
to the available mechanics whose expertise matches it and who have room for it; then it opens to
everyone (an OPENED_TO_ALL event, once).

- Who is offered is decided once, when the assignment is queued, and stored
  (`SessionAssignment.offered_to`, `first_look_until`): the queue selector and session_accept
  read those stored fields, so the answer never depends on who changed their profile since.
- Never invisible: when nobody may take it then (available, matching, allowed by its workshop,
  with room in their budget), it opens to everyone at once, with the reason in the event.
- The end of the window: a django-q2 task scheduled for that moment (the scheduler looks every
  ~30 s), and the `open-first-looks` sweep every minute as the safety net. Visibility does not
  wait for either: the selector compares `first_look_until` with the clock; the event is what
  tells the open dashboards (its live hint) to fetch the queue again.
- A released (re-queued) session gets no second window: its customer has waited already.
"""

import logging
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_q.tasks import schedule

from mechanics.models import Mechanic
from sessions_app.capacity import fits
from sessions_app.events import event_record
from sessions_app.models import Session, SessionAssignment
from sessions_app.routing import RouteRequest, Specialties, match
from sessions_app.transitions import WORKING_STATUSES, AssignmentStatus, SessionEventType

log = logging.getLogger(__name__)

OPEN_TASK = "sessions_app.tasks.open_first_look"


def first_look_candidates(*, session: Session, workshop_id: int | None) -> list[Mechanic]:
    """Available mechanics who may take `session` now and whose expertise matches it. One query."""
    mechanics = Mechanic.objects.filter(availability=Mechanic.Availability.AVAILABLE)
    if workshop_id is not None:
        mechanics = mechanics.filter(workshop_id=workshop_id)
    mechanics = mechanics.annotate(
        used=Coalesce(
            Sum("sessions__plan__capacity_weight", filter=Q(sessions__status__in=WORKING_STATUSES)), 0
        )
    ).order_by("id")
    request = RouteRequest.of(session)
    weight = session.plan.capacity_weight
    return [
        mechanic
        for mechanic in mechanics
        if fits(used=mechanic.used, weight=weight, budget=mechanic.max_active_sessions)
        and match(Specialties.of(mechanic), request)
    ]


def first_look_begin(*, assignment: SessionAssignment, session: Session) -> None:
    """Open the window for a newly queued `assignment` (in the caller's transaction): offer it to
    the matching mechanics, or open it to everyone at once when there are none."""
    window = settings.FIRST_LOOK_SECONDS
    if window <= 0:
        return
    now = timezone.now()
    offered = first_look_candidates(session=session, workshop_id=assignment.workshop_id)
    if not offered:
        assignment.opened_at = now
        assignment.save(update_fields=["opened_at"])
        event_record(
            session=session,
            type=SessionEventType.OPENED_TO_ALL,
            actor=None,
            data={"assignment_id": assignment.pk, "reason": "no_available_match", "offered_to": []},
            # The request's CREATED/PROMOTED event in this transaction already told every open
            # dashboard that the queue changed: a second hint would only make them fetch twice.
            announce=False,
        )
        return
    assignment.first_look_until = now + timedelta(seconds=window)
    assignment.save(update_fields=["first_look_until"])
    assignment.offered_to.set(offered)
    transaction.on_commit(partial(_schedule_open, assignment.pk, assignment.first_look_until), robust=True)


def _schedule_open(assignment_id: int, at: datetime) -> None:
    schedule(OPEN_TASK, assignment_id, name=f"first-look-{assignment_id}", next_run=at)


def first_look_open(*, assignment_id: int) -> bool:
    """The window of `assignment_id` has ended: open it to everyone, once (OPENED_TO_ALL with who
    it was offered to). A no-op (False) when it is no longer queued, already open, has no window,
    or its window has not ended. Safe to race: the locked assignment row decides."""
    session_id = (
        SessionAssignment.objects.filter(pk=assignment_id).values_list("session_id", flat=True).first()
    )
    if session_id is None:
        return False
    with transaction.atomic():
        # Lock order: session, then assignment (as every lifecycle service).
        session = Session.objects.select_for_update(of=("self",)).get(pk=session_id)
        assignment = SessionAssignment.objects.select_for_update().get(pk=assignment_id)
        now = timezone.now()
        if (
            assignment.status != AssignmentStatus.QUEUED
            or assignment.opened_at is not None
            or assignment.first_look_until is None
            or assignment.first_look_until > now
        ):
            return False
        assignment.opened_at = now
        assignment.save(update_fields=["opened_at"])
        offered = sorted(assignment.offered_to.values_list("id", flat=True))
        event_record(
            session=session,
            type=SessionEventType.OPENED_TO_ALL,
            actor=None,
            data={"assignment_id": assignment.pk, "reason": "window_ended", "offered_to": offered},
        )
    return True


def first_looks_open_due(*, now: datetime | None = None) -> int:
    """The sweep: open every queued assignment whose window has ended. Returns how many opened."""
    due = SessionAssignment.objects.filter(
        status=AssignmentStatus.QUEUED,
        opened_at__isnull=True,
        first_look_until__isnull=False,
        first_look_until__lte=now or timezone.now(),
    ).values_list("id", flat=True)
    return sum(first_look_open(assignment_id=assignment_id) for assignment_id in list(due))
