"""django-q2 tasks of the customer side."""

from customers.services import intakes_purge_abandoned


def purge_abandoned_intakes() -> int:
    return intakes_purge_abandoned()
