from django.core.management.base import BaseCommand, CommandError

from autodoctor.errors import DomainError
from billing.services import credit_balance, credits_grant
from customers.models import Customer


class Command(BaseCommand):
    help = "Grant N credits to a customer."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("amount", type=int)
        parser.add_argument("--note", default="Granted by operator")

    def handle(self, *args, **opts):
        customer = Customer.objects.filter(user__username=opts["username"]).first()
        if customer is None:
            raise CommandError(f"No customer with username {opts['username']!r}.")
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
