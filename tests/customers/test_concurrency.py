"""Races on real PostgreSQL: replayed webhooks, webhook vs success page, double submissions."""

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client

from billing.models import Payment, StripeEvent
from customers.models import Intake
from sessions_app.models import Session
from tests.customers.conftest import intake_data
from tests.factories import make_customer, plan
from tests.stripe_stub import checkout_event, deliver_webhook

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def run_together(jobs: list[Callable[[], object]]) -> list[object]:
    """Start every job at the same moment on its own thread (and DB connection)."""
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def worker(i: int, job: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results[i] = job()
        except Exception as exc:  # a crash is a result the test asserts on
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_same_event_ten_times_at_once_plus_the_success_page_make_one_session(on_postgres, stripe_stub):
    plan("quick-chat")
    customer = make_customer("alice")
    client = logged_in(customer.user)
    client.post("/customer/request/new/", intake_data(plan="quick-chat", pay_with="card"))
    intake = Intake.objects.get()
    location = client.post(f"/customer/request/{intake.pk}/waiver/", {"full_name": "Alice", "agreed": "on"})[
        "Location"
    ]
    checkout_id = location.rsplit("/", 1)[1]
    checkout = stripe_stub.pay(checkout_id)
    payload = checkout_event(checkout, event_id="evt_race")

    def webhook() -> str:
        response = deliver_webhook(Client(), payload)
        return f"{response.status_code}:{response.json()['result']}"

    def success_page() -> str:
        response = logged_in(customer.user).get(f"/customer/checkout/success/?session_id={checkout_id}")
        return f"success:{response.status_code}"

    results = run_together([webhook] * 10 + [success_page])
    assert not [r for r in results if isinstance(r, Exception)], results
    webhook_results = Counter(r for r in results if not str(r).startswith("success"))
    assert set(webhook_results) <= {"200:created", "200:duplicate", "200:existing"}
    assert webhook_results["200:created"] <= 1
    assert results[-1] == "success:302"
    session = Session.objects.get()
    payment = Payment.objects.get()
    assert payment.session == session and session.stripe_checkout_id == checkout_id
    assert StripeEvent.objects.count() == 1
    # And ten more in a row afterwards change nothing.
    assert {webhook() for _ in range(10)} == {"200:duplicate"}
    assert (Session.objects.count(), Payment.objects.count()) == (1, 1)


def test_two_waivers_submitted_at_the_same_moment_make_one_session(on_postgres):
    plan("free-chat")
    customer = make_customer("alice")
    client = logged_in(customer.user)
    client.post("/customer/request/new/", intake_data())
    client.post("/customer/request/new/", intake_data(concern="Another description of the same problem."))
    first, second = Intake.objects.order_by("id")

    def submit(intake: Intake) -> Callable[[], int]:
        return lambda: (
            logged_in(customer.user)
            .post(f"/customer/request/{intake.pk}/waiver/", {"full_name": "Alice", "agreed": "on"})
            .status_code
        )

    results = run_together([submit(first), submit(second)])
    assert sorted(results) == [302, 409]
    assert Session.objects.filter(customer=customer).count() == 1


def test_two_api_waivers_at_the_same_moment_one_gets_409(on_postgres):
    plan("free-chat")
    customer = make_customer("alice", credits=2)
    client = logged_in(customer.user)
    ids = [
        client.post(
            "/api/intake/start",
            {"plan": "free-chat", "concern": f"Engine light number {i} is on"},
            content_type="application/json",
        ).json()["intake_id"]
        for i in range(2)
    ]

    def submit(intake_id: int) -> Callable[[], tuple[int, str]]:
        def job() -> tuple[int, str]:
            response = logged_in(customer.user).post(
                "/api/waiver/submit",
                {"intake_id": intake_id, "full_name": "Alice", "agreed": True},
                content_type="application/json",
            )
            return response.status_code, response.json().get("error", "")

        return job

    results = run_together([submit(i) for i in ids])
    assert sorted(results) == [(201, ""), (409, "active_session_exists")]
    assert Session.objects.count() == 1
