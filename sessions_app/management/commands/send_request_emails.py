from autodoctor.commands import JobCommand
from sessions_app.services import mechanics_queue_email_sweep


class Command(JobCommand):
    help = (
        "Send the request emails held back by the five-minute batching whose time is up "
        "(the job django-q2 also schedules)."
    )
    job = staticmethod(mechanics_queue_email_sweep)
    verb = "sent"
    noun = "request email(s)"
