from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from autodoctor.commands import column_bounded
from autodoctor.errors import DomainError
from billing.models import CreditLedger
from billing.services import credit_balance, credits_grant
from customers.models import Customer


class Command(BaseCommand):
    help = "Grant N credits to a customer."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("amount", type=int)
        parser.add_argument("--note", default="Granted by operator")

    def handle(self, *args: Any, **opts: Any) -> None:
        customer = Customer.objects.filter(user__username=opts["username"]).first()
        if customer is None:
            raise CommandError(f"No customer with username {opts['username']!r}.")
        column_bounded(opts["amount"], model=CreditLedger, field="amount", option="The amount", minimum=1)
        try:
            credits_grant(customer=customer, amount=opts["amount"], note=opts["note"])
        except DomainError as exc:
            raise CommandError(exc.detail) from exc
        balance = credit_balance(customer=customer)
        self.stdout.write(
            self.style.SUCCESS(
                f"Granted {opts['amount']} credit(s) to {customer.user.username}; balance {balance}."
            )
        )
