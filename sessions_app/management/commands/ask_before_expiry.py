from autodoctor.commands import JobCommand
from sessions_app.services import sessions_ask_before_expiry


class Command(JobCommand):
    help = (
        "Ask the customers of requests nobody has taken in 90 minutes to keep waiting or cancel "
        "(the job django-q2 also schedules every minute)."
    )
    job = staticmethod(sessions_ask_before_expiry)
    verb = "asked about"
