"""Customer-side routes outside /customer/: Stripe's webhook and the guarded attachment files."""

from django.urls import path

from . import views, webhooks

urlpatterns = [
    path("stripe/webhook/", webhooks.stripe_webhook, name="stripe_webhook"),
    path("attachments/<int:attachment_id>/", views.attachment_download, name="attachment_download"),
]
