from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from autodoctor.commands import column_bounded
from billing.models import CreditLedger
from customers.services import customer_create
from mechanics.services import workshop_get_or_create


class Command(BaseCommand):
    help = "Create a customer account, optionally with opening credits and a workshop."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--password", required=True)
        parser.add_argument("--credits", type=int, default=0)
        parser.add_argument("--workshop", default="")
        parser.add_argument("--name", default="", help="Full name")
        parser.add_argument("--email", default="")

    def handle(self, *args: Any, **opts: Any) -> None:
        if get_user_model().objects.filter(username=opts["username"]).exists():
            raise CommandError(f"User {opts['username']!r} already exists.")
        if opts["credits"]:
            column_bounded(opts["credits"], model=CreditLedger, field="amount", option="--credits", minimum=0)
        workshop = workshop_get_or_create(name=opts["workshop"]) if opts["workshop"] else None
        customer = customer_create(
            username=opts["username"],
            password=opts["password"],
            full_name=opts["name"],
            email=opts["email"],
            credits=opts["credits"],
            workshop=workshop,
        )
        self.stdout.write(
            self.style.SUCCESS(f"Created customer {customer.user.username} with {opts['credits']} credit(s).")
        )
