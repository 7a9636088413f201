"""What a page may post as a signal: the kind, its own peer id, and the SDP or ICE candidate."""

import json
from typing import Any

from django import forms

from .models import SignalKind

MAX_DATA_BYTES = 32_000  # an SDP with every codec is ~10 kB; anything bigger is not a signal


class SignalForm(forms.Form):
    kind = forms.ChoiceField(choices=SignalKind.choices)
    peer = forms.RegexField(
        regex=r"^[A-Za-z0-9_-]{8,64}$",
        error_messages={"invalid": "The call's peer id is 8 to 64 letters, digits, '-' or '_'."},
    )
    # The SDP description (offer, answer) or the ICE candidate, as JSON.
    payload = forms.CharField(required=False, max_length=MAX_DATA_BYTES, strip=False)

    def clean_payload(self) -> Any:
        raw = self.cleaned_data.get("payload") or ""
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise forms.ValidationError("The signal's data is not valid JSON.") from None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind, data = cleaned.get("kind"), cleaned.get("payload")
        if kind in (SignalKind.OFFER, SignalKind.ANSWER):
            if not (isinstance(data, dict) and data.get("type") == kind and isinstance(data.get("sdp"), str)):
                self.add_error(
                    "payload", f"An {kind} carries a session description with type {kind!r} and its sdp."
                )
            else:
                cleaned["payload"] = {"type": kind, "sdp": data["sdp"]}
        elif kind == SignalKind.CANDIDATE:
            if data is None:
                cleaned["payload"] = None  # the end of this side's candidates
            elif not (isinstance(data, dict) and isinstance(data.get("candidate"), str)):
                self.add_error("payload", "A candidate carries an RTCIceCandidate (its candidate line).")
            else:
                cleaned["payload"] = {
                    "candidate": data["candidate"],
                    "sdpMid": data.get("sdpMid") if isinstance(data.get("sdpMid"), str) else None,
                    "sdpMLineIndex": data.get("sdpMLineIndex")
                    if isinstance(data.get("sdpMLineIndex"), int)
                    else None,
                    "usernameFragment": data.get("usernameFragment")
                    if isinstance(data.get("usernameFragment"), str)
                    else None,
                }
        elif kind in (SignalKind.HELLO, SignalKind.BYE):
            cleaned["payload"] = None
        return cleaned


def first_error(form: forms.Form) -> tuple[str, str]:
    """(field, sentence) of the first error of a bound, invalid form."""
    for field, errors in form.errors.items():
        return field, str(errors[0])
    return "__all__", "Check what was sent."
