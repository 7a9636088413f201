from django.conf import settings
from django.db import models

from autodoctor.timezones import DEFAULT_TIME_ZONE, validate_time_zone
from autodoctor.vocabulary import Language, VehicleSystem


class Customer(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="customer")
    full_name = models.CharField(max_length=150)
    phone = models.CharField(max_length=40, blank=True)
    workshop = models.ForeignKey(
        "mechanics.Workshop", null=True, blank=True, on_delete=models.SET_NULL, related_name="customers"
    )
    # IANA name (autodoctor.timezones): pages, emails and reports show this person's local time.
    time_zone = models.CharField(max_length=64, default=DEFAULT_TIME_ZONE, validators=[validate_time_zone])

    class Meta:
        ordering = ["full_name"]

    def __str__(self) -> str:
        return self.full_name

    @property
    def first_name(self) -> str:
        return (self.full_name.split() or [self.user.username])[0]


class PayWith(models.TextChoices):
    FREE = "free", "Free"
    CREDITS = "credits", "Credits"
    CARD = "card", "Card"


class Intake(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="intakes")
    vehicle_year = models.PositiveSmallIntegerField(null=True, blank=True)
    vehicle_make = models.CharField(max_length=60, blank=True)
    vehicle_model = models.CharField(max_length=60, blank=True)
    vin = models.CharField(max_length=17, blank=True)
    mileage = models.PositiveIntegerField(null=True, blank=True)
    concern = models.TextField()
    plan = models.ForeignKey("sessions_app.Plan", on_delete=models.PROTECT, related_name="intakes")
    pay_with = models.CharField(max_length=10, choices=PayWith.choices, default=PayWith.FREE)
    urgent = models.BooleanField(default=False)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    # route (issue 14): optional hints for routing to a mechanic who knows them.
    system = models.CharField(max_length=20, choices=VehicleSystem.choices, blank=True)
    language = models.CharField(max_length=8, choices=Language.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Intake #{self.pk} ({self.vehicle})"

    @property
    def vehicle(self) -> str:
        parts = [str(self.vehicle_year or ""), self.vehicle_make, self.vehicle_model]
        return " ".join(p for p in parts if p) or "Vehicle not given"


class IntakeAttachment(models.Model):
    intake = models.ForeignKey(Intake, on_delete=models.CASCADE, related_name="attachments")
    # Random name under MEDIA_ROOT, outside the static root; served only by a view that checks access.
    file = models.FileField(upload_to="attachments/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class Waiver(models.Model):
    intake = models.OneToOneField(Intake, on_delete=models.CASCADE, related_name="waiver")
    version = models.CharField(max_length=20)
    full_name = models.CharField(max_length=150)
    agreed = models.BooleanField(default=False)
    signed_at = models.DateTimeField(auto_now_add=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)

    def __str__(self) -> str:
        return f"Waiver v{self.version} by {self.full_name}"
