"""Operator commands check numbers against the column they land in, before anything is written."""

from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import Model


def column_bounded(
    value: int, *, model: type[Model], field: str, option: str, minimum: int | None = None
) -> int:
    """`value` if the integer column `model.field` can hold it (the portable range, the same on
    PostgreSQL and SQLite) and it is at least `minimum`; otherwise a CommandError naming the limit."""
    internal_type = model._meta.get_field(field).get_internal_type()
    low, high = BaseDatabaseOperations.integer_field_ranges[internal_type]
    if minimum is not None:
        low = max(low, minimum)
    if not low <= value <= high:
        raise CommandError(f"{option} must be between {low:,} and {high:,} (got {value:,}).")
    return value


class JobCommand(BaseCommand):
    """A scheduled sweep run once from the command line (for cron-less deployments)."""

    job: Callable[..., int]
    verb: str = "moved"
    noun: str = "session(s)"

    def handle(self, *args: Any, **opts: Any) -> None:
        count = type(self).job()
        self.stdout.write(f"{self.verb} {count} {self.noun}")
