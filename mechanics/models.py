from datetime import datetime

from django.conf import settings
from django.db import models

from autodoctor.timezones import DEFAULT_TIME_ZONE, validate_time_zone, zone_of


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
    # --- issue 14, request emails (sessions_app.services.digests) ---------------------------
    # Quiet hours, local time in `time_zone`: no request emails from start until end (may wrap
    # midnight, e.g. 22:00-07:00). Both empty: none.
    quiet_hours_start = models.TimeField(null=True, blank=True)
    quiet_hours_end = models.TimeField(null=True, blank=True)
    # When the last request email went out: at most one per QUEUE_EMAIL_EVERY_MINUTES (taken
    # under this row's lock, so two workers never both send).
    queue_email_sent_at = models.DateTimeField(null=True, blank=True)
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
            ),
            models.CheckConstraint(
                condition=models.Q(quiet_hours_start__isnull=True, quiet_hours_end__isnull=True)
                | models.Q(quiet_hours_start__isnull=False, quiet_hours_end__isnull=False),
                name="mechanic_quiet_hours_both_or_neither",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    def in_quiet_hours(self, moment: datetime) -> bool:
        """Whether `moment` falls in this mechanic's quiet hours, read in their own time zone."""
        start, end = self.quiet_hours_start, self.quiet_hours_end
        if start is None or end is None or start == end:
            return False
        local = moment.astimezone(zone_of(self.time_zone)).time()
        if start < end:
            return start <= local < end
        return local >= start or local < end  # wraps midnight


class QueueNotice(models.Model):
    """A queued request a mechanic is still owed a request email about (issue 14). Written when
    the request enters the queue, deleted when the email that lists it goes out or the request
    leaves the queue (sessions_app.services.digests)."""

    mechanic = models.ForeignKey(Mechanic, on_delete=models.CASCADE, related_name="queue_notices")
    assignment = models.ForeignKey(
        "sessions_app.SessionAssignment", on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["mechanic", "assignment"], name="one_queue_notice_per_request")
        ]

    def __str__(self) -> str:
        return f"Request #{self.assignment_id} for {self.mechanic_id}"
