from autodoctor.commands import JobCommand
from sessions_app.services import sessions_flag_absent


class Command(JobCommand):
    help = "Flag live sessions nobody has been in for 10 minutes to their mechanic (the job django-q2 also schedules)."
    job = staticmethod(sessions_flag_absent)
    verb = "flagged"
