from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from sessions_app.services import session_force_end_all

from .models import Mechanic, Workshop


@admin.register(Workshop)
class WorkshopAdmin(admin.ModelAdmin):
    list_display = ("name",)
    search_fields = ("name",)


@admin.action(description="Force end all their active sessions")
def force_end_all(
    modeladmin: "admin.ModelAdmin[Mechanic]", request: HttpRequest, queryset: QuerySet[Mechanic]
) -> None:
    for mechanic in queryset:
        counts = session_force_end_all(mechanic=mechanic)
        modeladmin.message_user(
            request,
            f"{mechanic}: released {counts['released']}, completed {counts['completed']}.",
            messages.SUCCESS,
        )


@admin.register(Mechanic)
class MechanicAdmin(admin.ModelAdmin):
    list_display = (
        "display_name",
        "user",
        "workshop",
        "max_active_sessions",
        "availability",
        "email_notifications",
    )
    list_filter = ("workshop", "availability", "email_notifications")
    search_fields = ("display_name", "user__username", "user__email")
    list_select_related = ("user", "workshop")
    actions = (force_end_all,)
    readonly_fields = ("queue_email_sent_at",)  # issue 14: the request emails' batching stamp
