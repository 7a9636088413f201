"""The structured diagnosis of a session (SPEC §7 Diagnostics): trouble codes, findings and the
systems checked. Written only by diagnostics.services; every change is a DIAGNOSIS_EDITED event."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from autodoctor.vocabulary import VehicleSystem

# A finding's system: the same words as a request's and a mechanic's expertise (issue 14).
System = VehicleSystem


class Severity(models.TextChoices):
    """Worst last: the report orders findings by it, most urgent first."""

    SAFE = "safe", "Safe to drive"
    SOON = "soon", "Fix soon"
    STOP = "stop", "Stop driving"


SEVERITY_RANK = {Severity.STOP: 0, Severity.SOON: 1, Severity.SAFE: 2}


class CodeStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PENDING = "pending", "Pending"
    CLEARED = "cleared", "Cleared"


class Diagnosis(models.Model):
    """One per session, created with its first edit: the version every edit bumps, and the
    checklist of systems inspected."""

    session = models.OneToOneField("sessions_app.Session", on_delete=models.CASCADE, related_name="diagnosis")
    version = models.PositiveIntegerField(default=0)
    systems_checked = models.JSONField(default=list, blank=True)  # System values, in System order
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "diagnoses"

    def __str__(self) -> str:
        return f"Diagnosis of session #{self.session_id} (v{self.version})"

    def systems_checked_labels(self) -> list[str]:
        return [System(value).label for value in self.systems_checked if value in System.values]


class DiagnosticCode(models.Model):
    session = models.ForeignKey(
        "sessions_app.Session", on_delete=models.CASCADE, related_name="diagnostic_codes"
    )
    code = models.CharField(max_length=5)
    status = models.CharField(max_length=10, choices=CodeStatus.choices, default=CodeStatus.ACTIVE)
    # The table's description when the code was entered, else its structural meaning.
    description = models.CharField(max_length=200)
    notes = models.TextField(blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["session", "code"], name="one_row_per_code_per_session")
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.status})"


class Finding(models.Model):
    session = models.ForeignKey("sessions_app.Session", on_delete=models.CASCADE, related_name="findings")
    system = models.CharField(max_length=20, choices=System.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    observed = models.TextField()
    recommendation = models.TextField(blank=True)
    cost_min_cents = models.PositiveIntegerField(null=True, blank=True)
    cost_max_cents = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(cost_min_cents__isnull=True, cost_max_cents__isnull=True)
                | Q(cost_min_cents__gte=0, cost_max_cents__gte=F("cost_min_cents")),
                name="finding_cost_range_is_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_system_display()}: {self.get_severity_display()}"

    @property
    def has_cost(self) -> bool:
        return self.cost_min_cents is not None
