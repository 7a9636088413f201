"""Bounded input: a request body is refused before it is read when it says it is too large, and an
upload stops being stored at its limit while it streams (nothing past the limit reaches memory or
disk); an oversized file then arrives as an empty placeholder that the form refuses with the limit
in words, keeping what the customer typed."""

from collections.abc import Awaitable
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

from autodoctor.middleware import SyncAndAsyncMiddleware


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB"


def too_large_response(request: HttpRequest) -> HttpResponse:
    """413 with the limit in words: JSON for the API, a short page otherwise."""
    limit = megabytes(settings.MAX_REQUEST_BYTES)
    detail = (
        f"That request is larger than we accept ({limit} in all; each photo or video at most "
        f"{megabytes(settings.MAX_UPLOAD_BYTES)}). Send smaller or fewer files."
    )
    if request.path.startswith("/api/"):
        return JsonResponse({"error": "request_too_large", "detail": detail}, status=413)
    html = render_to_string("413.html", {"detail": detail})
    return HttpResponse(html, status=413)


class RequestSizeLimitMiddleware(SyncAndAsyncMiddleware):
    """Refuse a body whose Content-Length is over MAX_REQUEST_BYTES without reading it."""

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        if _too_large(request):
            response = too_large_response(request)
            return self._answer(response) if self.is_async else response
        return self.get_response(request)

    @staticmethod
    async def _answer(response: HttpResponse) -> HttpResponse:
        return response


def _too_large(request: HttpRequest) -> bool:
    length = request.META.get("CONTENT_LENGTH") or ""
    return length.isdigit() and int(length) > settings.MAX_REQUEST_BYTES


class OversizedUpload(UploadedFile):
    """What is left of a file that passed MAX_UPLOAD_BYTES: its name and that it was too large."""

    def __init__(self, name: str, content_type: str, seen: int) -> None:
        from io import BytesIO

        super().__init__(BytesIO(b""), name=name, content_type=content_type, size=seen)


class SizeLimitUploadHandler(FileUploadHandler):
    """First in FILE_UPLOAD_HANDLERS: passes chunks on until a file reaches MAX_UPLOAD_BYTES, then
    swallows the rest of that file and hands the form an OversizedUpload instead."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.seen = 0
        self.oversized = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.seen += len(raw_data)
        if self.seen > settings.MAX_UPLOAD_BYTES:
            self.oversized = True
        return None if self.oversized else raw_data

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if self.oversized:
            return OversizedUpload(self.file_name or "file", self.content_type or "", self.seen)
        return None  # the next handler (memory or temporary file) holds the data
