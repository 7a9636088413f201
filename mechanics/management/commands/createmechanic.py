from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from autodoctor.commands import column_bounded
from mechanics.models import Mechanic
from mechanics.services import mechanic_create, workshop_get_or_create


class Command(BaseCommand):
    help = "Create a mechanic account (mechanics never sign up themselves)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--password", required=True)
        parser.add_argument("--workshop", default="", help="Workshop name (created if missing)")
        parser.add_argument(
            "--capacity",
            type=int,
            default=1,
            help="capacity budget: the plan weights they may hold at once (chat 1, video 2, diagnostic 2; default 1 = one session of any kind)",
        )
        parser.add_argument("--name", default="", help="Display name")
        parser.add_argument("--email", default="")

    def handle(self, *args: Any, **opts: Any) -> None:
        if get_user_model().objects.filter(username=opts["username"]).exists():
            raise CommandError(f"User {opts['username']!r} already exists.")
        column_bounded(
            opts["capacity"], model=Mechanic, field="max_active_sessions", option="--capacity", minimum=1
        )
        workshop = workshop_get_or_create(name=opts["workshop"]) if opts["workshop"] else None
        mechanic = mechanic_create(
            username=opts["username"],
            password=opts["password"],
            display_name=opts["name"],
            email=opts["email"],
            workshop=workshop,
            capacity=opts["capacity"],
        )
        where = f" at {workshop}" if workshop else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"Created mechanic {mechanic.user.username}{where} (capacity budget {opts['capacity']})."
            )
        )
