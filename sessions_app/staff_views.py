from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .analytics import staff_analytics


@require_GET
@staff_member_required
def analytics(request: HttpRequest) -> HttpResponse:
    """Charts of the last N days for staff (N from ?days=, 7–365, default 30)."""
    try:
        days = min(365, max(7, int(request.GET.get("days", 30))))
    except ValueError:
        days = 30
    return render(request, "staff/analytics.html", {"a": staff_analytics(days=days), "days": days})
