"""The credit ledger: grants, spends, and a balance that never goes below zero."""

import pytest

from autodoctor.errors import DomainError
from billing.models import CreditLedger
from billing.services import credit_balance, credits_grant, credits_spend
from tests.factories import make_customer, make_session

from .lifecycle_states import assert_human_sentence

pytestmark = pytest.mark.django_db


def test_balance_is_the_sum_of_the_entries():
    customer = make_customer(credits=2)
    credits_grant(customer=customer, amount=5, note="Goodwill", kind=CreditLedger.Kind.PURCHASE)
    credits_spend(customer=customer, amount=3)
    assert credit_balance(customer=customer) == 4
    assert list(
        CreditLedger.objects.filter(customer=customer).order_by("id").values_list("kind", "amount")
    ) == [
        ("grant", 2),
        ("purchase", 5),
        ("spend", -3),
    ]


def test_spending_more_than_the_balance_is_refused_and_writes_nothing():
    customer = make_customer(credits=2)
    with pytest.raises(DomainError) as err:
        credits_spend(customer=customer, amount=3)
    assert err.value.code == "insufficient_credits" and err.value.http_status == 402
    assert err.value.detail.startswith("This plan costs 3 credits and you have 2.")
    assert_human_sentence(err.value.detail)
    assert credit_balance(customer=customer) == 2
    assert CreditLedger.objects.filter(customer=customer).count() == 1


def test_a_credit_session_without_enough_credits_is_not_created():
    customer = make_customer(credits=2)
    with pytest.raises(DomainError) as err:
        make_session(customer, plan_code="video-30", pay_with="credits")
    assert err.value.code == "insufficient_credits"
    assert not customer.sessions.exists()
    assert credit_balance(customer=customer) == 2


@pytest.mark.parametrize("amount", [0, -1, -5])
def test_grant_and_spend_take_only_positive_amounts(amount):
    customer = make_customer(credits=1)
    for move in (credits_grant, credits_spend):
        with pytest.raises(DomainError) as err:
            move(customer=customer, amount=amount)
        assert err.value.code == "invalid_input"
        assert_human_sentence(err.value.detail)
    assert credit_balance(customer=customer) == 1
