"""Reads for the session room: who is looking, what they may do, and the chat."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sessions_app.models import Rating, Session, SessionMessage
from sessions_app.selectors import session_version
from sessions_app.transitions import ACTIVE_STATUSES, SessionStatus, can

CHAT_HISTORY_LIMIT = 200


@dataclass(frozen=True)
class ChatLine:
    id: int
    body: str
    created_at: datetime
    author: str
    mine: bool
    role: str  # customer | mechanic | staff


@dataclass
class Room:
    session: Session
    role: str  # customer | mechanic | staff
    version: int
    rating: Rating | None = None
    attachments: list = field(default_factory=list)

    @property
    def is_customer(self) -> bool:
        return self.role == "customer"

    @property
    def is_mechanic(self) -> bool:
        return self.role == "mechanic"

    @property
    def is_over(self) -> bool:
        return self.session.status not in ACTIVE_STATUSES

    @property
    def can_chat(self) -> bool:
        return not self.is_over

    @property
    def can_start(self) -> bool:
        return self.is_mechanic and can("start", self.session.status)

    @property
    def can_complete(self) -> bool:
        return self.is_mechanic and can("complete", self.session.status)

    @property
    def can_release(self) -> bool:
        return self.is_mechanic and can("release", self.session.status)

    @property
    def can_end(self) -> bool:
        """The customer's End Session: completes a live session, cancels one not started yet."""
        status = self.session.status
        return self.is_customer and (can("complete", status) or can("cancel", status))

    @property
    def can_rate(self) -> bool:
        return self.is_customer and self.session.status == SessionStatus.COMPLETED and self.rating is None


def room_role(*, session: Session, user: Any) -> str:
    if session.customer.user_id == user.pk:
        return "customer"
    if session.mechanic is not None and session.mechanic.user_id == user.pk:
        return "mechanic"
    return "staff"


def room_state(*, session: Session, user: Any, with_intake: bool = True) -> Room:
    """Everything the room shows except the chat. `session` comes from viewable_session (plan,
    customer, mechanic and intake loaded)."""
    rating = (
        Rating.objects.filter(session_id=session.pk).first()
        if session.status == SessionStatus.COMPLETED
        else None
    )
    intake = session.intake if with_intake else None
    attachments = list(intake.attachments.all()) if intake is not None else []
    return Room(
        session=session,
        role=room_role(session=session, user=user),
        version=session_version(session_id=session.pk),
        rating=rating,
        attachments=attachments,
    )


def chat_lines(*, session: Session, user: Any, after: int = 0) -> list[ChatLine]:
    """Messages newer than `after` (all recent ones when 0), oldest first, labelled for `user`."""
    qs = SessionMessage.objects.filter(session_id=session.pk).select_related("sender__mechanic")
    if after:
        qs = qs.filter(id__gt=after).order_by("id")[:CHAT_HISTORY_LIMIT]
        messages = list(qs)
    else:
        messages = list(reversed(qs.order_by("-id")[:CHAT_HISTORY_LIMIT]))
    customer_user_id = session.customer.user_id
    lines = []
    for message in messages:
        if message.sender_id == customer_user_id:
            author, role = session.customer.full_name, "customer"
        elif hasattr(message.sender, "mechanic"):
            author, role = message.sender.mechanic.display_name, "mechanic"
        else:
            author, role = "Auto Doctor support", "staff"
        lines.append(
            ChatLine(
                id=message.pk,
                body=message.body,
                created_at=message.created_at,
                author=author,
                mine=message.sender_id == user.pk,
                role=role,
            )
        )
    return lines
