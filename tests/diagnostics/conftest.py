"""A diagnostic session in each state the edit rules care about, made through the services."""

from dataclasses import dataclass

import pytest
from django.test import Client

from customers.models import Customer, Intake
from mechanics.models import Mechanic
from sessions_app.models import Session
from sessions_app.services import session_accept, session_complete, session_start
from tests.factories import client_for, make_customer, make_mechanic, make_session, open_assignment, plan

HTMX = {"HX-Request": "true"}
VIN = "1M8GDM9AXKP042788"  # Mercury, United States, check digit right


@dataclass
class Scene:
    customer: Customer
    mechanic: Mechanic
    session: Session
    customer_client: Client
    mechanic_client: Client

    def go_live(self) -> Session:
        session_start(session=self.session, mechanic=self.mechanic)
        return self.session

    def complete(self, summary: str = "Replace the ignition coil on cylinder 1.") -> Session:
        if self.session.status != "live":
            self.go_live()
        session_complete(session=self.session, mechanic=self.mechanic, summary=summary)
        return self.session


def make_scene(*, vin: str = VIN, plan_code: str = "free-chat", pay_with: str = "free") -> Scene:
    customer = make_customer(full_name="Dana Diesel", credits=10)
    mechanic = make_mechanic()
    intake = Intake.objects.create(
        customer=customer,
        vehicle_year=2019,
        vehicle_make="Mercury",
        vehicle_model="Grand Marquis",
        vin=vin,
        concern="Rough idle and the check engine light is on.",
        plan=plan(plan_code),
    )
    session = make_session(customer, plan_code=plan_code, pay_with=pay_with, intake=intake)
    session = session_accept(assignment=open_assignment(session), mechanic=mechanic)
    return Scene(customer, mechanic, session, client_for(customer.user), client_for(mechanic.user))


@pytest.fixture
def scene(db) -> Scene:
    return make_scene()
