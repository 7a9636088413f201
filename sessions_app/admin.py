"""Staff see everything; status is never an editable field. Actions call the lifecycle services."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.models import User
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from autodoctor.admin_base import ReadOnlyAdmin
from autodoctor.errors import DomainError

from .models import (
    AcceptMiss,
    Plan,
    Rating,
    Session,
    SessionAssignment,
    SessionAttachment,
    SessionEvent,
    SessionMessage,
    SessionParticipant,
    SessionTransfer,
)
from .selectors import sessions_absent
from .services import session_cancel, session_expire, session_refund, session_release
from .transitions import TRANSITIONS, can


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "session_type",
        "duration_minutes",
        "price_display",
        "credit_cost",
        "capacity_weight",
        "active",
    )
    list_filter = ("session_type", "active")
    search_fields = ("code", "name")


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class ParticipantInline(ReadOnlyInline):
    model = SessionParticipant
    fields = ("user", "role", "joined_at", "last_seen_at", "left_at")
    readonly_fields = fields


class AssignmentInline(ReadOnlyInline):
    model = SessionAssignment
    fields = (
        "status",
        "mechanic",
        "workshop",
        "urgent",
        "queued_at",
        "accepted_at",
        "closed_at",
        "first_look_until",  # route (issue 14)
        "offered_to_names",
        "opened_at",
    )
    readonly_fields = fields

    @admin.display(description="first look offered to")
    def offered_to_names(self, obj: SessionAssignment) -> str:
        return offered_to_names(obj)


def offered_to_names(assignment: SessionAssignment) -> str:
    """Who a first look was offered to, by display name ("—" when it had none)."""
    names = [str(mechanic) for mechanic in assignment.offered_to.all()]
    return ", ".join(names) or "—"


class FirstLookFilter(admin.SimpleListFilter):
    """route (issue 14): queued requests still offered only to matching mechanics."""

    title = "first look"
    parameter_name = "first_look"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("now", "In first look now"),
            ("had", "Had a first look"),
            ("opened", "Opened to all at once"),
        ]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[SessionAssignment]
    ) -> QuerySet[SessionAssignment]:
        if self.value() == "now":
            return queryset.filter(
                status="queued", opened_at__isnull=True, first_look_until__gt=timezone.now()
            )
        if self.value() == "had":
            return queryset.filter(first_look_until__isnull=False)
        if self.value() == "opened":
            return queryset.filter(first_look_until__isnull=True, opened_at__isnull=False)
        return queryset


class EventInline(ReadOnlyInline):
    model = SessionEvent
    fields = ("created_at", "type", "from_status", "to_status", "actor", "data")
    readonly_fields = fields
    ordering = ("id",)


# What staff may do to sessions from the list, by transition, and what it means for them. The
# table says when (can) and what the action is called (Transition.label); a new staff action is
# one line here.
StaffMove = Callable[[Session, User], Session]
STAFF_MOVES: dict[str, tuple[StaffMove, str]] = {
    "release": (
        lambda s, staff: session_release(session=s, mechanic=None, reason="staff"),
        "back to the queue, keeps its place",
    ),
    "cancel": (
        lambda s, staff: session_cancel(session=s, user=staff, reason="staff"),
        "refunds if it never went live",
    ),
    "expire": (lambda s, staff: session_expire(session=s), "refunds if it never went live"),
}


ActionFunc = Callable[["admin.ModelAdmin[Session]", HttpRequest, "QuerySet[Session]"], None]


def _staff_action(action: str) -> ActionFunc:
    """The admin action `<transition>_sessions`: named, labelled and allowed by the table."""
    move, note = STAFF_MOVES[action]
    label = TRANSITIONS[action].label

    @admin.action(description=f"{label} ({note})")
    def apply(
        modeladmin: "admin.ModelAdmin[Session]", request: HttpRequest, queryset: "QuerySet[Session]"
    ) -> None:
        staff = request.user
        assert isinstance(staff, User)  # the admin site lets only signed-in staff this far
        done, refused = 0, []
        for session in queryset:
            if not can(action, session.status):
                refused.append(f"#{session.pk} is {session.status}")
                continue
            try:
                move(session, staff)
                done += 1
            except DomainError as exc:
                refused.append(f"#{session.pk}: {exc.detail}")
        if done:
            modeladmin.message_user(request, f"{label}: {done} session(s) done.", messages.SUCCESS)
        if refused:
            modeladmin.message_user(request, f"{label}, not done: " + "; ".join(refused), messages.WARNING)

    apply.__name__ = f"{action}_sessions"
    return apply


class RoomPresenceFilter(admin.SimpleListFilter):
    """Staff see the live sessions nobody has been in for 10 minutes (the absence sweep's rule)."""

    title = "room presence"
    parameter_name = "room"

    def lookups(
        self, request: HttpRequest, model_admin: "admin.ModelAdmin[Session]"
    ) -> list[tuple[str, str]]:
        return [("absent", "Live, nobody in the room for 10+ min")]

    def queryset(self, request: HttpRequest, queryset: "QuerySet[Session]") -> "QuerySet[Session]":
        if self.value() == "absent":
            return queryset.filter(pk__in=sessions_absent().values("pk"))
        return queryset


# --- issue 13: staff refund a completed session (full or partial, card or credits) -------------


class SessionRefundForm(forms.Form):
    method = forms.ChoiceField(choices=[("card", "Card (through Stripe)"), ("credits", "Credits")])
    amount = forms.DecimalField(
        required=False,
        min_value=Decimal("0.01"),
        max_digits=9,
        decimal_places=2,
        help_text="Card: in dollars.",
    )
    credits = forms.IntegerField(required=False, min_value=1, max_value=1000, help_text="Credits: how many.")
    reason = forms.CharField(max_length=200, help_text="The customer reads it in the email.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("method") == "card" and not data.get("amount"):
            self.add_error("amount", "Give the amount to refund to the card.")
        if data.get("method") == "credits" and not data.get("credits"):
            self.add_error("credits", "Give the number of credits to give back.")
        return data


@admin.action(description="Refund a completed session…")
def refund_session(
    modeladmin: "admin.ModelAdmin[Session]", request: HttpRequest, queryset: "QuerySet[Session]"
) -> HttpResponse | None:
    if queryset.count() != 1:
        modeladmin.message_user(request, "Refund one session at a time.", messages.WARNING)
        return None
    session = queryset.select_related("plan", "customer").get()
    form = SessionRefundForm(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        data = form.cleaned_data
        try:
            refund = session_refund(
                session=session,
                method=data["method"],
                amount_cents=int((data.get("amount") or 0) * 100),
                credits=data.get("credits") or 0,
                reason=data["reason"],
                actor=request.user if isinstance(request.user, User) else None,
            )
        except DomainError as exc:
            form.add_error(None, exc.detail)
        else:
            modeladmin.message_user(
                request, f"{refund} for session #{session.pk} recorded.", messages.SUCCESS
            )
            return None
    return render(
        request,
        "admin/refund_session.html",
        {
            **modeladmin.admin_site.each_context(request),
            "session": session,
            "form": form,
            "title": f"Refund session #{session.pk}",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        },
    )


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "type",
        "status",
        "customer",
        "mechanic",
        "plan",
        "payment_method",
        "urgent",
        "created_at",
    )
    list_filter = ("status", RoomPresenceFilter, "type", "payment_method", "urgent", "plan", "created_at")
    search_fields = (
        "id",
        "customer__full_name",
        "customer__user__username",
        "mechanic__display_name",
        "stripe_checkout_id",
    )
    date_hierarchy = "created_at"
    list_select_related = ("customer", "mechanic", "plan")
    actions = (*(_staff_action(action) for action in STAFF_MOVES), refund_session)
    inlines = (ParticipantInline, AssignmentInline, EventInline)
    readonly_fields = (
        "type",
        "plan",
        "payment_method",
        "status",
        "customer",
        "mechanic",
        "intake",
        "stripe_checkout_id",
        "urgent",
        "workshop",
        "scheduled_for",
        "queued_at",
        "wait_asked_at",  # issue 14: ask before expiry
        "wait_extended_until",
        "started_at",
        "ended_at",
        "duration_minutes",
        "created_at",
        "updated_at",
    )
    fields = readonly_fields + ("summary", "metadata")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # sessions are created only by the factory (the customer flow)

    def has_delete_permission(self, request: HttpRequest, obj: Session | None = None) -> bool:
        return False  # a session is history (events, payments, chat): end it with an action instead


@admin.register(SessionAssignment)
class SessionAssignmentAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "session",
        "status",
        "mechanic",
        "workshop",
        "urgent",
        "queued_at",
        "accepted_at",
        "closed_at",
        "first_look_until",
        "offered_to_list",
        "opened_at",
    )
    list_filter = ("status", FirstLookFilter, "urgent", "workshop")
    search_fields = ("session__id", "mechanic__display_name")
    list_select_related = ("session", "mechanic", "workshop")

    def get_queryset(self, request: HttpRequest) -> QuerySet[SessionAssignment]:
        return super().get_queryset(request).prefetch_related("offered_to")

    @admin.display(description="first look offered to")
    def offered_to_list(self, obj: SessionAssignment) -> str:
        return offered_to_names(obj)


@admin.register(SessionEvent)
class SessionEventAdmin(ReadOnlyAdmin):
    list_display = ("id", "session", "type", "from_status", "to_status", "actor", "created_at")
    list_filter = ("type", "to_status", "created_at")
    search_fields = ("session__id", "actor__username", "type")
    list_select_related = ("session", "actor")


@admin.register(SessionMessage)
class SessionMessageAdmin(admin.ModelAdmin):
    list_display = ("id", "session", "sender", "created_at")
    search_fields = ("session__id", "sender__username", "body")
    list_select_related = ("session", "sender")
    readonly_fields = ("session", "sender", "created_at")


@admin.register(SessionAttachment)
class SessionAttachmentAdmin(ReadOnlyAdmin):
    """Photos and clips shared in rooms; the file opens through the room's checking view."""

    list_display = (
        "id",
        "session",
        "uploader",
        "original_name",
        "content_type",
        "size",
        "source",
        "created_at",
    )
    list_filter = ("source", "content_type", "created_at")
    list_select_related = ("session", "uploader")
    search_fields = ("session__id", "original_name", "uploader__username")


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ("session", "stars", "created_at")
    list_filter = ("stars",)
    search_fields = ("session__id", "comment")
    readonly_fields = ("session",)


@admin.register(AcceptMiss)
class AcceptMissAdmin(ReadOnlyAdmin):
    """Accepts lost to a race (issue 14: contention metrics); written by the service only."""

    list_display = ("id", "session", "mechanic", "code", "at")
    list_filter = ("code", "at")
    search_fields = ("session__id", "mechanic__display_name")
    list_select_related = ("session", "mechanic")


# --- issue 14: transfers to a colleague (written only by sessions_app.services.transfers) ---------


@admin.register(SessionTransfer)
class SessionTransferAdmin(ReadOnlyAdmin):
    list_display = ("id", "session", "status", "from_mechanic", "to_mechanic", "created_at", "answered_at")
    list_filter = ("status", "created_at")
    search_fields = ("session__id", "from_mechanic__display_name", "to_mechanic__display_name")
    list_select_related = ("session", "from_mechanic", "to_mechanic")
