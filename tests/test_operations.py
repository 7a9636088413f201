"""Operator commands, Django admin, and production settings."""

import subprocess
import sys
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from billing.services import credit_balance
from customers.models import Customer
from mechanics.models import Mechanic
from sessions_app.models import Session, SessionEvent
from tests.factories import make_customer, make_mechanic, make_session, open_assignment

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_createmechanic_with_workshop_and_capacity():
    run("createmechanic", "tess", "--password", "s3cret-pass", "--workshop", "Uptown", "--capacity", "3")
    mechanic = Mechanic.objects.get(user__username="tess")
    assert mechanic.workshop.name == "Uptown"
    assert mechanic.max_active_sessions == 3
    assert mechanic.user.check_password("s3cret-pass")
    with pytest.raises(CommandError, match="already exists"):
        run("createmechanic", "tess", "--password", "x")


def test_createcustomer_and_grantcredits():
    run("createcustomer", "dora", "--password", "s3cret-pass", "--credits", "4")
    customer = Customer.objects.get(user__username="dora")
    assert credit_balance(customer=customer) == 4
    assert "balance 6" in run("grantcredits", "dora", "2")
    with pytest.raises(CommandError):
        run("grantcredits", "dora", "0")
    with pytest.raises(CommandError, match="No customer"):
        run("grantcredits", "nobody", "2")


def test_seed_demo_is_idempotent_and_complete():
    run("seed_demo")
    User = get_user_model()
    names = set(User.objects.values_list("username", flat=True))
    assert {"alice", "bob", "carol", "mike", "maria", "max", "admin"} <= names
    assert Mechanic.objects.get(user__username="maria").workshop.name == "Downtown Garage"
    assert User.objects.get(username="admin").check_password("autodoctor")
    statuses = set(Session.objects.values_list("status", flat=True))
    assert {"completed", "cancelled", "pending", "waiting"} <= statuses
    counts = (User.objects.count(), Session.objects.count(), SessionEvent.objects.count())
    run("seed_demo")
    assert (User.objects.count(), Session.objects.count(), SessionEvent.objects.count()) == counts


def test_job_commands_report_counts():
    assert "expired 0 session(s)" in run("expire_sessions")
    assert "released 0 session(s)" in run("release_idle_sessions")
    assert "promoted 0 session(s)" in run("promote_scheduled_sessions")


@pytest.fixture
def staff_client(client):
    admin = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw-boss-123")
    client.force_login(admin)
    return client


def test_every_admin_changelist_renders(staff_client):
    session = make_session()
    mech = make_mechanic()
    from sessions_app.services import session_accept

    session_accept(assignment=open_assignment(session), mechanic=mech)
    from django.contrib import admin

    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = staff_client.get(url, {"q": "a"})
        assert response.status_code == 200, url
    page = staff_client.get(reverse("admin:sessions_app_session_change", args=[session.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "accepted" in body and "created" in body  # the event timeline is shown
    assert 'name="status"' not in body  # status is never an editable field
    # Sessions are never deleted from the admin (history, payments and chat hang on them).
    assert (
        staff_client.get(reverse("admin:sessions_app_session_delete", args=[session.pk])).status_code == 403
    )
    changelist = staff_client.get(reverse("admin:sessions_app_session_changelist")).content.decode()
    assert "delete_selected" not in changelist and "release_sessions" in changelist


def test_admin_actions_call_the_services(staff_client):
    waiting = make_session()
    mech = make_mechanic()
    from sessions_app.services import session_accept

    session_accept(assignment=open_assignment(waiting), mechanic=mech)
    pending = make_session()
    url = reverse("admin:sessions_app_session_changelist")
    staff_client.post(url, {"action": "release_sessions", "_selected_action": [waiting.pk]})
    waiting.refresh_from_db()
    assert waiting.status == "pending" and waiting.mechanic is None
    assert waiting.events.filter(type="released").count() == 1
    staff_client.post(url, {"action": "cancel_sessions", "_selected_action": [pending.pk]})
    pending.refresh_from_db()
    assert pending.status == "cancelled"
    # A refused action explains itself instead of failing.
    response = staff_client.post(
        url, {"action": "release_sessions", "_selected_action": [pending.pk]}, follow=True
    )
    assert "is cancelled" in response.content.decode()


def test_admin_grant_credits_action(staff_client):
    customer = make_customer()
    url = reverse("admin:customers_customer_changelist")
    form = staff_client.post(url, {"action": "grant_credits", "_selected_action": [customer.pk]})
    assert form.status_code == 200 and b"Grant credits" in form.content
    staff_client.post(
        url, {"action": "grant_credits", "_selected_action": [customer.pk], "apply": "1", "amount": "3"}
    )
    assert credit_balance(customer=customer) == 3


def test_check_deploy_is_clean_in_production_settings():
    env = {
        "SECRET_KEY": "prod-" + "k" * 60,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "autodoctor.example.com",
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
