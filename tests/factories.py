"""Test data made through the real services, never by writing rows the services would refuse."""

import itertools

from django.test import Client

from customers.models import Customer
from customers.services import customer_create
from mechanics.models import Mechanic, Workshop
from mechanics.services import mechanic_create
from sessions_app.models import Plan, Session
from sessions_app.plans import ensure_default_plans
from sessions_app.services import session_create

_seq = itertools.count(1)
PASSWORD = "pw-for-tests-1"


def plan(code: str = "free-chat") -> Plan:
    ensure_default_plans()
    return Plan.objects.get(code=code)


def make_customer(
    username: str | None = None, *, credits: int = 0, workshop: Workshop | None = None, full_name: str = ""
) -> Customer:
    username = username or f"customer{next(_seq)}"
    return customer_create(
        username=username,
        password=PASSWORD,
        full_name=full_name or f"{username.capitalize()} Driver",
        email=f"{username}@example.com",
        credits=credits,
        workshop=workshop,
    )


def make_mechanic(
    username: str | None = None, *, capacity: int = 1, workshop: Workshop | None = None
) -> Mechanic:
    username = username or f"mechanic{next(_seq)}"
    return mechanic_create(
        username=username,
        password=PASSWORD,
        email=f"{username}@example.com",
        workshop=workshop,
        capacity=capacity,
    )


def make_session(
    customer: Customer | None = None,
    *,
    plan_code: str = "free-chat",
    pay_with: str = "free",
    urgent: bool = False,
    **kwargs,
) -> Session:
    customer = customer or make_customer()
    return session_create(
        customer=customer,
        plan=plan(plan_code),
        pay_with=pay_with,
        urgent=urgent,
        actor=customer.user,
        **kwargs,
    )


def open_assignment(session: Session):
    return session.assignments.get(status__in=("queued", "accepted"))


def client_for(user) -> Client:
    """A test client signed in as `user`."""
    client = Client()
    client.force_login(user)
    return client
