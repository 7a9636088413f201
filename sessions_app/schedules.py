"""The django-q2 schedules (SPEC §6), kept in one place and installed idempotently after migrate."""

SCHEDULES = {
    "expire-stale-sessions": ("sessions_app.tasks.expire_stale_sessions", 5),
    "release-idle-sessions": ("sessions_app.tasks.release_idle_sessions", 1),
    "promote-due-sessions": ("sessions_app.tasks.promote_due_sessions", 1),
    "flag-absent-sessions": ("sessions_app.tasks.flag_absent_sessions", 1),
    "ask-before-expiry": ("sessions_app.tasks.ask_before_expiry", 1),  # issue 14: ask before expiry
    "lapse-transfer-offers": ("sessions_app.tasks.lapse_transfer_offers", 1),  # issue 14: transfers
    "purge-abandoned-intakes": ("customers.tasks.purge_abandoned_intakes", 60),
    # issue 14 (reach): held-back request emails, and the 20-minute reminder of unstarted work
    "send-held-request-emails": ("sessions_app.tasks.send_held_request_emails", 1),
    "remind-idle-sessions": ("sessions_app.tasks.remind_idle_sessions", 1),
    # route (issue 14): first-look windows that ended (each also has a task at its end)
    "open-first-looks": ("sessions_app.tasks.open_due_first_looks", 1),
}


def install_schedules(**_kwargs: object) -> None:
    from django_q.models import Schedule

    for name, (func, minutes) in SCHEDULES.items():
        Schedule.objects.update_or_create(
            name=name,
            defaults={"func": func, "schedule_type": Schedule.MINUTES, "minutes": minutes, "repeats": -1},
        )
