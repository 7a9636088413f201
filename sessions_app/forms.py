"""The one set of session action forms: the room, the dashboard and the API read their rules here.

Limits come from the models where a column has one; the summary's is ours (a TextField has none).
"""

from django import forms

from autodoctor.uploads import ACCEPT_ATTRIBUTE, CheckedUpload, UploadRejected, upload_check

from .models import Rating, SessionAttachment, SessionMessage

SUMMARY_MAX = 5000
MESSAGE_MAX: int = SessionMessage._meta.get_field("body").max_length or 4000
COMMENT_MAX: int = Rating._meta.get_field("comment").max_length or 2000
SUMMARY_REQUIRED = "Write a short summary of your findings before completing."


class CompleteForm(forms.Form):
    """Complete a live session: the mechanic's findings, shown to the customer."""

    summary = forms.CharField(
        label="Summary of your findings",
        max_length=SUMMARY_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": SUMMARY_REQUIRED},
    )


class MessageForm(forms.Form):
    body = forms.CharField(
        max_length=MESSAGE_MAX,
        label="Message",
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "Write a message…"}),
        error_messages={"required": "Write a message first."},
    )


class RatingForm(forms.Form):
    stars = forms.TypedChoiceField(
        choices=[(i, f"{i} star{'s' if i > 1 else ''}") for i in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
        label="Your rating",
        error_messages={
            "required": "Choose between 1 and 5 stars.",
            "invalid_choice": "Choose between 1 and 5 stars.",
        },
    )
    comment = forms.CharField(
        required=False,
        max_length=COMMENT_MAX,
        label="Comment (optional)",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AttachmentForm(forms.Form):
    """A photo or clip for the room's chat (or the call's snapshot), checked by its content."""

    file = forms.FileField(
        label="Attach a photo or video",
        widget=forms.FileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
        error_messages={"required": "Choose a photo or video first.", "empty": "That file is empty."},
    )
    source = forms.ChoiceField(
        choices=SessionAttachment.Source.choices,
        required=False,
        error_messages={"invalid_choice": "Source is chat or snapshot."},
    )

    def clean_file(self) -> CheckedUpload:
        try:
            return upload_check(self.cleaned_data["file"])
        except UploadRejected as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_source(self) -> str:
        return self.cleaned_data.get("source") or SessionAttachment.Source.CHAT


class PresenceForm(forms.Form):
    state = forms.ChoiceField(
        choices=[("join", "join"), ("beat", "beat"), ("leave", "leave")],
        error_messages={"required": "Say join, beat or leave.", "invalid_choice": "Say join, beat or leave."},
    )


def first_error(form: forms.Form) -> str:
    """The first error of a bound, invalid form, as one sentence for a message or a toast."""
    for errors in form.errors.values():
        return str(errors[0])
    return "Check what you entered."
