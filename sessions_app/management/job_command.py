from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand


class JobCommand(BaseCommand):
    """A scheduled sweep run once from the command line (for cron-less deployments)."""

    job: Callable[..., int]
    verb: str = "moved"

    def handle(self, *args: Any, **opts: Any) -> None:
        count = type(self).job()
        self.stdout.write(f"{self.verb} {count} session(s)")
