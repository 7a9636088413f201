"""The signals of a 1:1 WebRTC call, stored so the other side can fetch them (issue 11).

A signal is addressed to one user (the other participant): the live stream only tells that user
"you have a signal", and their page fetches the ones after the last it has seen. SDP can exceed
pg_notify's 8,000 bytes, so it travels through this table and never through the hint.
"""

from django.conf import settings
from django.db import models


class SignalKind(models.TextChoices):
    HELLO = "hello", "Joined the call"  # a page that (re)joins: the other side makes a fresh offer
    OFFER = "offer", "Offer"
    ANSWER = "answer", "Answer"
    CANDIDATE = "candidate", "ICE candidate"
    BYE = "bye", "Left the call"


class CallSignal(models.Model):
    session = models.ForeignKey("sessions_app.Session", on_delete=models.CASCADE, related_name="call_signals")
    from_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=SignalKind.choices)
    # {"peer": <the sending page's random id>, "data": <the SDP description or ICE candidate>}
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["session", "to_user", "id"], name="call_signal_inbox"),
            models.Index(fields=["from_user", "created_at"], name="call_signal_sender_recent"),
            models.Index(fields=["session", "created_at"], name="call_signal_session_age"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} in #{self.session_id} for user {self.to_user_id}"
