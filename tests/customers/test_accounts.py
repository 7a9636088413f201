"""Sign-up, landing on the dashboard, and login throttling (django-axes)."""

import pytest
from django.test import Client

from customers.models import Customer

pytestmark = pytest.mark.django_db

GOOD = {
    "full_name": "Dana Driver",
    "username": "dana",
    "email": "dana@example.com",
    "phone": "",
    "password1": "correct-horse-battery-9",
    "password2": "correct-horse-battery-9",
}


def test_signup_creates_a_customer_signs_in_and_lands_on_the_dashboard(plans):
    client = Client()
    response = client.post("/accounts/signup/", GOOD, follow=True)
    assert response.redirect_chain[-1][0] == "/customer/dashboard/"
    customer = Customer.objects.get(user__username="dana")
    assert customer.full_name == "Dana Driver" and customer.user.email == "dana@example.com"
    assert "Welcome, Dana!" in response.content.decode()
    assert response.context["user"] == customer.user


@pytest.mark.parametrize(
    ("changes", "field", "text"),
    [
        ({"password2": "something-else-1"}, "password2", "do not match"),
        ({"password1": "123", "password2": "123"}, "password1", "too short"),
        ({"email": "not-an-email"}, "email", "valid email"),
        ({"username": "bad name!"}, "username", "valid username"),
    ],
)
def test_signup_errors_are_shown_by_the_field_and_input_kept(plans, changes, field, text):
    response = Client().post("/accounts/signup/", {**GOOD, **changes})
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert text in response.content.decode()
    assert 'value="Dana Driver"' in response.content.decode()
    assert not Customer.objects.exists()


def test_signup_refuses_a_taken_username(customer):
    response = Client().post("/accounts/signup/", {**GOOD, "username": "ALICE"})
    assert "That username is taken" in response.content.decode()


def test_signed_in_users_are_sent_home(customer_client):
    assert customer_client.get("/accounts/signup/")["Location"] == "/after-login/"


def test_customer_login_lands_on_the_dashboard(customer):
    response = Client().post(
        "/accounts/login/", {"username": "alice", "password": "pw-for-tests-1"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/customer/dashboard/"


def test_login_locks_after_100_failures_per_account_and_address_with_a_clear_message(customer, settings):
    settings.AXES_ENABLED = True
    settings.AXES_LOCKOUT_TEMPLATE = "axes/lockout.html"  # the lead adds this to settings.py
    assert settings.AXES_FAILURE_LIMIT == 100
    client = Client()
    for _ in range(99):
        assert client.post("/accounts/login/", {"username": "alice", "password": "wrong"}).status_code == 200
    # 99 failures: the right password still works, but does not wipe the count (at most 100
    # failures per account per hour, however often the owner signs in in between).
    ok = client.post("/accounts/login/", {"username": "alice", "password": "pw-for-tests-1"})
    assert ok.status_code == 302
    client.logout()
    client.post("/accounts/login/", {"username": "alice", "password": "wrong"})  # the 100th
    locked = client.post("/accounts/login/", {"username": "alice", "password": "pw-for-tests-1"})
    assert locked.status_code == 429
    body = locked.content.decode()
    assert "Account temporarily locked" in body and "too many failed sign-in attempts" in body
    # An hour after the last failure the account opens again.
    from datetime import timedelta

    from axes.models import AccessAttempt
    from django.utils import timezone

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(hours=1, minutes=1))
    assert (
        client.post("/accounts/login/", {"username": "alice", "password": "pw-for-tests-1"}).status_code
        == 302
    )
    # Per account and address: the owner signing in from elsewhere is not locked out by a
    # stranger's failures, and another customer is not affected.
    for _ in range(100):
        client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    assert (
        client.post("/accounts/login/", {"username": "alice", "password": "pw-for-tests-1"}).status_code
        == 429
    )
    elsewhere = Client(REMOTE_ADDR="203.0.113.7")
    assert (
        elsewhere.post("/accounts/login/", {"username": "alice", "password": "pw-for-tests-1"}).status_code
        == 302
    )
    from tests.factories import make_customer

    make_customer("bob")
    assert (
        Client().post("/accounts/login/", {"username": "bob", "password": "pw-for-tests-1"}).status_code
        == 302
    )


def test_staff_unlock_an_account_from_admin(customer, settings):
    settings.AXES_ENABLED = True
    from axes.models import AccessAttempt
    from django.contrib.auth.models import User

    client = Client()
    for _ in range(100):
        client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    assert (
        client.post("/accounts/login/", {"username": "alice", "password": "pw-for-tests-1"}).status_code
        == 429
    )

    staff = Client()
    staff.force_login(User.objects.create_superuser("boss", "boss@example.com", "pw-boss-123456"))
    attempt = AccessAttempt.objects.get(username="alice")
    response = staff.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"},
    )
    assert response.status_code == 302 and not AccessAttempt.objects.exists()
    assert (
        client.post("/accounts/login/", {"username": "alice", "password": "pw-for-tests-1"}).status_code
        == 302
    )
