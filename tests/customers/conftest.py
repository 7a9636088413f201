import pytest
from django.test import Client

from tests.factories import make_customer, make_mechanic, plan
from tests.stripe_stub import stripe_stub  # noqa: F401  (fixture)


@pytest.fixture
def plans(db):
    """The seeded default plans, by code."""
    return {code: plan(code) for code in ("free-chat", "quick-chat", "video-30", "diagnostic-45")}


@pytest.fixture
def customer(plans):
    return make_customer("alice", credits=10)


@pytest.fixture
def customer_client(customer) -> Client:
    client = Client()
    client.force_login(customer.user)
    return client


@pytest.fixture
def mechanic(db):
    return make_mechanic("mike")


@pytest.fixture
def mechanic_client(mechanic) -> Client:
    client = Client()
    client.force_login(mechanic.user)
    return client


def intake_data(**overrides) -> dict:
    """A valid intake form post (free plan) with overrides."""
    data = {
        "vehicle_year": "2018",
        "vehicle_make": "Toyota",
        "vehicle_model": "Corolla",
        "vin": "",
        "mileage": "84000",
        "concern": "Grinding noise from the front left wheel when braking.",
        "plan": "free-chat",
        "pay_with": "",
    }
    data.update(overrides)
    return data
