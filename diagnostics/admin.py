"""Diagnoses in admin, read-only: they change only through the toolkit and the API (the services
record every edit as an event)."""

from django.contrib import admin
from django.http import HttpRequest

from .models import Diagnosis, DiagnosticCode, Finding


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Diagnosis)
class DiagnosisAdmin(ReadOnlyAdmin):
    list_display = ("session", "version", "updated_at")
    raw_id_fields = ("session",)


@admin.register(DiagnosticCode)
class DiagnosticCodeAdmin(ReadOnlyAdmin):
    list_display = ("code", "status", "description", "session", "created_at")
    list_filter = ("status",)
    search_fields = ("code", "description")
    raw_id_fields = ("session", "added_by")


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdmin):
    list_display = ("session", "system", "severity", "cost_min_cents", "cost_max_cents", "created_at")
    list_filter = ("system", "severity")
    raw_id_fields = ("session",)
