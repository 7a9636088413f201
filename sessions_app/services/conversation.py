"""The session room's chat and the customer's rating. Neither changes a session's status."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from autodoctor.errors import DomainError
from autodoctor.ratelimit import rate_limit_check
from sessions_app.hints import hint_publish, message_hint
from sessions_app.models import Rating, Session, SessionMessage
from sessions_app.transitions import ACTIVE_STATUSES, SessionStatus

MAX_MESSAGE_LENGTH: int = SessionMessage._meta.get_field("body").max_length or 4000


def _lock(session: Session) -> Session:
    """Lock the caller's session row and refresh it in place."""
    locking = Session.objects.select_for_update(of=("self",)).select_related("customer", "mechanic")
    try:
        session.refresh_from_db(from_queryset=locking)
    except Session.DoesNotExist:
        raise DomainError("not_found", "That session does not exist.") from None
    return session


def message_send(*, session: Session, sender: User, body: str) -> SessionMessage:
    """Post a chat message in an active session, as its customer, its mechanic or staff.

    The session row is locked while the message is inserted, so messages of one session get
    their ids in commit order: a reader that has seen message N has seen every message before it,
    which is what lets the room poll with `?after=<last id>` without ever skipping one."""
    text = (body or "").strip()
    if not text:
        raise DomainError("invalid_input", "Write a message first.")
    if len(text) > MAX_MESSAGE_LENGTH:
        raise DomainError("invalid_input", f"Keep a message under {MAX_MESSAGE_LENGTH} characters.")
    rate_limit_check(
        recent=SessionMessage.objects.filter(sender=sender),
        limit=settings.MESSAGES_PER_MINUTE,
        window=timedelta(minutes=1),
        what="messages",
    )
    with transaction.atomic():
        locked = _lock(session)
        allowed = (
            sender.is_staff
            or locked.customer.user_id == sender.pk
            or (locked.mechanic is not None and locked.mechanic.user_id == sender.pk)
        )
        if not allowed:
            raise DomainError("not_found", "That session does not exist.")
        if locked.status not in ACTIVE_STATUSES:
            raise DomainError("invalid_transition", "This session has ended, so the chat is closed.")
        message = SessionMessage.objects.create(session=locked, sender=sender, body=text)
        hint_publish(message_hint(session=locked, message_id=message.pk))  # delivered on commit
        return message


def rating_create(*, session: Session, user: User, stars: int, comment: str = "") -> Rating:
    """The customer rates a completed session, once (1 to 5 stars, optional comment)."""
    if not isinstance(stars, int) or not 1 <= stars <= 5:
        raise DomainError("invalid_input", "Choose between 1 and 5 stars.")
    with transaction.atomic():
        locked = _lock(session)
        if locked.customer.user_id != user.pk:
            raise DomainError("not_found", "That session does not exist.")
        if locked.status != SessionStatus.COMPLETED:
            raise DomainError("invalid_transition", "You can rate a session once it is completed.")
        if Rating.objects.filter(session=locked).exists():
            raise DomainError("already_rated", "You have already rated this session. Thank you!")
        try:
            with transaction.atomic():
                return Rating.objects.create(
                    session=locked, stars=stars, comment=(comment or "").strip()[:2000]
                )
        except IntegrityError as exc:
            raise DomainError("already_rated", "You have already rated this session. Thank you!") from exc
