"""Bounded input (hardening issue): bodies refused from their Content-Length, uploads stop being
stored at their limit while streaming, clear 413s with the limit in words, per-user rate limits
(429 with Retry-After and a message), and attachments of intakes never sent deleted after 24 h."""

import json
from pathlib import Path

import pytest
from django.core.files.uploadhandler import MemoryFileUploadHandler
from django.core.management import call_command
from django.test import Client

from autodoctor.errors import DomainError
from customers.models import Intake, IntakeAttachment
from customers.services import intakes_purge_abandoned
from sessions_app.models import SessionMessage
from sessions_app.services import message_send, session_accept
from tests.customers.conftest import intake_data
from tests.customers.uploadfiles import png
from tests.factories import make_customer, make_mechanic, make_session, open_assignment, plan

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def customer_client():
    plan("free-chat")
    client = Client()
    client.force_login(make_customer("alice").user)
    return client


class RecordingHandler(MemoryFileUploadHandler):
    """Stands behind our limit handler and records every byte that got past it."""

    received: dict[str, int] = {}

    def new_file(self, field_name, file_name, *args, **kwargs) -> None:
        RecordingHandler.received[file_name] = 0
        super().new_file(field_name, file_name, *args, **kwargs)  # raises StopFutureHandlers

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        RecordingHandler.received[self.file_name] += len(raw_data)
        return super().receive_data_chunk(raw_data, start)


