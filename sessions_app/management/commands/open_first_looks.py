from autodoctor.commands import JobCommand
from sessions_app.services import first_looks_open_due


class Command(JobCommand):
    help = (
        "Open to every mechanic the requests whose first-look window has ended (django-q2 also schedules it)."
    )
    job = staticmethod(first_looks_open_due)
    verb = "opened to everyone"
    noun = "request(s)"
