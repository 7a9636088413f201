from django.apps import AppConfig


class MechanicsConfig(AppConfig):
    name = "mechanics"
    default_auto_field = "django.db.models.BigAutoField"
