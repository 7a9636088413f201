"""Words that several apps share for routing requests to mechanics (issue 14): the vehicle
systems a request concerns or a mechanic knows, and the languages they speak. Platform layer, so
the profile models (Mechanic, Intake) and the session domain can all use them.

VehicleSystem is also a finding's system (diagnostics.models.System is this class), so "brakes"
means the same on an intake, a mechanic's expertise and a report."""

from django.db import models


class VehicleSystem(models.TextChoices):
    ENGINE = "engine", "Engine"
    BRAKES = "brakes", "Brakes"
    ELECTRICAL = "electrical", "Electrical"
    TRANSMISSION = "transmission", "Transmission"
    SUSPENSION = "suspension", "Suspension"
    HVAC = "hvac", "HVAC"
    BODY = "body", "Body"
    OTHER = "other", "Other"


class Language(models.TextChoices):
    ENGLISH = "en", "English"
    SPANISH = "es", "Spanish"
    FRENCH = "fr", "French"
    GERMAN = "de", "German"
    PORTUGUESE = "pt", "Portuguese"
    CHINESE = "zh", "Chinese"
    VIETNAMESE = "vi", "Vietnamese"
    ARABIC = "ar", "Arabic"
