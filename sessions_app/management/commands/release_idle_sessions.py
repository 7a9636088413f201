from autodoctor.commands import JobCommand
from sessions_app.services import sessions_release_idle


class Command(JobCommand):
    help = "Release sessions waiting more than 30 min since accept back to the queue (the job django-q2 also schedules)."
    job = staticmethod(sessions_release_idle)
    verb = "released"
