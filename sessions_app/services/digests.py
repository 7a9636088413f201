"""Request emails to mechanics (issue 14): a mechanic hears about a request they may take without
the dashboard open, at most once per QUEUE_EMAIL_EVERY_MINUTES, in one email listing what waits.

Two steps, so no lock is held across the fan-out:

1. `queue_notices_record`, after the transaction that queued the request commits: one QueueNotice
   ("you are owed an email about this") per mechanic who may take it (the queue's visibility:
   general requests, or their own workshop's), is Available, takes emails and is not in their
   quiet hours; then it tries to send to each of them.
2. `mechanic_queue_email_send`, under the mechanic row's lock: if their last request email is at
   least QUEUE_EMAIL_EVERY_MINUTES old, the owed requests still in their queue go out in one email
   (with the rest of what waits for them), the stamp moves and the notices go. Otherwise they are
   held, and the minute sweep (`mechanics_queue_email_sweep`) sends them once the time is up.

Owed requests that left the queue meanwhile are dropped (nothing is sent for a taken request);
owed requests still queued but not (yet) in this mechanic's queue stay owed. A mechanic who is
Away, turned emails off or is in quiet hours when their email would go out is not emailed: what
they were owed is dropped (the dashboard still lists it)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from mechanics.models import Mechanic, QueueNotice
from sessions_app.models import SessionAssignment
from sessions_app.notifications import notify_mechanic_queue_email_after_commit
from sessions_app.selectors import queue_for_mechanic
from sessions_app.transitions import AssignmentStatus


def _email_interval() -> timedelta:
    return timedelta(minutes=settings.QUEUE_EMAIL_EVERY_MINUTES)


def mechanic_wants_request_emails(mechanic: Mechanic, *, now: datetime) -> bool:
    """Available, email notifications on, an address to write to, and not in quiet hours."""
    return (
        mechanic.availability == Mechanic.Availability.AVAILABLE
        and mechanic.email_notifications
        and bool(mechanic.user.email)
        and not mechanic.in_quiet_hours(now)
    )


def queue_notices_record(
    *, assignment_id: int, exclude_mechanic_id: int | None = None, now: datetime | None = None
) -> int:
    """A request entered the queue (created, promoted, or put back after a release): owe an email
    to everyone who may take it and wants to hear now, and send to those not held back. The
    mechanic who just released it (`exclude_mechanic_id`) is not told about it. Returns how many
    emails were sent now."""
    now = now or timezone.now()
    queued = (
        SessionAssignment.objects.filter(pk=assignment_id, status=AssignmentStatus.QUEUED)
        .values("workshop_id")
        .first()
    )
    if queued is None:
        return 0  # taken (or gone) before we got here: nobody is told
    candidates = Mechanic.objects.select_related("user").filter(
        availability=Mechanic.Availability.AVAILABLE, email_notifications=True
    )
    if queued["workshop_id"] is not None:
        candidates = candidates.filter(workshop_id=queued["workshop_id"])
    if exclude_mechanic_id is not None:
        candidates = candidates.exclude(pk=exclude_mechanic_id)
    owed = [m for m in candidates.order_by("id") if mechanic_wants_request_emails(m, now=now)]
    QueueNotice.objects.bulk_create(
        [QueueNotice(mechanic=m, assignment_id=assignment_id) for m in owed], ignore_conflicts=True
    )
    return sum(mechanic_queue_email_send(mechanic_id=m.pk, now=now) for m in owed)


def mechanic_queue_email_send(*, mechanic_id: int, now: datetime | None = None) -> bool:
    """Send `mechanic` the request email they are owed, unless their last one is under
    QUEUE_EMAIL_EVERY_MINUTES old (then it is held for the sweep). True when an email was queued.

    The mechanic row's lock serialises this per mechanic: two workers (the fan-out and the sweep,
    or two sweeps) never both pass the interval check, so never send two emails."""
    now = now or timezone.now()
    with transaction.atomic():
        mechanic = (
            Mechanic.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(pk=mechanic_id)
            .first()
        )
        if mechanic is None:
            return False
        sent_at = mechanic.queue_email_sent_at
        if sent_at is not None and now - sent_at < _email_interval():
            return False  # held: the sweep sends it when the interval is up
        notices = QueueNotice.objects.filter(mechanic=mechanic)
        owed = set(notices.values_list("assignment_id", flat=True))
        if not owed:
            return False
        if not mechanic_wants_request_emails(mechanic, now=now):
            notices.delete()
            return False
        waiting = list(queue_for_mechanic(mechanic=mechanic).values_list("id", flat=True))
        new = [pk for pk in waiting if pk in owed]
        notices.filter(Q(assignment_id__in=new) | ~Q(assignment__status=AssignmentStatus.QUEUED)).delete()
        if not new:
            return False
        mechanic.queue_email_sent_at = now
        mechanic.save(update_fields=["queue_email_sent_at"])
        also = [pk for pk in waiting if pk not in owed]
        notify_mechanic_queue_email_after_commit(mechanic.pk, new_ids=new, also_ids=also)
        return True


def mechanics_queue_email_sweep(*, now: datetime | None = None) -> int:
    """Every minute: send the held-back request emails whose interval is up. Returns how many."""
    now = now or timezone.now()
    due = Q(queue_email_sent_at__isnull=True) | Q(queue_email_sent_at__lte=now - _email_interval())
    ids = (
        Mechanic.objects.filter(due, pk__in=QueueNotice.objects.values("mechanic_id"))
        .order_by("id")
        .values_list("id", flat=True)
    )
    return sum(mechanic_queue_email_send(mechanic_id=pk, now=now) for pk in list(ids))
