from autodoctor.commands import JobCommand
from sessions_app.services import sessions_remind_idle


class Command(JobCommand):
    help = (
        "Remind mechanics of sessions accepted 20 minutes ago and not started, once "
        "(the job django-q2 also schedules)."
    )
    job = staticmethod(sessions_remind_idle)
    verb = "reminded"
