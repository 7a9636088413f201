from django.urls import path

from . import views

urlpatterns = [
    path("<int:session_id>/config/", views.config, name="call_config"),
    path("<int:session_id>/signals/", views.signals, name="call_signals"),
]
