from django.urls import path

from . import live_views

urlpatterns = [
    path("mechanic/", live_views.mechanic_stream, name="live_mechanic"),
    path("customer/", live_views.customer_stream, name="live_customer"),
    path("session/<int:session_id>/", live_views.session_stream, name="live_session"),
]
