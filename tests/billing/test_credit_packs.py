"""Credit packs: bought through Stripe Checkout (the stub), fulfilled once by the webhook however
often it comes, also when the success page comes first; the credits card offers them."""

import threading

import pytest
from django.db import connection
from django.test import Client

from billing.models import CreditLedger, CreditPack, Payment, StripeEvent
from billing.services import credit_balance
from tests.factories import client_for, make_customer
from tests.stripe_stub import checkout_event, deliver_webhook

pytestmark = pytest.mark.django_db


def buy(client, stub, credits: int = 10) -> dict:
    pack = CreditPack.objects.get(credits=credits)
    response = client.post("/customer/credits/buy/", {"pack": pack.pk})
    assert response.status_code == 302 and response["Location"].startswith(stub.url + "/pay/")
    return stub.pay(response["Location"].rsplit("/", 1)[1])


def test_the_seeded_packs_are_on_the_credits_card(stripe_stub):
    client = client_for(make_customer().user)
    page = client.get("/customer/dashboard/").content.decode()
    assert "5 credits · $44.95" in page and "10 credits · $84.90" in page


def test_without_stripe_the_card_says_so_plainly(settings):
    settings.STRIPE_SECRET_KEY = ""
    client = client_for(make_customer().user)
    page = client.get("/customer/dashboard/").content.decode()
    assert "Card payments are not configured, so credits cannot be bought here yet" in page
    pack = CreditPack.objects.first()
    response = client.post("/customer/credits/buy/", {"pack": pack.pk}, follow=True)
    assert "Card payments are not configured" in response.content.decode()
    assert not Payment.objects.exists()


def test_a_pack_not_on_sale_is_refused_with_a_message(stripe_stub):
    client = client_for(make_customer().user)
    pack = CreditPack.objects.create(name="Old", credits=3, price_cents=100, active=False)
    response = client.post("/customer/credits/buy/", {"pack": pack.pk}, follow=True)
    assert "That credit pack is not on sale." in response.content.decode()
    response = client.post("/customer/credits/buy/", {"pack": "x"}, follow=True)
    assert response.status_code == 200 and not stripe_stub.calls("POST", "/v1/checkout/sessions")


def test_the_webhook_fulfils_a_pack_once_however_often_it_comes(stripe_stub):
    customer = make_customer()
    client = client_for(customer.user)
    checkout = buy(client, stripe_stub)
    (params,) = stripe_stub.calls("POST", "/v1/checkout/sessions")
    assert params["line_items"][0]["price_data"]["unit_amount"] == "8490"
    payload = checkout_event(checkout, event_id="evt_pack")
    results = [deliver_webhook(Client(), payload).json()["result"] for _ in range(10)]
    assert results == ["purchased"] + ["duplicate"] * 9
    assert (
        deliver_webhook(Client(), checkout_event(checkout, event_id="evt_pack_2")).json()["result"]
        == "existing"
    )
    assert credit_balance(customer=customer) == 10
    (entry,) = CreditLedger.objects.filter(customer=customer)
    assert (entry.kind, entry.amount) == ("purchase", 10)
    payment = Payment.objects.get()
    assert (payment.amount, payment.currency, payment.credit_pack.credits, payment.session) == (
        8490,
        "usd",
        10,
        None,
    )
    response = client.get(f"/customer/credits/success/?session_id={checkout['id']}", follow=True)
    assert "10 credits added" in response.content.decode()
    assert credit_balance(customer=customer) == 10


def test_the_success_page_first_then_the_webhook_adds_once(stripe_stub):
    customer = make_customer()
    client = client_for(customer.user)
    checkout = buy(client, stripe_stub, credits=5)
    response = client.get(f"/customer/credits/success/?session_id={checkout['id']}", follow=True)
    assert "5 credits added" in response.content.decode()
    assert (
        deliver_webhook(Client(), checkout_event(checkout, event_id="evt_late")).json()["result"]
        == "existing"
    )
    assert credit_balance(customer=customer) == 5


def test_someone_elses_or_a_made_up_checkout_is_404(stripe_stub):
    checkout = buy(client_for(make_customer().user), stripe_stub)
    intruder = client_for(make_customer().user)
    assert intruder.get(f"/customer/credits/success/?session_id={checkout['id']}").status_code == 404
    assert intruder.get("/customer/credits/success/?session_id=../../x").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_twenty_replays_ten_of_them_concurrent_add_the_credits_once(on_postgres, stripe_stub):
    customer = make_customer()
    checkout = buy(client_for(customer.user), stripe_stub)
    payload = checkout_event(checkout, event_id="evt_pack_race")
    sequential = [deliver_webhook(Client(), payload).status_code for _ in range(10)]
    codes: list[int] = []
    barrier = threading.Barrier(10)

    def deliver(body: str) -> None:
        try:
            barrier.wait()
            codes.append(deliver_webhook(Client(), body).status_code)
        finally:
            connection.close()

    bodies = [payload if i % 2 else checkout_event(checkout, event_id=f"evt_other_{i}") for i in range(10)]
    threads = [threading.Thread(target=deliver, args=(body,)) for body in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sequential == [200] * 10 and codes == [200] * 10
    assert credit_balance(customer=customer) == 10
    assert CreditLedger.objects.filter(kind="purchase").count() == 1 and Payment.objects.count() == 1
    assert StripeEvent.objects.count() == 6  # evt_pack_race and the five other ids
