from datetime import time

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from autodoctor.errors import DomainError
from autodoctor.timezones import validate_time_zone
from sessions_app.events import event_record
from sessions_app.models import Session, SessionEvent
from sessions_app.transitions import SessionEventType

from .models import Mechanic, Workshop


def workshop_get_or_create(*, name: str) -> Workshop:
    workshop, _ = Workshop.objects.get_or_create(name=name.strip())
    return workshop


def mechanic_create(
    *,
    username: str,
    password: str,
    display_name: str = "",
    email: str = "",
    workshop: Workshop | None = None,
    capacity: int = 1,
) -> Mechanic:
    """A user with a Mechanic profile. Mechanics are created by staff, never by sign-up."""
    if capacity < 1:
        raise ValueError("Capacity must be at least 1.")
    User = get_user_model()
    with transaction.atomic():
        user = User.objects.create_user(username=username, password=password, email=email)
        return Mechanic.objects.create(
            user=user,
            display_name=display_name or username.capitalize(),
            workshop=workshop,
            max_active_sessions=capacity,
        )


def mechanic_set_availability(*, mechanic: Mechanic, available: bool) -> Mechanic:
    mechanic.availability = Mechanic.Availability.AVAILABLE if available else Mechanic.Availability.AWAY
    mechanic.save(update_fields=["availability"])
    return mechanic


def mechanic_update_settings(
    *,
    mechanic: Mechanic,
    email_notifications: bool,
    show_dashboard_tip: bool,
    quiet_hours_start: time | None = None,
    quiet_hours_end: time | None = None,
    time_zone: str | None = None,
) -> Mechanic:
    """What the Settings page saves: the preferences, the request emails' quiet hours (local
    time, both or neither; may wrap midnight) and the time zone they are read in (None: kept)."""
    if (quiet_hours_start is None) != (quiet_hours_end is None):
        raise DomainError(
            "invalid_input",
            "Give both a start and an end for quiet hours, or leave both empty for none.",
            field="quiet_hours_end" if quiet_hours_end is None else "quiet_hours_start",
        )
    mechanic.email_notifications = email_notifications
    mechanic.show_dashboard_tip = show_dashboard_tip
    mechanic.quiet_hours_start = quiet_hours_start
    mechanic.quiet_hours_end = quiet_hours_end
    fields = ["email_notifications", "show_dashboard_tip", "quiet_hours_start", "quiet_hours_end"]
    if time_zone is not None:
        try:
            validate_time_zone(time_zone)
        except ValidationError as exc:
            raise DomainError("invalid_input", exc.messages[0], field="time_zone") from None
        mechanic.time_zone = time_zone
        fields.append("time_zone")
    mechanic.save(update_fields=fields)
    return mechanic


def mechanic_update_expertise(
    *,
    mechanic: Mechanic,
    makes: list[str],
    systems: list[str],
    session_types: list[str],
    languages: list[str],
) -> Mechanic:
    """Settings › Your expertise (route, issue 14). Takes effect for requests queued from now on
    (a first look already offered keeps its list) and for the queue's badges and order at once."""
    mechanic.specialty_makes = list(makes)
    mechanic.specialty_systems = list(systems)
    mechanic.specialty_session_types = list(session_types)
    mechanic.specialty_languages = list(languages)
    mechanic.save(
        update_fields=[
            "specialty_makes",
            "specialty_systems",
            "specialty_session_types",
            "specialty_languages",
        ]
    )
    return mechanic


def mechanic_dismiss_tip(*, mechanic: Mechanic) -> Mechanic:
    """The dashboard's "How it works" tip, dismissed for good (Settings can bring it back)."""
    mechanic.show_dashboard_tip = False
    mechanic.save(update_fields=["show_dashboard_tip"])
    return mechanic


def request_viewed_record(*, session: Session, mechanic: Mechanic) -> bool:
    """Record that `mechanic` opened the Details of a queued request (REQUEST_VIEWED), at most
    once per mechanic and session; True when this call recorded it.

    It never locks the request: the row locked is the mechanic's own, which serialises their
    tabs (so two at once record once) without holding up anyone accepting the session."""
    seen = SessionEvent.objects.filter(
        session=session, type=SessionEventType.REQUEST_VIEWED, actor_id=mechanic.user_id
    )
    if seen.exists():  # the common case, a second look: no lock, no transaction
        return False
    with transaction.atomic():
        Mechanic.objects.select_for_update().filter(pk=mechanic.pk).first()
        if seen.exists():  # another tab of theirs recorded it meanwhile
            return False
        event_record(
            session=session,
            type=SessionEventType.REQUEST_VIEWED,
            actor=mechanic.user,
            data={"mechanic": mechanic.pk},
        )
        return True
