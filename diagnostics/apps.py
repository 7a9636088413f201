from django.apps import AppConfig
from django.db.models.signals import post_save


class DiagnosticsConfig(AppConfig):
    name = "diagnostics"
    verbose_name = "Diagnostics"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from sessions_app.models import SessionEvent

        from .receivers import email_report_on_completion

        # The session domain sits below this app and knows nothing of reports: we listen for its
        # "completed" events instead of it calling up to us.
        post_save.connect(email_report_on_completion, sender=SessionEvent, dispatch_uid="diagnostics-report")
