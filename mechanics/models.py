from django.conf import settings
from django.db import models

from autodoctor.timezones import DEFAULT_TIME_ZONE, validate_time_zone


class Workshop(models.Model):
    name = models.CharField(max_length=120, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Mechanic(models.Model):
    class Availability(models.TextChoices):
        AVAILABLE = "available", "Available"
        AWAY = "away", "Away"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mechanic")
    display_name = models.CharField(max_length=120)
    workshop = models.ForeignKey(
        Workshop, null=True, blank=True, on_delete=models.SET_NULL, related_name="mechanics"
    )
    # The capacity budget: the sum of the capacity weights of the plans of their waiting and live
    # sessions may not pass it (sessions_app.services.lifecycle._require_capacity).
    max_active_sessions = models.PositiveSmallIntegerField(
        default=1,
        verbose_name="capacity budget",
        help_text="Sum of plan capacity weights this mechanic may hold at once (chat 1, video 2, diagnostic 2 by default).",
    )
    availability = models.CharField(
        max_length=12, choices=Availability.choices, default=Availability.AVAILABLE
    )
    email_notifications = models.BooleanField(default=True)
    # The dashboard's "How it works" tip, until the mechanic dismisses it (Settings shows it again).
    show_dashboard_tip = models.BooleanField(default=True)
    # IANA name (autodoctor.timezones): pages, emails and reports show this person's local time.
    time_zone = models.CharField(max_length=64, default=DEFAULT_TIME_ZONE, validators=[validate_time_zone])
    # --- route: expertise (issue 14). Lists, so SQLite and PostgreSQL both store them as JSON.
    # Makes as the mechanic writes them (compared case-insensitively), systems from
    # autodoctor.vocabulary.VehicleSystem, session types (chat/video/diagnostic), language codes
    # from autodoctor.vocabulary.Language. sessions_app.routing.match() reads them.
    specialty_makes = models.JSONField(default=list, blank=True)
    specialty_systems = models.JSONField(default=list, blank=True)
    specialty_session_types = models.JSONField(default=list, blank=True)
    specialty_languages = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["display_name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_active_sessions__gte=1), name="mechanic_capacity_at_least_one"
            )
        ]

    def __str__(self) -> str:
        return self.display_name
