"""Demo data (SPEC §1): plans, a workshop, customers, mechanics, staff and a little history.
Idempotent: a second run changes nothing."""

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from customers.models import Customer, Intake
from customers.services import customer_create
from mechanics.models import Mechanic
from mechanics.services import mechanic_create, mechanic_update_expertise, workshop_get_or_create
from sessions_app.models import Plan, Session, SessionAssignment, SessionEvent
from sessions_app.plans import ensure_default_plans
from sessions_app.services import (
    rating_create,
    session_accept,
    session_cancel,
    session_complete,
    session_create,
    session_start,
)

PASSWORD = "autodoctor"

CUSTOMERS = [
    ("alice", "Alice Anderson", 10),
    ("bob", "Bob Brown", 6),
    ("carol", "Carol Chen", 0),
]
MECHANICS = [
    ("mike", "Mike Torres", None, 1),
    ("maria", "Maria Lopez", "Downtown Garage", 2),
    ("max", "Max Becker", None, 1),
]
# route (issue 14): each demo mechanic's expertise (makes, systems, session types, languages),
# set once, when the mechanic is created (after the demo history, which predates routing).
EXPERTISE = {
    "mike": (["Toyota", "Honda"], ["brakes", "engine"], [], ["en"]),
    "maria": (["Ford", "Chevrolet"], ["electrical", "transmission"], [], ["en", "es"]),
    "max": (["BMW", "Volkswagen"], ["engine", "electrical"], ["diagnostic"], ["en", "de"]),
}


# Completed demo sessions: customer, mechanic, plan, days ago, concern, summary, stars.
PAST_SESSIONS = [
    (
        "alice",
        "mike",
        "free-chat",
        6,
        "Check-engine light after refuelling",
        "Loose fuel cap (P0457). Tightened it; the light cleared after three drive cycles.",
        5,
    ),
    (
        "bob",
        "maria",
        "video-30",
        5,
        "Grinding noise from the front left wheel when braking",
        "Front pads worn to the backing plate. Replace pads and skim or replace the rotors soon.",
        4,
    ),
    (
        "alice",
        "max",
        "diagnostic-45",
        3,
        "Car hesitates when accelerating from a stop on cold mornings",
        "Scan showed lean codes P0171/P0174; likely a vacuum leak at the intake boot. Smoke test advised.",
        5,
    ),
    (
        "carol",
        "mike",
        "free-chat",
        2,
        "Battery warning light flickers at idle",
        "Alternator output 13.1 V at idle: belt slipping. Adjust or replace the serpentine belt.",
        None,
    ),
]


class Command(BaseCommand):
    help = "Create the demo plans, accounts (password 'autodoctor') and a few past sessions. Safe to rerun."

    def handle(self, *args: Any, **opts: Any) -> None:
        with transaction.atomic():
            ensure_default_plans()
            garage = workshop_get_or_create(name="Downtown Garage")
            User = get_user_model()
            for username, name, credits in CUSTOMERS:
                if not User.objects.filter(username=username).exists():
                    customer_create(
                        username=username,
                        password=PASSWORD,
                        full_name=name,
                        email=f"{username}@example.com",
                        credits=credits,
                    )
            created = []
            for username, name, workshop, capacity in MECHANICS:
                if not User.objects.filter(username=username).exists():
                    created.append(username)
                    mechanic_create(
                        username=username,
                        password=PASSWORD,
                        display_name=name,
                        email=f"{username}@example.com",
                        workshop=garage if workshop else None,
                        capacity=capacity,
                    )
            if not User.objects.filter(username="admin").exists():
                User.objects.create_superuser("admin", "admin@example.com", PASSWORD)
            if not Session.objects.filter(customer__user__username__in=[c[0] for c in CUSTOMERS]).exists():
                self._history()
            for mechanic in Mechanic.objects.filter(user__username__in=created):
                makes, systems, session_types, languages = EXPERTISE[mechanic.user.username]
                mechanic_update_expertise(
                    mechanic=mechanic,
                    makes=makes,
                    systems=systems,
                    session_types=session_types,
                    languages=languages,
                )
        self.stdout.write(
            self.style.SUCCESS(
                "Demo data ready: customers alice, bob, carol; mechanics mike, maria (Downtown Garage), max; "
                f"staff admin. Password for all: {PASSWORD}"
            )
        )

    def _history(self) -> None:
        plans = {p.code: p for p in Plan.objects.all()}
        customers = {c.user.username: c for c in Customer.objects.select_related("user")}
        mechanics = {m.user.username: m for m in Mechanic.objects.select_related("user")}
        now = timezone.now()
        for username, mech, code, days_ago, concern, summary, stars in PAST_SESSIONS:
            session = self._new(
                customers[username],
                plans[code],
                concern,
                pay_with="free" if code == "free-chat" else "credits",
            )
            session = session_accept(
                assignment=session.assignments.get(status="queued"), mechanic=mechanics[mech]
            )
            session_start(session=session, mechanic=mechanics[mech])
            session = session_complete(session=session, mechanic=mechanics[mech], summary=summary)
            if stars:
                rating_create(
                    session=session,
                    user=customers[username].user,
                    stars=stars,
                    comment="Clear and quick, thank you!",
                )
            self._backdate(session, now - timedelta(days=days_ago), minutes=18)
        cancelled = self._new(
            customers["bob"], plans["free-chat"], "Strange smell from the vents after a car wash"
        )
        session_cancel(session=cancelled, user=customers["bob"].user, reason="customer")
        self._backdate(cancelled, now - timedelta(days=1), minutes=4)
        # Live work and a waiting request, so every dashboard tab has something to show.
        waiting = self._new(
            customers["bob"],
            plans["quick-chat"],
            "Tyre pressure light stays on after inflating",
            pay_with="credits",
        )
        session_accept(assignment=waiting.assignments.get(status="queued"), mechanic=mechanics["max"])
        self._new(
            customers["carol"], plans["free-chat"], "Coolant level drops slowly, no visible leak", urgent=True
        )

    def _new(
        self, customer: Customer, plan: Plan, concern: str, *, pay_with: str = "free", urgent: bool = False
    ) -> Session:
        intake = Intake.objects.create(
            customer=customer,
            vehicle_year=2017,
            vehicle_make="Toyota",
            vehicle_model="Corolla",
            vin="2T1BURHE5HC000000"[:17],
            mileage=84000,
            concern=concern,
            plan=plan,
            pay_with=pay_with,
            urgent=urgent,
        )
        return session_create(
            customer=customer, plan=plan, intake=intake, pay_with=pay_with, urgent=urgent, actor=customer.user
        )

    def _backdate(self, session: Session, when: datetime, *, minutes: int) -> None:
        """Move a demo session's timestamps into the past (timestamps only, never its status)."""
        Session.objects.filter(pk=session.pk).update(
            created_at=when,
            queued_at=when,
            started_at=when + timedelta(minutes=3) if session.started_at else None,
            ended_at=when + timedelta(minutes=3 + minutes),
        )
        SessionAssignment.objects.filter(session=session).update(
            queued_at=when,
            accepted_at=when + timedelta(minutes=2),
            closed_at=when + timedelta(minutes=3 + minutes),
        )
        SessionEvent.objects.filter(session=session).update(created_at=when)
        Intake.objects.filter(sessions=session).update(created_at=when)
