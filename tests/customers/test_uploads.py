"""Intake attachments: checked by content, stored with random names, served with nosniff."""

from pathlib import Path

import pytest

from customers.models import Intake, IntakeAttachment
from tests.customers.conftest import intake_data
from tests.customers.uploadfiles import html_as_png, mp4, pdf, png, png_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def post_with(client, files):
    return client.post("/customer/request/new/", {**intake_data(), "attachments": files})


def test_accepted_image_is_stored_under_a_random_name_and_served_with_nosniff(customer_client, media_root):
    response = post_with(customer_client, [png("my car.png"), mp4("engine noise.mp4")])
    assert response.status_code == 302
    image, video = IntakeAttachment.objects.order_by("id")
    assert (image.original_name, image.content_type, image.size) == (
        "my car.png",
        "image/png",
        len(png_bytes()),
    )
    stored = Path(image.file.path)
    assert stored.is_file() and media_root in stored.parents
    assert "my car" not in stored.name and stored.name.endswith(".png") and len(stored.stem) == 32

    served = customer_client.get(f"/attachments/{image.pk}/")
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Disposition"].startswith("inline")
    assert b"".join(served.streaming_content) == png_bytes()

    served = customer_client.get(f"/attachments/{video.pk}/")
    assert served["Content-Type"] == "video/mp4" and served["Content-Disposition"].startswith("attachment")
    assert served["X-Content-Type-Options"] == "nosniff"


def test_oversized_file_is_refused_with_a_message(customer_client, settings):
    settings.MAX_UPLOAD_BYTES = 1024
    response = post_with(customer_client, [png("huge.png", size=(400, 400), color="blue")])
    assert response.status_code == 400
    body = response.content.decode()
    assert "“huge.png” is larger than 1 KB" in body
    assert "choose your photos or videos again" in body
    assert "Grinding noise" in body  # what was typed is kept
    assert not Intake.objects.exists()


@pytest.mark.parametrize("upload", [pdf, html_as_png], ids=["pdf", "html-renamed-png"])
def test_wrong_type_by_content_is_refused(customer_client, upload):
    response = post_with(customer_client, [upload()])
    assert response.status_code == 400
    assert "is not a photo or video we accept" in response.content.decode()
    assert not IntakeAttachment.objects.exists()


def test_at_most_five_files(customer_client):
    response = post_with(customer_client, [png(f"p{i}.png") for i in range(6)])
    assert response.status_code == 400 and "Attach at most 5 files" in response.content.decode()


def test_missing_file_on_disk_is_404_not_500(customer_client, media_root):
    post_with(customer_client, [png()])
    attachment = IntakeAttachment.objects.get()
    Path(attachment.file.path).unlink()
    assert customer_client.get(f"/attachments/{attachment.pk}/").status_code == 404
