"""The room beyond the chat's words: photos and clips shared in it, who is in it, and the sweep that
flags a live session nobody is in. None of these changes a session's status."""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from autodoctor.errors import DomainError
from autodoctor.ratelimit import rate_limit_check
from autodoctor.uploads import CheckedUpload, thumbnail_make
from sessions_app.events import event_record
from sessions_app.models import Session, SessionAttachment, SessionEvent, SessionMessage, SessionParticipant
from sessions_app.notifications import notify_mechanic_absence_after_commit
from sessions_app.presence import ABSENCE_AFTER, PRESENCE_TIMEOUT
from sessions_app.selectors import sessions_absent
from sessions_app.transitions import WORKING_STATUSES, SessionEventType, SessionStatus

from .conversation import _lock


def _participant_role(session: Session, user: User) -> str | None:
    if session.customer.user_id == user.pk:
        return SessionParticipant.Role.CUSTOMER
    if session.mechanic is not None and session.mechanic.user_id == user.pk:
        return SessionParticipant.Role.MECHANIC
    return None


# --- attachments -----------------------------------------------------------------------------


def attachment_add(
    *, session: Session, uploader: User, upload: CheckedUpload, source: str = SessionAttachment.Source.CHAT
) -> SessionAttachment:
    """Share a checked photo or clip in the room's chat, as the session's customer or mechanic,
    while the session is waiting or live. It gets a chat line of its own (so both sides' chat
    polls pick it up in order), a thumbnail when it is an image, and an ATTACHMENT_ADDED event."""
    if source not in SessionAttachment.Source.values:
        raise DomainError("invalid_input", "Unknown attachment source.", field="source")
    rate_limit_check(
        recent=SessionAttachment.objects.filter(uploader=uploader),
        limit=settings.ATTACHMENTS_PER_HOUR,
        window=timedelta(hours=1),
        what="photos and clips",
    )
    thumbnail = thumbnail_make(upload.file, upload.content_type)  # before the lock: Pillow is slow
    with transaction.atomic():
        locked = _lock(session)
        if _participant_role(locked, uploader) is None:
            raise DomainError("not_found", "That session does not exist.")
        if locked.status not in WORKING_STATUSES:
            raise DomainError(
                "invalid_transition",
                "Photos and clips can be shared only while the session is waiting or live.",
            )
        attachment = SessionAttachment(
            session=locked,
            uploader=uploader,
            original_name=upload.original_name,
            content_type=upload.content_type,
            size=upload.file.size or 0,
            source=source,
        )
        attachment.message = SessionMessage.objects.create(
            session=locked, sender=uploader, body=f"Shared a {attachment.kind}: {upload.original_name}"
        )
        try:
            attachment.file.save(upload.storage_name(), upload.file, save=False)
            if thumbnail is not None:
                attachment.thumbnail.save(f"{upload.storage_name()}.jpg", thumbnail, save=False)
            attachment.save()
            event_record(
                session=locked,
                type=SessionEventType.ATTACHMENT_ADDED,
                actor=uploader,
                data={"attachment_id": attachment.pk, "source": source, "content_type": upload.content_type},
            )
        except BaseException:
            _discard_files(attachment)  # the rows roll back: leave no file without its row
            raise
        return attachment


def _discard_files(attachment: SessionAttachment) -> None:
    for stored in (attachment.file, attachment.thumbnail):
        if stored and stored.name:
            stored.storage.delete(stored.name)


# --- presence --------------------------------------------------------------------------------


def presence_update(*, session: Session, user: User, state: str) -> SessionParticipant | None:
    """The room page's join (load, stream open), heartbeat (~25 s) and leave (pagehide).

    A heartbeat of someone already in the room is one UPDATE and no event. Otherwise the
    participant row is locked and JOINED or LEFT is recorded only when the person actually moves
    in or out (a second leave, or a join of someone in, records nothing). Staff watching a room
    are not participants: None. Presence counts only while the session is waiting or live (a
    pending request's room has nobody to meet, and its events would churn the shared queue): None
    otherwise, nothing written."""
    if state not in ("join", "beat", "leave"):
        raise DomainError("invalid_input", "Presence is join, beat or leave.", field="state")
    now = timezone.now()
    if state == "beat":
        fresh = SessionParticipant.objects.filter(
            session_id=session.pk,
            user_id=user.pk,
            left_at__isnull=True,
            last_seen_at__gte=now - PRESENCE_TIMEOUT,
            session__status__in=WORKING_STATUSES,
        ).update(last_seen_at=now)
        if fresh:
            return None
    with transaction.atomic():
        locked = _lock(session)
        role = _participant_role(locked, user)
        if role is None:
            if user.is_staff:
                return None
            raise DomainError("not_found", "That session does not exist.")
        if locked.status not in WORKING_STATUSES:
            return None  # before a mechanic accepts there is nobody to meet; once over, no one stays
        participant, _created = SessionParticipant.objects.select_for_update().get_or_create(
            session=locked, user=user, defaults={"role": role}
        )
        was_in = participant.last_seen_at is not None and participant.left_at is None
        if state == "leave":
            if not was_in:
                return participant
            participant.left_at = now
            participant.last_seen_at = now
            participant.save(update_fields=["left_at", "last_seen_at"])
            event_record(session=locked, type=SessionEventType.LEFT, actor=user, data={"role": role})
            return participant
        stale = (
            was_in
            and participant.last_seen_at is not None
            and now - participant.last_seen_at > PRESENCE_TIMEOUT
        )
        participant.left_at = None
        participant.last_seen_at = now
        participant.save(update_fields=["left_at", "last_seen_at"])
        if not was_in or stale:
            event_record(session=locked, type=SessionEventType.JOINED, actor=user, data={"role": role})
        return participant


# --- the absence sweep -----------------------------------------------------------------------


def sessions_flag_absent(*, now: datetime | None = None) -> int:
    """Flag each live session nobody has been present in for ABSENCE_AFTER, once per absence:
    an ABSENCE_FLAGGED event (the staff's list filter and the mechanic's dashboard read the same
    presence) and an email to its mechanic after commit. Returns how many were flagged."""
    now = now or timezone.now()
    cutoff = now - ABSENCE_AFTER
    candidates = sessions_absent(now=now).values_list("id", flat=True)
    flagged = 0
    for session_id in list(candidates):
        if _flag_absent(session_id, now=now, cutoff=cutoff):
            flagged += 1
    return flagged


def _flag_absent(session_id: int, *, now: datetime, cutoff: datetime) -> bool:
    with transaction.atomic():
        try:
            locked = _lock(Session(pk=session_id))
        except DomainError:
            return False
        if locked.status != SessionStatus.LIVE or locked.started_at is None or locked.started_at > cutoff:
            return False
        seen = SessionParticipant.objects.filter(session=locked).aggregate(m=Max("last_seen_at"))["m"]
        if seen is not None and seen > cutoff:
            return False
        absent_since = max(filter(None, (seen, locked.started_at)))
        already = SessionEvent.objects.filter(
            session=locked, type=SessionEventType.ABSENCE_FLAGGED, created_at__gte=absent_since
        ).exists()
        if already:
            return False
        event_record(
            session=locked,
            type=SessionEventType.ABSENCE_FLAGGED,
            actor=None,
            data={
                "absent_since": absent_since.isoformat(),
                "minutes": int((now - absent_since).total_seconds() // 60),
            },
        )
        notify_mechanic_absence_after_commit(locked.pk)
        return True