def test_an_oversized_upload_stops_being_stored_at_the_limit(customer_client, settings):
    settings.MAX_UPLOAD_BYTES = 1024
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024  # keep everything in the recorder
    settings.FILE_UPLOAD_HANDLERS = [
        "autodoctor.limits.SizeLimitUploadHandler",
        f"{__name__}.RecordingHandler",
    ]
    RecordingHandler.received = {}
    big = png("huge.png", size=(1500, 1500), color="blue")
    assert big.size > 5 * 1024
    response = customer_client.post(
        "/customer/request/new/", {**intake_data(), "attachments": [png("small.png"), big]}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "“huge.png” is larger than 1 KB" in body and "Grinding noise" in body
    assert RecordingHandler.received["huge.png"] == 0  # not one byte past our handler
    assert RecordingHandler.received["small.png"] > 0
    assert not Intake.objects.exists()


def test_a_body_larger_than_the_limit_is_413_before_it_is_read(customer_client, settings):
    settings.MAX_REQUEST_BYTES = 2000
    page = customer_client.post("/customer/request/new/", {**intake_data(), "concern": "x" * 5000})
    assert page.status_code == 413 and "MB" in page.content.decode()
    api = customer_client.post(
        "/api/intake/start", json.dumps({"concern": "x" * 5000}), content_type="application/json"
    )
    assert api.status_code == 413 and api.json()["error"] == "request_too_large"


def test_under_asgi_the_body_limit_and_the_request_id_need_no_thread_hop(settings):
    """Both middlewares are async-capable: an ASGI server (uvicorn) runs them on its loop."""
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    from autodoctor.limits import RequestSizeLimitMiddleware
    from autodoctor.request_id import RequestIdMiddleware

    assert RequestSizeLimitMiddleware.async_capable and RequestIdMiddleware.async_capable
    settings.MAX_REQUEST_BYTES = 2000
    client = AsyncClient()
    refused = async_to_sync(client.post)("/api/intake/start", "x" * 5000, content_type="application/json")
    assert refused.status_code == 413 and refused.json()["error"] == "request_too_large"
    assert len(refused["X-Request-ID"]) == 32
    kept = async_to_sync(client.get)("/healthz/", headers={"X-Request-ID": "proxy-id-1234"})
    assert kept.status_code == 200 and kept["X-Request-ID"] == "proxy-id-1234"
    forged = async_to_sync(client.get)("/healthz/", headers={"X-Request-ID": "bad id with spaces"})
    assert len(forged["X-Request-ID"]) == 32  # not the offered one: it does not look like an id


def test_a_json_body_over_the_memory_limit_is_413(customer_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    text = json.dumps({"plan": "free-chat", "concern": "x" * (2 * 1024 * 1024)})
    response = customer_client.post("/api/intake/start", text, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"] == "request_too_large" and "1 MB" in response.json()["detail"]


def test_a_form_body_over_the_memory_limit_is_413_with_the_limit(customer_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = customer_client.post("/customer/request/new/", {**intake_data(), "concern": "y" * 4000})
    assert response.status_code == 413 and "20 MB" in response.content.decode()


def test_intake_creation_is_rate_limited_per_customer_with_retry_after(customer_client, settings, clock):
    settings.INTAKES_PER_HOUR = 3
    body = json.dumps(
        {"plan": "free-chat", "concern": "Grinding noise from the front left wheel when braking."}
    )
    for _ in range(3):
        ok = customer_client.post("/api/intake/start", body, content_type="application/json")
        assert ok.status_code == 201
        clock.advance(minutes=10)
    refused = customer_client.post("/api/intake/start", body, content_type="application/json")
    assert refused.status_code == 429
    assert refused.json()["error"] == "rate_limited" and "3 new requests per hour" in refused.json()["detail"]
    # The first of the three leaves the window 60 minutes after it was made: 30 minutes from now.
    assert 30 * 60 <= int(refused["Retry-After"]) <= 30 * 60 + 1
    assert Intake.objects.count() == 3
    clock.advance(minutes=31)
    assert customer_client.post("/api/intake/start", body, content_type="application/json").status_code == 201


def test_chat_messages_are_rate_limited_per_sender(settings, clock):
    settings.MESSAGES_PER_MINUTE = 5
    mechanic = make_mechanic("mike")
    session = session_accept(assignment=open_assignment(make_session()), mechanic=mechanic)
    for i in range(5):
        message_send(session=session, sender=mechanic.user, body=f"message {i}")
    with pytest.raises(DomainError) as refused:
        message_send(session=session, sender=mechanic.user, body="one too many")
    assert refused.value.code == "rate_limited" and refused.value.http_status == 429
    assert refused.value.retry_after and refused.value.retry_after <= 61
    # The other participant is counted separately.
    message_send(session=session, sender=session.customer.user, body="hello")
    clock.advance(minutes=1, seconds=1)
    message_send(session=session, sender=mechanic.user, body="later")
    assert SessionMessage.objects.count() == 7


def test_attachments_are_rate_limited_per_customer(customer_client, settings):
    settings.ATTACHMENTS_PER_HOUR = 3
    first = customer_client.post(
        "/customer/request/new/", {**intake_data(), "attachments": [png("a.png"), png("b.png")]}
    )
    assert first.status_code == 302
    second = customer_client.post(
        "/customer/request/new/", {**intake_data(), "attachments": [png("c.png"), png("d.png")]}
    )
    assert second.status_code == 429 and "3 attachments per hour" in second.content.decode()


def test_attachments_of_intakes_never_sent_are_deleted_after_24_hours(customer_client, clock, media_root):
    customer_client.post("/customer/request/new/", {**intake_data(), "attachments": [png("left.png")]})
    abandoned = IntakeAttachment.objects.get()
    path = Path(abandoned.file.path)
    assert path.is_file()
    clock.advance(hours=23)
    assert intakes_purge_abandoned() == 0
    clock.advance(hours=2)
    call_command("purge_abandoned_intakes")
    assert not IntakeAttachment.objects.exists() and not path.exists()
    assert Intake.objects.count() == 1  # the intake row itself holds no files


def test_attachments_of_sent_intakes_are_kept(customer_client, clock):
    response = customer_client.post(
        "/customer/request/new/", {**intake_data(), "attachments": [png("kept.png")]}
    )
    intake = Intake.objects.get()
    waiver = customer_client.post(
        f"/customer/request/{intake.pk}/waiver/", {"full_name": "Alice Anderson", "agreed": "on"}
    )
    assert response.status_code == 302 and waiver.status_code == 302
    clock.advance(hours=48)
    assert intakes_purge_abandoned() == 0 and IntakeAttachment.objects.count() == 1


def test_a_rate_limited_chat_post_is_429_with_retry_after_and_a_toast(settings):
    settings.MESSAGES_PER_MINUTE = 1
    mechanic = make_mechanic("mike")
    session = session_accept(assignment=open_assignment(make_session()), mechanic=mechanic)
    client = Client()
    client.force_login(mechanic.user)
    url = f"/sessions/{session.pk}/messages/"
    assert client.post(url, {"body": "first"}, headers={"HX-Request": "true"}).status_code == 204
    refused = client.post(url, {"body": "second"}, headers={"HX-Request": "true"})
    assert refused.status_code == 429 and 1 <= int(refused["Retry-After"]) <= 61
    assert "limit of 1 messages per minute" in json.loads(refused["HX-Trigger"])["toast"]["message"]
    assert SessionMessage.objects.count() == 1
