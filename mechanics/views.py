from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from autodoctor.access import mechanic_required


@mechanic_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Placeholder until the mechanic dashboard issue lands."""
    return render(request, "mechanics/dashboard.html", {})
