"""Money fixtures: sessions paid the real ways (card through the stub's Checkout and a signed
webhook, credits through the ledger), taken live and completed through the lifecycle services."""

import itertools

import pytest
from django.test import Client

from billing.models import Payment
from billing.packs import ensure_default_packs
from customers.models import Customer, Intake
from mechanics.models import Mechanic
from sessions_app.models import Session
from sessions_app.services import session_accept, session_complete, session_start
from tests.customers.conftest import intake_data
from tests.factories import client_for, make_customer, make_mechanic, make_session, open_assignment, plan
from tests.stripe_stub import (
    StripeStub,
    checkout_event,
    deliver_webhook,
    stripe_stub,  # noqa: F401  (fixture)
)

_events = itertools.count(1)


@pytest.fixture(autouse=True)
def packs(db):
    """The seeded credit packs (a transactional test's flush removes the migration's rows)."""
    ensure_default_packs()


@pytest.fixture
def plans(db):
    return {code: plan(code) for code in ("free-chat", "quick-chat", "video-30", "diagnostic-45")}


@pytest.fixture
def mechanic(db) -> Mechanic:
    return make_mechanic("mike")


def next_event_id() -> str:
    return f"evt_money_{next(_events)}"


def paid_card_session(stub: StripeStub, customer: Customer, *, plan_code: str = "video-30") -> Session:
    """Intake, waiver, Checkout at the stub, the customer pays, Stripe's webhook fulfils."""
    client = client_for(customer.user)
    client.post("/customer/request/new/", intake_data(plan=plan_code, pay_with="card"))
    intake = Intake.objects.filter(customer=customer).latest("id")
    response = client.post(f"/customer/request/{intake.pk}/waiver/", {"full_name": "Alice", "agreed": "on"})
    checkout = stub.pay(response["Location"].rsplit("/", 1)[1])
    assert (
        deliver_webhook(Client(), checkout_event(checkout, event_id=next_event_id())).json()["result"]
        == "created"
    )
    return Session.objects.get(stripe_checkout_id=checkout["id"])


def go_live(session: Session, mechanic: Mechanic) -> Session:
    session = session_accept(assignment=open_assignment(session), mechanic=mechanic)
    return session_start(session=session, mechanic=mechanic)


def complete(session: Session, mechanic: Mechanic) -> Session:
    return session_complete(session=go_live(session, mechanic), mechanic=mechanic, summary="Fixed.")


def completed_card_session(stub: StripeStub, mechanic: Mechanic, *, plan_code: str = "video-30") -> Session:
    return complete(paid_card_session(stub, make_customer(), plan_code=plan_code), mechanic)


def completed_credit_session(
    mechanic: Mechanic, *, plan_code: str = "video-30", credits: int = 10
) -> Session:
    customer = make_customer(credits=credits)
    return complete(make_session(customer, plan_code=plan_code, pay_with="credits"), mechanic)


def payment_of(session: Session) -> Payment:
    return Payment.objects.get(session=session)
