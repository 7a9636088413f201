from django.urls import path

from . import views

urlpatterns = [
    path("chat/<int:session_id>/", views.session_room, {"room_type": "chat"}, name="room_chat"),
    path("video/<int:session_id>/", views.session_room, {"room_type": "video"}, name="room_video"),
    path(
        "diagnostic/<int:session_id>/",
        views.session_room,
        {"room_type": "diagnostic"},
        name="room_diagnostic",
    ),
    path("sessions/<int:session_id>/status/", views.room_status, name="room_status"),
    path("sessions/<int:session_id>/messages/", views.room_messages, name="room_messages"),
    path("sessions/<int:session_id>/attachments/", views.room_attachments, name="room_attachments"),
    path("sessions/<int:session_id>/presence/", views.room_presence_update, name="room_presence"),
    path(
        "sessions/attachments/<int:attachment_id>/", views.room_attachment_file, name="room_attachment_file"
    ),
    path(
        "sessions/attachments/<int:attachment_id>/thumbnail/",
        views.room_attachment_file,
        {"thumbnail": True},
        name="room_attachment_thumbnail",
    ),
    path("sessions/<int:session_id>/start/", views.room_start, name="room_start"),
    path("sessions/<int:session_id>/release/", views.room_release, name="room_release"),
    path("sessions/<int:session_id>/complete/", views.room_complete, name="room_complete"),
    path("sessions/<int:session_id>/rate/", views.room_rate, name="room_rate"),
]
