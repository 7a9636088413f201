"""Operator commands refuse numbers their columns cannot hold with a clear CommandError, and write
nothing (the hardening issue: a traceback was the answer before)."""

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError

from billing.models import CreditLedger
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("amount", [2147483648, 0, -1])
def test_grantcredits_refuses_an_amount_out_of_range(amount):
    customer = make_customer()
    before = CreditLedger.objects.count()
    with pytest.raises(CommandError, match=r"between 1 and 2,147,483,647"):
        call_command("grantcredits", customer.user.username, str(amount))
    assert CreditLedger.objects.count() == before


def test_grantcredits_at_the_limit_is_accepted():
    customer = make_customer()
    call_command("grantcredits", customer.user.username, "2147483647")
    assert CreditLedger.objects.filter(customer=customer, amount=2147483647).exists()


@pytest.mark.parametrize("credits", ["3000000000", "-5"])
def test_createcustomer_refuses_credits_out_of_range_and_creates_no_user(credits):
    with pytest.raises(CommandError, match=r"--credits must be between 0 and 2,147,483,647"):
        call_command("createcustomer", "dora", "--password", "pw-12345678", "--credits", credits)
    assert not User.objects.filter(username="dora").exists()


@pytest.mark.parametrize("capacity", ["40000", "0"])
def test_createmechanic_refuses_a_capacity_out_of_range_and_creates_no_user(capacity):
    with pytest.raises(CommandError, match=r"--capacity must be between 1 and 32,767"):
        call_command("createmechanic", "mo", "--password", "pw-12345678", "--capacity", capacity)
    assert not User.objects.filter(username="mo").exists()
