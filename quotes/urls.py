from django.urls import path

from . import views

urlpatterns = [
    path("sessions/<int:session_id>/new/", views.quote_compose, name="quote_compose"),
    path("sessions/<int:session_id>/preview/", views.quote_preview, name="quote_preview"),
    path("<int:quote_id>/approve/", views.quote_approve_view, name="quote_approve"),
    path("<int:quote_id>/decline/", views.quote_decline_view, name="quote_decline"),
    path("link/<str:token>/", views.quote_link, name="quote_link"),
]
