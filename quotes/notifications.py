"""The quotes' emails leave only after the transaction that decided them commits."""

from functools import partial

from django.db import transaction
from django_q.tasks import async_task


def email_customer_quote_sent_after_commit(quote_id: int, site_url: str) -> None:
    transaction.on_commit(
        partial(async_task, "quotes.tasks.send_quote_sent_email", quote_id, site_url), robust=True
    )


def email_mechanic_quote_decided_after_commit(quote_id: int) -> None:
    transaction.on_commit(partial(async_task, "quotes.tasks.send_quote_decided_email", quote_id), robust=True)
