"""Staff money in admin: refund a completed session (the action and its form), pay out earnings
(refused when already paid), edit credit packs and plan payouts, retry failed refunds."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from billing.models import CreditPack, EarningEntry, Payout, Refund
from sessions_app.models import SessionEvent

from .conftest import completed_card_session, completed_credit_session, payment_of

pytestmark = pytest.mark.django_db
SESSIONS = "admin:sessions_app_session_changelist"


@pytest.fixture
def staff_client(client):
    staff = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw-boss-123")
    client.force_login(staff)
    return client


def refund_post(client, session, **fields):
    data = {"action": "refund_session", "_selected_action": [session.pk], "apply": "1", **fields}
    return client.post(reverse(SESSIONS), data, follow=True)


def test_staff_refund_part_of_a_card_session_through_admin(
    staff_client, stripe_stub, plans, mechanic, django_capture_on_commit_callbacks
):
    session = completed_card_session(stripe_stub, mechanic)
    form = staff_client.post(
        reverse(SESSIONS), {"action": "refund_session", "_selected_action": [session.pk]}
    )
    assert f"Refund session #{session.pk}" in form.content.decode()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = refund_post(
            staff_client, session, method="card", amount="12.50", reason="Video kept dropping"
        )
    assert "recorded" in response.content.decode()
    refund = Refund.objects.get()
    assert (refund.amount_cents, refund.status, refund.created_by.username) == (1250, "succeeded", "boss")
    assert payment_of(session).refunded_cents == 1250
    event = SessionEvent.objects.get(session=session, type="refunded")
    assert event.data["reason"] == "Video kept dropping" and event.actor.username == "boss"
    assert mail.outbox[0].to == [session.customer.user.email] and "Video kept dropping" in mail.outbox[0].body


def test_a_refund_larger_than_what_is_left_is_shown_on_the_form(staff_client, stripe_stub, plans, mechanic):
    session = completed_card_session(stripe_stub, mechanic)
    response = refund_post(staff_client, session, method="card", amount="30.00", reason="Too much")
    page = response.content.decode()
    assert "Only 29.99 USD is left to refund on this payment (asked 30.00 USD)." in page
    assert not Refund.objects.exists()


def test_bad_refund_input_gets_field_messages(staff_client, plans, mechanic):
    session = completed_credit_session(mechanic)
    page = refund_post(staff_client, session, method="credits", reason="").content.decode()
    assert "Give the number of credits to give back." in page and "This field is required." in page
    page = refund_post(staff_client, session, method="card", amount="-1", reason="x").content.decode()
    assert "Ensure this value is greater than or equal to 0.01." in page
    assert not Refund.objects.exists()


def test_staff_refund_credits_through_admin(staff_client, plans, mechanic):
    session = completed_credit_session(mechanic)
    refund_post(staff_client, session, method="credits", credits="3", reason="No show")
    refund = Refund.objects.get()
    assert (refund.method, refund.credits, refund.amount_cents) == ("credits", 3, 2999)
    assert sum(EarningEntry.objects.filter(session=session).values_list("amount_cents", flat=True)) == 0


def test_pay_out_through_admin_once(staff_client, plans, mechanic):
    completed_credit_session(mechanic)
    url = reverse("admin:billing_earningentry_changelist")
    ids = list(EarningEntry.objects.values_list("pk", flat=True))
    confirm = staff_client.post(url, {"action": "pay_out_entries", "_selected_action": ids})
    assert "$21.58" in confirm.content.decode()
    data = {"action": "pay_out_entries", "_selected_action": ids, "apply": "1", "note": "Transfer 42"}
    assert "Recorded Payout" in staff_client.post(url, data, follow=True).content.decode()
    payout = Payout.objects.get()
    assert (payout.amount_cents, payout.note, payout.mechanic) == (2158, "Transfer 42", mechanic)
    again = staff_client.post(url, data, follow=True).content.decode()
    assert "already covered by a payout" in again
    assert Payout.objects.count() == 1


def test_packs_and_payout_rates_are_editable_and_the_ledgers_are_not(staff_client, plans):
    pack = CreditPack.objects.get(credits=5)
    response = staff_client.post(
        reverse("admin:billing_creditpack_change", args=[pack.pk]),
        {"name": "5 credits", "credits": "5", "price_cents": "3995", "currency": "usd", "active": "on"},
    )
    assert response.status_code == 302
    pack.refresh_from_db()
    assert pack.price_cents == 3995
    assert staff_client.get(reverse("admin:billing_planpayout_add")).status_code == 200
    assert staff_client.get(reverse("admin:billing_earningentry_add")).status_code == 403
    assert (
        staff_client.get(reverse("admin:billing_refund_changelist") + "?status__exact=failed").status_code
        == 200
    )
