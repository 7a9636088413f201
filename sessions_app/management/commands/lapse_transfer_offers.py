from autodoctor.commands import JobCommand
from sessions_app.services import transfers_lapse_due


class Command(JobCommand):
    help = (
        "Lapse transfer offers nobody answered in TRANSFER_OFFER_MINUTES (the job django-q2 also "
        "schedules): the session stays with the offering mechanic."
    )
    job = staticmethod(transfers_lapse_due)
    verb = "lapsed"
    noun = "transfer offer(s)"
