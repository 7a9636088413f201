from django.contrib.auth import get_user_model
from django.db import transaction

from billing.services import credits_grant
from customers.models import Customer
from mechanics.models import Workshop


def customer_create(
    *,
    username: str,
    password: str,
    full_name: str = "",
    email: str = "",
    phone: str = "",
    credits: int = 0,
    workshop: Workshop | None = None,
) -> Customer:
    """A user with a Customer profile, and an opening credit grant if asked."""
    User = get_user_model()
    with transaction.atomic():
        user = User.objects.create_user(username=username, password=password, email=email)
        customer = Customer.objects.create(
            user=user, full_name=full_name or username.capitalize(), phone=phone, workshop=workshop
        )
        if credits:
            credits_grant(customer=customer, amount=credits, note="Opening balance")
    return customer
