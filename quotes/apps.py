from django.apps import AppConfig
from django.db.models.signals import post_migrate


class QuotesConfig(AppConfig):
    name = "quotes"
    verbose_name = "Repair quotes"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .schedules import install_schedules

        post_migrate.connect(install_schedules, sender=self)
