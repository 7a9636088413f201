from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer, PayWith
from mechanics.models import Mechanic

from .transitions import (
    ACTIVE_STATUSES,
    OPEN_ASSIGNMENT_STATUSES,
    SESSION_ONLY_EVENTS,
    UNASSIGNED_STATUSES,
    WORKING_STATUSES,
    AssignmentStatus,
    SessionEventType,
    SessionStatus,
    SessionType,
)


class Plan(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    session_type = models.CharField(max_length=12, choices=SessionType.choices)
    duration_minutes = models.PositiveSmallIntegerField()
    price_cents = models.PositiveIntegerField(default=0)
    currency = models.CharField(max_length=3, default="usd")
    credit_cost = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)
    # route (issue 14): how much of a mechanic's capacity budget (Mechanic.max_active_sessions)
    # one session of this plan takes. Defaults by type: chat 1, video 2, diagnostic 2.
    capacity_weight = models.PositiveSmallIntegerField(
        default=1,
        help_text="Share of a mechanic's capacity budget one session takes (chat 1, video 2, diagnostic 2).",
    )

    class Meta:
        ordering = ["price_cents", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity_weight__gte=1), name="plan_capacity_weight_at_least_one"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_free(self) -> bool:
        return not self.price_cents and not self.credit_cost

    @property
    def price_display(self) -> str:
        return f"${self.price_cents / 100:.2f}" if self.price_cents else "Free"


class SessionQuerySet(models.QuerySet["Session"]):
    """The session sets the rules speak of, named once."""

    def active(self) -> "SessionQuerySet":
        """Pending, scheduled, waiting or live: at most one per customer (SPEC §3, invariant 1)."""
        return self.filter(status__in=ACTIVE_STATUSES)

    def working(self) -> "SessionQuerySet":
        """Waiting or live: what counts against a mechanic's capacity."""
        return self.filter(status__in=WORKING_STATUSES)

    def for_customer(self, customer: Customer | int) -> "SessionQuerySet":
        return self.filter(customer=customer)

    def for_mechanic(self, mechanic: Mechanic | int) -> "SessionQuerySet":
        return self.filter(mechanic=mechanic)

    def expiry_due(self, *, now: datetime) -> "SessionQuerySet":
        """Pending or waiting, past their deadline (Session.expires_at) at `now`."""
        cutoff = now - timedelta(minutes=settings.EXPIRE_AFTER_MINUTES)
        past = Q(wait_extended_until__isnull=True, queued_at__lt=cutoff) | Q(wait_extended_until__lt=now)
        return self.filter(past, status__in=(SessionStatus.PENDING, SessionStatus.WAITING))


SessionManager = models.Manager.from_queryset(SessionQuerySet)


