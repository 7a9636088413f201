"""Intake: the customer's description of the problem, with its attachments."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from autodoctor.ratelimit import rate_limit_check
from autodoctor.uploads import CheckedUpload
from customers.models import Customer, Intake, IntakeAttachment
from sessions_app.models import Plan, Session
from sessions_app.wording import active_session_refusal


@dataclass
class IntakeDetails:
    """The checked fields of an intake (from IntakeForm.cleaned_data, on the page and in the API)."""

    plan: Plan
    pay_with: str
    concern: str
    vehicle_year: int | None = None
    vehicle_make: str = ""
    vehicle_model: str = ""
    vin: str = ""
    mileage: int | None = None
    urgent: bool = False
    scheduled_for: datetime | None = None
    uploads: list[CheckedUpload] = field(default_factory=list)
    system: str = ""  # route (issue 14)
    language: str = ""

    @classmethod
    def from_cleaned(cls, data: dict, uploads: list[CheckedUpload]) -> "IntakeDetails":
        return cls(
            plan=data["plan"],
            pay_with=data["pay_with"],
            concern=data["concern"],
            vehicle_year=data.get("vehicle_year"),
            vehicle_make=(data.get("vehicle_make") or "").strip(),
            vehicle_model=(data.get("vehicle_model") or "").strip(),
            vin=data.get("vin") or "",
            mileage=data.get("mileage"),
            urgent=bool(data.get("urgent")),
            scheduled_for=data.get("scheduled_for"),
            uploads=uploads,
            system=data.get("system") or "",
            language=data.get("language") or "",
        )


def customer_has_active_session(*, customer: Customer) -> bool:
    return Session.objects.active().for_customer(customer).exists()


def intake_create(*, customer: Customer, details: IntakeDetails) -> Intake:
    """Save the intake and its attachments. Refused (`active_session_exists`) while the customer has
    an active session: they must return to it or end it first; and (`rate_limited`) past
    INTAKES_PER_HOUR intakes or ATTACHMENTS_PER_HOUR attachments an hour."""
    if customer_has_active_session(customer=customer):
        raise active_session_refusal(customer=customer)
    rate_limit_check(
        recent=Intake.objects.filter(customer=customer),
        limit=settings.INTAKES_PER_HOUR,
        window=timedelta(hours=1),
        what="new requests",
    )
    if details.uploads:
        rate_limit_check(
            recent=IntakeAttachment.objects.filter(intake__customer=customer),
            limit=settings.ATTACHMENTS_PER_HOUR,
            window=timedelta(hours=1),
            adding=len(details.uploads),
            what="attachments",
        )
    stored: list[IntakeAttachment] = []
    try:
        with transaction.atomic():
            intake = Intake.objects.create(
                customer=customer,
                plan=details.plan,
                pay_with=details.pay_with,
                concern=details.concern,
                vehicle_year=details.vehicle_year,
                vehicle_make=details.vehicle_make,
                vehicle_model=details.vehicle_model,
                vin=details.vin,
                mileage=details.mileage,
                urgent=details.urgent,
                scheduled_for=details.scheduled_for,
                system=details.system,
                language=details.language,
            )
            for upload in details.uploads:
                attachment = IntakeAttachment(
                    intake=intake,
                    original_name=upload.original_name,
                    content_type=upload.content_type,
                    size=upload.file.size or 0,
                )
                upload.file.seek(0)
                attachment.file.save(upload.storage_name(), upload.file, save=False)
                stored.append(attachment)
                attachment.save()
    except Exception:
        # The rows rolled back: do not leave their files behind.
        for attachment in stored:
            attachment.file.delete(save=False)
        raise
    return intake


def intakes_purge_abandoned(*, now: datetime | None = None) -> int:
    """Delete the attachments (rows and files) of intakes never sent: no waiver signed
    ABANDONED_INTAKE_HOURS after they were written. The intake row stays (it holds no files).
    Returns how many attachments were deleted."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.ABANDONED_INTAKE_HOURS)
    stale = IntakeAttachment.objects.filter(
        intake__created_at__lt=cutoff, intake__waiver__isnull=True, intake__sessions__isnull=True
    )
    deleted = 0
    for attachment in stale.iterator():
        attachment.file.delete(save=False)
        attachment.delete()
        deleted += 1
    return deleted
