from django.contrib.auth import get_user_model
from django.db import transaction

from autodoctor.timezones import DEFAULT_TIME_ZONE, time_zone_names, validate_time_zone
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
    time_zone: str = DEFAULT_TIME_ZONE,
) -> Customer:
    """A user with a Customer profile, and an opening credit grant if asked. An unknown
    `time_zone` (e.g. what an old browser reported) becomes UTC: it is never a reason to refuse."""
    User = get_user_model()
    with transaction.atomic():
        user = User.objects.create_user(username=username, password=password, email=email)
        customer = Customer.objects.create(
            user=user,
            full_name=full_name or username.capitalize(),
            phone=phone,
            workshop=workshop,
            time_zone=time_zone if time_zone in time_zone_names() else DEFAULT_TIME_ZONE,
        )
        if credits:
            credits_grant(customer=customer, amount=credits, note="Opening balance")
    return customer


def customer_set_time_zone(*, customer: Customer, time_zone: str) -> Customer:
    """Change the customer's time zone (a name from autodoctor.timezones; ValidationError else).
    Pages, banners, emails and reports show their local time from the next render on."""
    validate_time_zone(time_zone)
    if customer.time_zone != time_zone:
        customer.time_zone = time_zone
        customer.save(update_fields=["time_zone"])
    return customer