class Session(models.Model):
    type = models.CharField(max_length=12, choices=SessionType.choices)
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="sessions")
    payment_method = models.CharField(max_length=10, choices=PayWith.choices, default=PayWith.FREE)
    # Written only by sessions_app.services (the lifecycle); never edit it anywhere else.
    status = models.CharField(max_length=12, choices=SessionStatus.choices, default=SessionStatus.PENDING)
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="sessions")
    mechanic = models.ForeignKey(
        "mechanics.Mechanic", null=True, blank=True, on_delete=models.PROTECT, related_name="sessions"
    )
    intake = models.ForeignKey(
        "customers.Intake", null=True, blank=True, on_delete=models.PROTECT, related_name="sessions"
    )
    stripe_checkout_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    urgent = models.BooleanField(default=False)
    workshop = models.ForeignKey(
        "mechanics.Workshop", null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions"
    )
    scheduled_for = models.DateTimeField(null=True, blank=True)
    # When the session entered the queue (creation, or promotion for scheduled sessions). A
    # released session goes back in at this time, so it keeps its place.
    queued_at = models.DateTimeField(null=True, blank=True)
    # Ask before expiry (sessions_app.services.waiting): when the customer was asked "keep waiting
    # or cancel?" (once), and the deadline they extended to by keeping waiting (once). Without an
    # extension the session expires EXPIRE_AFTER_MINUTES after queued_at (see expires_at).
    wait_asked_at = models.DateTimeField(null=True, blank=True)
    wait_extended_until = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    duration_minutes = models.PositiveIntegerField(null=True, blank=True)
    summary = models.TextField(blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SessionManager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="one_active_session_per_customer",
            ),
            models.CheckConstraint(
                condition=(
                    (Q(status__in=WORKING_STATUSES) & Q(mechanic__isnull=False))
                    | (Q(status__in=UNASSIGNED_STATUSES) & Q(mechanic__isnull=True))
                    | ~Q(status__in=WORKING_STATUSES + UNASSIGNED_STATUSES)
                ),
                name="session_status_matches_mechanic",
            ),
        ]
        indexes = [
            models.Index(fields=["mechanic", "status"], name="session_mechanic_status"),
            models.Index(fields=["customer", "-created_at"], name="session_customer_recent"),
            models.Index(fields=["status", "queued_at"], name="session_status_queued"),
            models.Index(fields=["status", "scheduled_for"], name="session_status_scheduled"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_type_display()} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse(f"room_{self.type}", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def expires_at(self) -> datetime | None:
        """When the expiry job may expire it (if nobody takes it): EXPIRE_AFTER_MINUTES after it
        joined the queue, or the deadline the customer extended to. None before it is queued."""
        if self.wait_extended_until is not None:
            return self.wait_extended_until
        if self.queued_at is None:
            return None
        return self.queued_at + timedelta(minutes=settings.EXPIRE_AFTER_MINUTES)


class SessionParticipant(models.Model):
    class Role(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        MECHANIC = "mechanic", "Mechanic"

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="session_participations"
    )
    role = models.CharField(max_length=10, choices=Role.choices)
    joined_at = models.DateTimeField(auto_now_add=True)
    # Presence in the room (sessions_app.services.presence): the last join or heartbeat, and when
    # they last left (pagehide). In the room: seen recently and not left since.
    last_seen_at = models.DateTimeField(null=True, blank=True)
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["joined_at"]
        constraints = [models.UniqueConstraint(fields=["session", "user"], name="one_participation_per_user")]

    def __str__(self) -> str:
        return f"{self.user} as {self.role} in #{self.session_id}"


class SessionAssignment(models.Model):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="assignments")
    status = models.CharField(
        max_length=12, choices=AssignmentStatus.choices, default=AssignmentStatus.QUEUED
    )
    mechanic = models.ForeignKey(
        "mechanics.Mechanic", null=True, blank=True, on_delete=models.PROTECT, related_name="assignments"
    )
    workshop = models.ForeignKey(
        "mechanics.Workshop", null=True, blank=True, on_delete=models.SET_NULL, related_name="assignments"
    )
    urgent = models.BooleanField(default=False)
    # Place in the queue: copied from Session.queued_at, so a re-queued session keeps it.
    queued_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # --- route: the first-look window (issue 14, sessions_app.services.first_look). Until
    # first_look_until only the mechanics in offered_to (available, matching, with room for it
    # when it was queued) see and may take it; opened_at is when it opened to everyone (at the
    # window's end, or at once when nobody matched). Both null: no window (off, or re-queued).
    first_look_until = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    offered_to = models.ManyToManyField(
        "mechanics.Mechanic",
        blank=True,
        related_name="first_look_offers",
        verbose_name="first look offered to",
    )

    class Meta:
        ordering = ["-urgent", "queued_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session"],
                condition=Q(status__in=OPEN_ASSIGNMENT_STATUSES),
                name="one_open_assignment_per_session",
            ),
        ]
        indexes = [
            models.Index(
                fields=["-urgent", "queued_at", "id"],
                condition=Q(status="queued"),
                name="assignment_queue_order",
            ),
            models.Index(fields=["status", "accepted_at"], name="assignment_status_accepted"),
            models.Index(
                fields=["first_look_until"],
                condition=Q(status="queued", opened_at__isnull=True, first_look_until__isnull=False),
                name="assignment_first_look_due",
            ),
        ]

    def __str__(self) -> str:
        return f"Assignment #{self.pk} of session #{self.session_id} ({self.status})"


