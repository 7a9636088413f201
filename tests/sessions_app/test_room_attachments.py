"""Photos and clips in the room's chat: checked by content, only for the session's two people
while it is waiting or live, served only to them and staff with nosniff, thumbnails made."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from autodoctor.uploads import upload_check
from sessions_app.models import SessionAttachment, SessionEvent, SessionMessage
from sessions_app.room_selectors import chat_lines
from sessions_app.services import attachment_add, session_accept, session_complete, session_start
from sessions_app.transitions import SessionEventType
from tests.customers.uploadfiles import html_as_png, mp4, pdf, png, png_bytes
from tests.factories import PASSWORD, client_for, make_customer, make_mechanic, make_session, open_assignment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def live():
    """A live chat session of alice with mike: (session, customer client, mechanic client)."""
    alice = make_customer("alice")
    mike = make_mechanic("mike")
    session = make_session(alice)
    session_accept(assignment=open_assignment(session), mechanic=mike)
    session = session_start(session=session, mechanic=mike)
    return session, client_for(alice.user), client_for(mike.user)


def url(session) -> str:
    return f"/sessions/{session.pk}/attachments/"


def jpeg_with_trailer(trailer: bytes, name: str = "engine.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "blue").save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue() + trailer, content_type="image/jpeg")


def test_customer_shares_a_photo_json_thumbnail_event_and_chat_line(live):
    session, customer, mechanic = live
    photo = png("bay.png", size=(800, 600))
    response = customer.post(url(session), {"file": photo}, HTTP_ACCEPT="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    attachment = SessionAttachment.objects.get()
    assert body["id"] == attachment.pk and body["kind"] == "photo" and body["content_type"] == "image/png"
    assert body["thumbnail_url"] == f"/sessions/attachments/{attachment.pk}/thumbnail/"
    assert attachment.source == "chat" and attachment.uploader == session.customer.user
    with Image.open(attachment.thumbnail.open("rb")) as thumb:  # a real JPEG, at most 320 px
        assert thumb.format == "JPEG" and max(thumb.size) == 320
    event = SessionEvent.objects.get(type=SessionEventType.ATTACHMENT_ADDED)
    assert event.data["attachment_id"] == attachment.pk and event.actor == session.customer.user
    assert attachment.message is not None and attachment.message.body == "Shared a photo: bay.png"
    page = mechanic.get(f"/sessions/{session.pk}/messages/?after=0").content.decode()
    assert f'src="/sessions/attachments/{attachment.pk}/thumbnail/"' in page and "Photo: bay.png" in page


def test_mechanic_snapshot_and_a_video_gets_a_tile(live):
    session, customer, mechanic = live
    response = mechanic.post(
        url(session), {"file": png("snap.png"), "source": "snapshot"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 201 and response.json()["kind"] == "snapshot"
    response = customer.post(url(session), {"file": mp4("noise.mp4")}, HTTP_ACCEPT="application/json")
    assert response.status_code == 201
    video = SessionAttachment.objects.get(content_type="video/mp4")
    assert not video.thumbnail and response.json()["thumbnail_url"] is None
    page = customer.get(f"/chat/{session.pk}/").content.decode()
    assert "▶ Video" in page and "Snapshot: snap.png" in page


def test_htmx_upload_answers_201_with_a_chat_refresh(live):
    session, customer, _ = live
    response = customer.post(url(session), {"file": png()}, HTTP_HX_REQUEST="true")
    assert response.status_code == 201 and "chat-refresh" in response["HX-Trigger"]


def test_plain_form_upload_redirects_back_to_the_chat(live):
    session, customer, _ = live
    response = customer.post(url(session), {"file": png()})
    assert response.status_code == 302 and response["Location"] == f"/chat/{session.pk}/#chat"
    assert SessionAttachment.objects.count() == 1


@pytest.mark.parametrize(
    ("upload", "says"),
    [
        (lambda: html_as_png(), "not a photo or video we accept"),
        (lambda: pdf(), "not a photo or video we accept"),
        (
            lambda: jpeg_with_trailer(b"<script>alert(document.cookie)</script>"),
            "also carries something else",
        ),
        (
            lambda: jpeg_with_trailer(b"PK\x03\x04" + b"\x00" * 26 + b"PK\x05\x06" + b"\x00" * 18),
            "also carries",
        ),
        (
            lambda: SimpleUploadedFile(
                "gif.gif", b"GIF89a/*<html><body>*/alert(1)", content_type="image/gif"
            ),
            "also carries",
        ),
        (lambda: SimpleUploadedFile("cut.png", png_bytes()[:40], content_type="image/png"), "also carries"),
    ],
    ids=["html-named-png", "pdf", "jpeg-with-script", "jpeg-with-zip", "gif-html-polyglot", "truncated-png"],
)
def test_refused_uploads_say_why_and_save_nothing(live, upload, says):
    session, customer, _ = live
    response = customer.post(url(session), {"file": upload()}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_input" and says in response.json()["detail"]
    assert not SessionAttachment.objects.exists() and not SessionMessage.objects.exists()


def test_polyglot_refused_by_the_shared_checker_for_intakes_too():
    """One checker: the intake's uploads refuse the same polyglot."""
    from autodoctor.uploads import UploadRejected

    with pytest.raises(UploadRejected, match="also carries"):
        upload_check(jpeg_with_trailer(b"<html><script>x()</script></html>"))
    assert upload_check(png()).content_type == "image/png"


