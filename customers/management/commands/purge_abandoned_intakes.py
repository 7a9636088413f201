from autodoctor.commands import JobCommand
from customers.services import intakes_purge_abandoned


class Command(JobCommand):
    help = "Delete the attachments of intakes never sent (no waiver) after ABANDONED_INTAKE_HOURS."
    job = staticmethod(intakes_purge_abandoned)
    verb = "deleted"
    noun = "attachment(s) of abandoned intakes"
