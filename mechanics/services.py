from django.contrib.auth import get_user_model
from django.db import transaction

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
