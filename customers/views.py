from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from autodoctor.access import customer_required


@customer_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Placeholder until the customer journey issue lands."""
    return render(request, "customers/dashboard.html", {})


def signup(request: HttpRequest) -> HttpResponse:
    """Placeholder until the customer journey issue lands."""
    return render(request, "registration/signup.html", {})
