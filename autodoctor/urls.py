from django.contrib import admin
from django.urls import include, path

import customers.api
import diagnostics.api
import mechanics.api
import quotes.api
import sessions_app.api
from sessions_app import staff_views

from . import views
from .api import api

api.add_router("", sessions_app.api.router)
api.add_router("", mechanics.api.router)
api.add_router("", customers.api.router)
api.add_router("", diagnostics.api.router)
api.add_router("", quotes.api.router)

urlpatterns = [
    path("", views.home, name="home"),
    path("after-login/", views.after_login, name="after_login"),
    path("healthz/", views.healthz, name="healthz"),
    path("readyz/", views.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("staff/analytics/", staff_views.analytics, name="staff_analytics"),
    path("staff/analytics/export.csv", staff_views.analytics_csv, name="staff_analytics_csv"),
    path(  # issue 14 (tz): contention metrics
        "staff/analytics/contention.csv", staff_views.contention_csv, name="staff_contention_csv"
    ),
    path("accounts/", include("customers.account_urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/", api.urls),
    path("live/", include("sessions_app.live_urls")),
    path("", include("diagnostics.urls")),  # before mechanics.urls: it owns the report's address
    path("mechanic/earnings/", include("billing.urls")),
    path("calls/", include("calls.urls")),
    path("mechanic/", include("mechanics.urls")),
    path("customer/", include("customers.urls")),
    path("quotes/", include("quotes.urls")),
    path("", include("sessions_app.urls")),
    path("", include("customers.public_urls")),
]

handler400 = "autodoctor.views.bad_request"
