"""Money moved from customers into billing by migrations that keep every row (SPEC §7)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("customers", "0002_initial"), ("billing", None)]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


@pytest.mark.django_db(transaction=True)
def test_credit_entries_payments_and_stripe_events_survive_the_move():
    old = _migrate(BEFORE)
    user = old.get_model("auth", "User").objects.create(username="moved")
    customer = old.get_model("customers", "Customer").objects.create(user=user, full_name="Moved Customer")
    Ledger = old.get_model("customers", "CreditLedger")
    Ledger.objects.create(customer=customer, amount=5, kind="grant", note="opening")
    Ledger.objects.create(customer=customer, amount=-3, kind="spend")
    old.get_model("customers", "Payment").objects.create(
        customer=customer, checkout_id="cs_moved", payment_intent="pi_moved", amount=2999
    )
    old.get_model("customers", "StripeEvent").objects.create(
        event_id="evt_moved", type="checkout.session.completed"
    )

    executor = MigrationExecutor(connection)
    new = _migrate(executor.loader.graph.leaf_nodes())

    entries = new.get_model("billing", "CreditLedger").objects.filter(customer_id=customer.pk)
    assert sorted(entries.values_list("amount", flat=True)) == [-3, 5]
    payment = new.get_model("billing", "Payment").objects.get(checkout_id="cs_moved")
    assert (payment.customer_id, payment.amount, payment.payment_intent) == (customer.pk, 2999, "pi_moved")
    assert new.get_model("billing", "StripeEvent").objects.filter(event_id="evt_moved").count() == 1
    tables = connection.introspection.table_names()
    assert {"billing_creditledger", "billing_payment", "billing_stripeevent"} <= set(tables)
    assert not {"customers_creditledger", "customers_payment", "customers_stripeevent"} & set(tables)


@pytest.mark.django_db(transaction=True)
def test_the_ledger_check_still_holds_after_the_move():
    """The zero-amount check constraint moved with the table."""
    from django.db import IntegrityError, transaction

    from billing.models import CreditLedger
    from tests.factories import make_customer

    customer = make_customer()
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditLedger.objects.create(customer=customer, amount=0, kind="grant")
