"""The credit ledger. Every change locks the customer row, so concurrent spends serialise and the
balance (the sum of the entries) can never go below zero."""

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Sum

from autodoctor.errors import DomainError
from billing.models import CreditLedger
from customers.models import Customer


def credit_balance(*, customer: Customer) -> int:
    return CreditLedger.objects.filter(customer=customer).aggregate(total=Sum("amount"))["total"] or 0


def _lock_customer(customer: Customer | int) -> Customer:
    pk = customer if isinstance(customer, int) else customer.pk
    return Customer.objects.select_for_update().get(pk=pk)


def credits_grant(
    *,
    customer: Customer,
    amount: int,
    actor: User | None = None,
    note: str = "",
    kind: str = CreditLedger.Kind.GRANT,
) -> CreditLedger:
    """Add credits (a grant by staff, a purchase, or a refund)."""
    if amount <= 0:
        raise DomainError("invalid_input", "Grant a positive number of credits.")
    with transaction.atomic():
        _lock_customer(customer)
        return CreditLedger.objects.create(
            customer=customer, amount=amount, kind=kind, note=note, created_by=actor
        )


def credits_spend(
    *, customer: Customer, amount: int, session_id: int | None = None, actor: User | None = None
) -> CreditLedger:
    """Take `amount` credits, or raise `insufficient_credits` without writing anything."""
    if amount <= 0:
        # A negative spend would add credits past the balance check; zero breaks the ledger's check.
        raise DomainError("invalid_input", "Spend a positive number of credits.")
    with transaction.atomic():
        _lock_customer(customer)
        balance = credit_balance(customer=customer)
        if balance < amount:
            raise DomainError(
                "insufficient_credits",
                f"This plan costs {amount} credit{'s' if amount != 1 else ''} and you have {balance}. "
                "Choose a free plan, pay by card, or ask us for more credits.",
                balance=balance,
                needed=amount,
            )
        return CreditLedger.objects.create(
            customer=customer,
            amount=-amount,
            kind=CreditLedger.Kind.SPEND,
            session_id=session_id,
            created_by=actor,
        )


def credits_refund_session(*, customer_id: int, session_id: int, note: str, actor: User | None) -> int:
    """Give back every credit spent on a session (once: what was spent minus what came back).
    Returns how many credits were refunded (0 when there was nothing to give back)."""
    with transaction.atomic():
        _lock_customer(customer_id)
        spent = -(
            CreditLedger.objects.filter(session_id=session_id).aggregate(total=Sum("amount"))["total"] or 0
        )
        if spent <= 0:
            return 0
        CreditLedger.objects.create(
            customer_id=customer_id,
            amount=spent,
            kind=CreditLedger.Kind.REFUND,
            session_id=session_id,
            note=note,
            created_by=actor,
        )
        return spent
