from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .access import role_of


def roles(request: HttpRequest) -> dict:
    # Lazy: a template that never asks costs no query.
    return {"user_role": SimpleLazyObject(lambda: role_of(request.user) or "")}
