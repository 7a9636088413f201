from autodoctor.commands import JobCommand
from sessions_app.services import sessions_promote_due


class Command(JobCommand):
    help = "Move scheduled sessions due within 15 min into the queue (the job django-q2 also schedules)."
    job = staticmethod(sessions_promote_due)
    verb = "promoted"
