from autodoctor.commands import JobCommand
from sessions_app.services import sessions_expire_stale


class Command(JobCommand):
    help = "Expire pending/waiting sessions queued more than 2 h ago (the job django-q2 also schedules)."
    job = staticmethod(sessions_expire_stale)
    verb = "expired"
