from django.urls import path

from . import views

urlpatterns = [
    path("chat/<int:session_id>/", views.session_room, {"room_type": "chat"}, name="room_chat"),
    path("video/<int:session_id>/", views.session_room, {"room_type": "video"}, name="room_video"),
    path("diagnostic/<int:session_id>/", views.session_room, {"room_type": "diagnostic"}, name="room_diagnostic"),
]
