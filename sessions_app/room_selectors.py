"""Reads for the session room: who is looking, what they may do, and the chat."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

from django import forms
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from autodoctor.uploads import ACCEPT_ATTRIBUTE
from customers.models import IntakeAttachment, PayWith

from .forms import CompleteForm, MessageForm, RatingForm
from .models import Rating, Session, SessionAttachment, SessionMessage, SessionParticipant
from .presence import Presence, presence_of
from .selectors import session_version, user_can_view_session
from .status_view import CustomerEnd, StatusFlags, customer_end
from .transitions import TRANSITIONS, SessionStatus, SessionType, actions_from

CHAT_HISTORY_LIMIT = 200


@dataclass(frozen=True)
class ChatLine:
    id: int
    body: str
    created_at: datetime
    author: str
    mine: bool
    role: str  # customer | mechanic | staff
    attachment: SessionAttachment | None = None  # a shared photo or clip: the line shows its tile


@dataclass(frozen=True)
class RoomAction:
    """A button in the room. With `confirm` it asks first: it opens a step that shows the fields
    of `form` or what ending means (`end`), confirmed by a button with those words."""

    name: str  # the transition ("end" for the customer's End Session)
    label: str
    url: str
    style: str  # CSS classes of the button
    confirm: str = ""
    form: forms.Form | None = None
    end: CustomerEnd | None = None


@dataclass(frozen=True)
class RoomRoute:
    url_name: str
    style: str  # CSS classes of the button
    confirm: str = ""
    form: type[forms.Form] | None = None


# The transitions a mechanic takes in their session's room: where each posts and how it looks.
# The table says when (actions_from) and what the button says (Transition.label); a new transition
# gets its button from one line here, not from a template.
MECHANIC_ROUTES: dict[str, RoomRoute] = {
    "start": RoomRoute("room_start", "btn btn-success"),
    "complete": RoomRoute("room_complete", "btn btn-success", confirm="Complete session", form=CompleteForm),
    "release": RoomRoute("room_release", "btn"),
}
END_CONFIRM = "Yes, end it"


def room_actions(*, session: Session, role: str) -> list[RoomAction]:
    """What the person looking may do now, in table order."""
    if role == "customer":
        end = customer_end(session)
        if end is None:
            return []
        return [RoomAction("end", end.label, end.url, "btn btn-danger", confirm=END_CONFIRM, end=end)]
    if role != "mechanic":
        return []  # staff act from the admin
    actions = []
    for name in actions_from(session.status):
        route = MECHANIC_ROUTES.get(name)
        if route is None:
            continue
        actions.append(
            RoomAction(
                name=name,
                label=TRANSITIONS[name].label,
                url=reverse(route.url_name, args=[session.pk]),
                style=route.style,
                confirm=route.confirm,
                form=route.form() if route.form else None,
            )
        )
    return actions


@dataclass
class Room(StatusFlags):
    session: Session
    role: str  # customer | mechanic | staff
    version: int
    actions: list[RoomAction] = field(default_factory=list)
    rating: Rating | None = None
    attachments: list[IntakeAttachment] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.session.status

    @cached_property
    def now(self) -> datetime:
        return timezone.now()

    @property
    def ends_at(self) -> datetime | None:
        """When the plan's time runs out: started_at plus the plan's minutes (the room's clock)."""
        if self.session.started_at is None:
            return None
        return self.session.started_at + timedelta(minutes=self.session.plan.duration_minutes)

    @property
    def remaining_seconds(self) -> int | None:
        """Seconds left (negative: overtime), as the page first shows it before room.js ticks."""
        ends_at = self.ends_at
        return None if ends_at is None else int((ends_at - self.now).total_seconds())

    @property
    def clock_text(self) -> str:
        seconds = self.remaining_seconds
        if seconds is None:
            return ""
        minutes, secs = divmod(abs(seconds), 60)
        return f"{minutes}:{secs:02d} left" if seconds >= 0 else f"+{minutes}:{secs:02d} over"

    @property
    def attach_accept(self) -> str:
        return ACCEPT_ATTRIBUTE

    @property
    def can_attach(self) -> bool:
        """The customer and the mechanic share photos and clips while the session is waiting or live."""
        return self.role in ("customer", "mechanic") and (self.is_waiting or self.is_live)

    @property
    def is_customer(self) -> bool:
        return self.role == "customer"

    @property
    def is_mechanic(self) -> bool:
        return self.role == "mechanic"

    @property
    def is_chat(self) -> bool:
        """A chat session has no video area."""
        return self.session.type == SessionType.CHAT

    @property
    def is_paid(self) -> bool:
        return self.session.payment_method != PayWith.FREE

    @cached_property
    def message_form(self) -> MessageForm | None:
        """The chat's form while the session is on; None once it is over (the chat is closed)."""
        return None if self.is_over else MessageForm()

    @cached_property
    def rating_form(self) -> RatingForm | None:
        """The customer rates a completed session once."""
        if self.is_customer and self.is_completed and self.rating is None:
            return RatingForm()
        return None


def room_role(*, session: Session, user: User) -> str:
    if session.customer.user_id == user.pk:
        return "customer"
    if session.mechanic is not None and session.mechanic.user_id == user.pk:
        return "mechanic"
    return "staff"


def room_state(*, session: Session, user: User, with_intake: bool = True) -> Room:
    """Everything the room shows except the chat. `session` comes from viewable_session (plan,
    customer, mechanic and intake loaded)."""
    rating = (
        Rating.objects.filter(session_id=session.pk).first()
        if session.status == SessionStatus.COMPLETED
        else None
    )
    intake = session.intake if with_intake else None
    attachments = list(intake.attachments.all()) if intake is not None else []
    role = room_role(session=session, user=user)
    return Room(
        session=session,
        role=role,
        version=session_version(session_id=session.pk),
        actions=room_actions(session=session, role=role),
        rating=rating,
        attachments=attachments,
    )


@dataclass(frozen=True)
class PersonPresence:
    who: str  # "Your mechanic Mike", "The customer Alice"
    presence: Presence


def room_presence(*, session: Session, user: User) -> list[PersonPresence]:
    """Where the other side is (both sides, for staff): one query on the participant rows."""
    role = room_role(session=session, user=user)
    rows = {
        p.role: p for p in SessionParticipant.objects.filter(session_id=session.pk).exclude(user_id=user.pk)
    }
    people = []
    if role != "mechanic" and session.mechanic is not None:
        row = rows.get(SessionParticipant.Role.MECHANIC)
        who = (
            f"Your mechanic {session.mechanic.display_name}"
            if role == "customer"
            else session.mechanic.display_name
        )
        people.append(
            PersonPresence(who, presence_of(row.last_seen_at if row else None, row.left_at if row else None))
        )
    if role != "customer":
        row = rows.get(SessionParticipant.Role.CUSTOMER)
        who = (
            f"The customer {session.customer.full_name}" if role == "mechanic" else session.customer.full_name
        )
        people.append(
            PersonPresence(who, presence_of(row.last_seen_at if row else None, row.left_at if row else None))
        )
    return people


def attachment_for_viewer(*, user: User, attachment_id: int) -> SessionAttachment | None:
    """A room attachment if `user` may see its session (customer, mechanic, staff); else None."""
    attachment = (
        SessionAttachment.objects.select_related("session__customer", "session__mechanic")
        .filter(pk=attachment_id)
        .first()
    )
    if attachment is None or not user_can_view_session(user=user, session=attachment.session):
        return None
    return attachment


def chat_lines(*, session: Session, user: User, after: int = 0) -> list[ChatLine]:
    """Messages newer than `after` (all recent ones when 0), oldest first, labelled for `user`."""
    qs = SessionMessage.objects.filter(session_id=session.pk).select_related("sender__mechanic", "attachment")
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
                attachment=getattr(message, "attachment", None),
            )
        )
    return lines
