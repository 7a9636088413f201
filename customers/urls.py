from django.urls import path

from . import credit_views, views

urlpatterns = [
    path("dashboard/", views.dashboard, name="customer_dashboard"),
    path("account/", views.account, name="customer_account"),  # issue 14: time zone
    path("banner/", views.banner, name="customer_banner"),
    path("request/new/", views.intake_new, name="intake_new"),
    path("request/<int:intake_id>/waiver/", views.intake_waiver, name="intake_waiver"),
    path("checkout/success/", views.checkout_success, name="checkout_success"),
    path("credits/buy/", credit_views.credits_buy, name="credits_buy"),
    path("credits/success/", credit_views.credits_success, name="credits_success"),
    path("sessions/<int:session_id>/end/", views.session_end, name="customer_session_end"),
]
