"""Who is this user: the role helpers and the view decorators every app uses.

The profiles (Mechanic, Customer) live above the platform, so these return them as `Any`: the
platform reads `user.mechanic` / `user.customer` without importing the apps that define them."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import HttpRequest, HttpResponse

from autodoctor.errors import DomainError


def mechanic_of(user: Any) -> Any:
    """The user's Mechanic profile or None (cached on the user object by Django)."""
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.mechanic
    except ObjectDoesNotExist:
        return None


def customer_of(user: Any) -> Any:
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.customer
    except ObjectDoesNotExist:
        return None


def role_of(user: Any) -> str | None:
    if not getattr(user, "is_authenticated", False):
        return None
    if mechanic_of(user) is not None:
        return "mechanic"
    if customer_of(user) is not None:
        return "customer"
    return "staff" if user.is_staff else None


def _role_required(getter: Callable[[Any], Any]) -> Callable:
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if getter(request.user) is None:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


mechanic_required = _role_required(mechanic_of)
customer_required = _role_required(customer_of)


def api_mechanic(request: HttpRequest) -> Any:
    """For the JSON API: the signed-in mechanic, or a 403 domain error."""
    mechanic = mechanic_of(request.user)
    if mechanic is None:
        raise DomainError("forbidden", "Only mechanics can use this endpoint.")
    return mechanic


def api_customer(request: HttpRequest) -> Any:
    customer = customer_of(request.user)
    if customer is None:
        raise DomainError("forbidden", "Only customers can use this endpoint.")
    return customer
