from django.urls import path

from . import credit_views, views, wait_views

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
    # issue 14, ask before expiry: the banner's answer and the email's signed link
    path("sessions/<int:session_id>/wait/", wait_views.session_wait_answer, name="customer_wait_answer"),
    path("wait/<str:token>/", wait_views.wait_link, name="customer_wait_link"),
]
