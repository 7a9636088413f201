from django.urls import path

from . import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="customer_dashboard"),
    path("banner/", views.banner, name="customer_banner"),
    path("request/new/", views.intake_new, name="intake_new"),
    path("request/<int:intake_id>/waiver/", views.intake_waiver, name="intake_waiver"),
    path("checkout/success/", views.checkout_success, name="checkout_success"),
    path("sessions/<int:session_id>/end/", views.session_end, name="customer_session_end"),
]