def test_missing_file_is_a_field_message(live):
    session, customer, _ = live
    response = customer.post(url(session), {}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400 and response.json()["detail"] == "Choose a photo or video first."
    response = customer.post(url(session), {"file": png(), "source": "bogus"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400 and "chat or snapshot" in response.json()["detail"]


def test_third_users_get_404_and_staff_may_look_but_not_post(live):
    session, customer, _ = live
    assert customer.post(url(session), {"file": png()}, HTTP_ACCEPT="application/json").status_code == 201
    attachment = SessionAttachment.objects.get()
    staff = get_user_model().objects.create_user("sam", password=PASSWORD, is_staff=True)
    for outsider in (make_customer("bob").user, make_mechanic("max").user):
        client = client_for(outsider)
        assert client.post(url(session), {"file": png()}).status_code == 404
        assert client.get(f"/sessions/attachments/{attachment.pk}/").status_code == 404
        assert client.get(f"/sessions/attachments/{attachment.pk}/thumbnail/").status_code == 404
    assert client_for(staff).get(f"/sessions/attachments/{attachment.pk}/").status_code == 200
    assert client_for(staff).post(url(session), {"file": png()}).status_code == 404
    assert SessionAttachment.objects.count() == 1


def test_409_once_the_session_is_over(live):
    session, customer, mechanic = live
    session_complete(session=session, mechanic=session.mechanic, summary="Done")
    response = customer.post(url(session), {"file": png()}, HTTP_ACCEPT="application/json")
    assert response.status_code == 409 and response.json()["error"] == "invalid_transition"
    assert "waiting or live" in response.json()["detail"]
    assert not SessionAttachment.objects.exists()


def test_pending_session_refuses_attachments():
    alice = make_customer("alice")
    session = make_session(alice)
    response = client_for(alice.user).post(url(session), {"file": png()}, HTTP_ACCEPT="application/json")
    assert response.status_code == 409


def test_served_with_nosniff_inline_for_photos_download_for_videos(live):
    session, customer, mechanic = live
    customer.post(url(session), {"file": png()})
    customer.post(url(session), {"file": mp4()})
    photo, video = SessionAttachment.objects.order_by("id")
    response = mechanic.get(f"/sessions/attachments/{photo.pk}/")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == png_bytes()
    thumb = mechanic.get(f"/sessions/attachments/{photo.pk}/thumbnail/")
    assert thumb["Content-Type"] == "image/jpeg" and thumb["X-Content-Type-Options"] == "nosniff"
    response = mechanic.get(f"/sessions/attachments/{video.pk}/")
    assert (
        response["Content-Disposition"].startswith("attachment")
        and response["X-Content-Type-Options"] == "nosniff"
    )
    assert mechanic.get(f"/sessions/attachments/{video.pk}/thumbnail/").status_code == 404  # no thumbnail


def test_rate_limited_like_messages(live, settings):
    session, customer, _ = live
    settings.ATTACHMENTS_PER_HOUR = 2
    for _ in range(2):
        assert customer.post(url(session), {"file": png()}, HTTP_ACCEPT="application/json").status_code == 201
    response = customer.post(url(session), {"file": png()}, HTTP_ACCEPT="application/json")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "limit of 2 photos and clips per hour" in response.json()["detail"]


def test_service_refuses_outsiders_and_checks_the_source(live):
    from autodoctor.errors import DomainError

    session, _, _ = live
    with pytest.raises(DomainError) as refused:
        attachment_add(session=session, uploader=make_customer("bob").user, upload=upload_check(png()))
    assert refused.value.code == "not_found"
    with pytest.raises(DomainError):
        attachment_add(
            session=session, uploader=session.customer.user, upload=upload_check(png()), source="x"
        )


def test_chat_poll_with_attachments_keeps_its_query_count(live, django_assert_num_queries):
    session, customer, mechanic = live
    for _ in range(3):
        customer.post(url(session), {"file": png()})
    mechanic.get(f"/sessions/{session.pk}/messages/?after=0")
    # session row + user + the session (joined) + messages with their attachments (one query)
    with django_assert_num_queries(4):
        response = mechanic.get(f"/sessions/{session.pk}/messages/?after=0")
    assert response.content.decode().count('data-testid="chat-attachment"') == 3
    lines = chat_lines(session=session, user=session.customer.user)
    assert [line.attachment is not None for line in lines] == [True, True, True]


def test_attachment_file_view_query_count(live, django_assert_num_queries):
    session, customer, mechanic = live
    customer.post(url(session), {"file": png()})
    attachment = SessionAttachment.objects.get()
    mechanic.get(f"/sessions/attachments/{attachment.pk}/")
    # session row + user + the attachment with its session, customer and mechanic
    with django_assert_num_queries(3):
        assert mechanic.get(f"/sessions/attachments/{attachment.pk}/thumbnail/").status_code == 200


def test_report_lists_the_session_attachments(live):
    session, customer, mechanic = live
    customer.post(url(session), {"file": png("wheel.png")})
    session_complete(session=session, mechanic=session.mechanic, summary="Done")
    page = mechanic.get(f"/mechanic/sessions/{session.pk}/report/").content.decode()
    assert "Photos and clips from the session" in page and "Photo: wheel.png" in page


def test_a_write_that_fails_after_the_file_is_stored_leaves_no_file_behind(live, media, monkeypatch):
    """The database fails while recording the event (after the file and thumbnail were written):
    the rows roll back, and so do the files."""
    from django.db import OperationalError

    import sessions_app.services.room as room

    session, customer, _ = live

    def database_gone(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(room, "event_record", database_gone)
    upload = upload_check(png("bay.png", size=(800, 600)))
    with pytest.raises(OperationalError):
        attachment_add(session=session, uploader=session.customer.user, upload=upload)
    assert (
        not SessionAttachment.objects.exists() and not SessionMessage.objects.filter(session=session).exists()
    )
    assert [p for p in media.rglob("*") if p.is_file()] == []
