"""The quotes' django-q2 schedule, installed idempotently after migrate (like sessions_app's)."""

SCHEDULES = {"expire-repair-quotes": ("quotes.tasks.expire_due_quotes", 60)}


def install_schedules(**_kwargs: object) -> None:
    from django_q.models import Schedule

    for name, (func, minutes) in SCHEDULES.items():
        Schedule.objects.update_or_create(
            name=name,
            defaults={"func": func, "schedule_type": Schedule.MINUTES, "minutes": minutes, "repeats": -1},
        )