class SessionEvent(models.Model):
    """Append-only audit trail; replaying from/to statuses gives the session's status."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=30, choices=SessionEventType.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["session", "id"], name="event_session_id"),
            # The shared state version's scan (sessions_app.selectors.state_version_sql).
            models.Index(fields=["-id"], name="event_shared_id", condition=~Q(type__in=SESSION_ONLY_EVENTS)),
        ]

    def __str__(self) -> str:
        return f"{self.type} on #{self.session_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Session events are append-only.")
        super().save(*args, **kwargs)


class SessionMessage(models.Model):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="session_messages"
    )
    body = models.TextField(max_length=4000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["session", "id"], name="message_session_id")]

    def __str__(self) -> str:
        return f"Message #{self.pk} in #{self.session_id}"


class Rating(models.Model):
    session = models.OneToOneField(Session, on_delete=models.CASCADE, related_name="rating")
    stars = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(stars__gte=1, stars__lte=5), name="rating_stars_1_to_5")
        ]

    def __str__(self) -> str:
        return f"{self.stars}★ for #{self.session_id}"


class SessionAttachment(models.Model):
    """A photo or clip shared in a room's chat (or the mechanic's snapshot of the video). It is
    carried in the chat by its own message line, so the chat's `?after=<id>` polling covers it."""

    class Source(models.TextChoices):
        CHAT = "chat", "Chat"
        SNAPSHOT = "snapshot", "Snapshot"

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attachments")
    message = models.OneToOneField(
        SessionMessage, null=True, blank=True, on_delete=models.CASCADE, related_name="attachment"
    )
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="session_attachments"
    )
    # Random names under MEDIA_ROOT (autodoctor.uploads); served only by the room's checking view.
    file = models.FileField(upload_to="session-attachments/%Y/%m/")
    thumbnail = models.FileField(upload_to="session-thumbnails/%Y/%m/", blank=True)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.CHAT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["session", "id"], name="attachment_session_id"),
            models.Index(fields=["uploader", "-created_at"], name="attachment_uploader_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} in #{self.session_id}"

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @property
    def kind(self) -> str:
        if self.source == self.Source.SNAPSHOT:
            return "snapshot"
        return "photo" if self.is_image else "video"


class AcceptMiss(models.Model):
    """An accept refused because another mechanic won the race (issue 14: contention metrics).
    The refused accept's own transaction rolls back and writes nothing; this row is written after
    it, outside the locked section (sessions_app.services.contention)."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="accept_misses")
    mechanic = models.ForeignKey(Mechanic, on_delete=models.CASCADE, related_name="accept_misses")
    code = models.CharField(max_length=40)  # the DomainError code the mechanic got, e.g. already_taken
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["at"], name="accept_miss_at")]

    def __str__(self) -> str:
        return f"{self.code} for {self.mechanic_id} on #{self.session_id}"


class SessionTransfer(models.Model):
    """An offer of a waiting or live session by its mechanic to a named colleague, and its answer
    (sessions_app.services.transfers). At most one open offer per session."""

    class Status(models.TextChoices):
        OFFERED = "offered", "Offered"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        LAPSED = "lapsed", "Not answered in time"
        WITHDRAWN = "withdrawn", "Withdrawn"

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="transfers")
    from_mechanic = models.ForeignKey(
        "mechanics.Mechanic", on_delete=models.PROTECT, related_name="transfers_offered"
    )
    to_mechanic = models.ForeignKey(
        "mechanics.Mechanic", on_delete=models.PROTECT, related_name="transfers_received"
    )
    note = models.TextField(max_length=1000, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OFFERED)
    reason = models.TextField(max_length=500, blank=True)  # the colleague's, when declining
    created_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session"], condition=Q(status="offered"), name="one_open_transfer_per_session"
            ),
            models.CheckConstraint(
                condition=~Q(from_mechanic=models.F("to_mechanic")), name="transfer_to_someone_else"
            ),
        ]
        indexes = [
            models.Index(fields=["to_mechanic", "status"], name="transfer_to_status"),
            models.Index(fields=["status", "created_at"], name="transfer_status_created"),
        ]

    def __str__(self) -> str:
        return f"Transfer #{self.pk} of #{self.session_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OFFERED
