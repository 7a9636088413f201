"""Uploaded photos and clips (intake attachments, room attachments): checked by their content
(never by name or the browser's claim), stored under MEDIA_ROOT with random names, and served only
through views that check who is asking. One checker for every upload in the app."""

import io
import uuid
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404
from PIL import Image, UnidentifiedImageError

MAX_ATTACHMENTS = 5

# What filetype reports -> the content type we store and serve.
ALLOWED_TYPES: dict[str, str] = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/apng": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/heic": "heic",
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "video/webm": "webm",
}
ACCEPT_ATTRIBUTE = ",".join([*ALLOWED_TYPES, ".heic", ".mov"])


class UploadRejected(ValueError):
    """A file we refuse, with the sentence to show next to the field."""


@dataclass(frozen=True)
class CheckedUpload:
    file: UploadedFile
    content_type: str
    extension: str

    @property
    def original_name(self) -> str:
        return (self.file.name or "upload")[-255:]

    def storage_name(self) -> str:
        """A random name: nothing the uploader typed reaches the file system."""
        return f"{uuid.uuid4().hex}.{self.extension}"


def human_size(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{max(1, size // 1024)} KB"


def upload_check(upload: UploadedFile) -> CheckedUpload:
    """Accept a photo or a short video of at most MAX_UPLOAD_BYTES, judged by its first bytes."""
    name = upload.name or "file"
    limit = settings.MAX_UPLOAD_BYTES
    if upload.size is None or upload.size > limit:
        raise UploadRejected(
            f"“{name}” is larger than {human_size(limit)}. Send a smaller photo or a shorter clip."
        )
    if upload.size == 0:
        raise UploadRejected(f"“{name}” is empty.")
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in ALLOWED_TYPES:
        raise UploadRejected(
            f"“{name}” is not a photo or video we accept (JPEG, PNG, GIF, WebP, HEIC, MP4, MOV or WebM)."
        )
    if _is_polyglot(upload, kind.mime):
        raise UploadRejected(
            f"“{name}” looks like a photo or video but also carries something else (a web page, script "
            "or archive), so we refused it. Send the photo or clip straight from the camera."
        )
    return CheckedUpload(file=upload, content_type=kind.mime, extension=ALLOWED_TYPES[kind.mime])


# Markup or archive markers that have no business in a photo or a clip: a file that starts like an
# image but carries one of these is a polyglot (a page or script a browser or tool could run).
POLYGLOT_MARKERS = (
    b"<script",
    b"<html",
    b"<!doctype",
    b"<?php",
    b"<iframe",
    b"<object",
    b"<embed",
    b"javascript:",
)
ZIP_END = b"PK\x05\x06"  # a ZIP's end-of-directory record: an archive glued to the end (GIFAR)
SCAN_BYTES = 256 * 1024
DECODABLE = {"image/jpeg", "image/png", "image/apng", "image/gif", "image/webp"}  # Pillow reads these


def _is_polyglot(upload: UploadedFile, mime: str) -> bool:
    """Whether the file also carries markup, script or an archive at its head or tail (where a
    glued-on payload sits; scanning megabytes of compressed pixels would only find noise), or,
    for the image types Pillow reads, is not a whole image."""
    size = upload.size or 0
    upload.seek(0)
    try:
        head = upload.read(SCAN_BYTES)
        upload.seek(max(0, size - SCAN_BYTES))
        tail = upload.read(SCAN_BYTES)
        if _has_marker(head) or _has_marker(tail) or ZIP_END in tail[-65_558:]:
            return True
        if mime in DECODABLE:
            upload.seek(0)
            try:
                with Image.open(upload) as image:
                    image.verify()
            except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
                return True
        return False
    finally:
        upload.seek(0)


def _has_marker(data: bytes) -> bool:
    lowered = data.lower()
    return any(marker in lowered for marker in POLYGLOT_MARKERS)


THUMBNAIL_SIZE = (320, 320)


def thumbnail_make(upload: UploadedFile, content_type: str) -> ContentFile | None:
    """A JPEG of at most THUMBNAIL_SIZE for an image Pillow can read; None for videos and HEIC
    (the page shows a "video" or "photo" tile instead)."""
    if content_type not in DECODABLE:
        return None
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            image.seek(0)  # the first frame of an animation
            image.draft("RGB", THUMBNAIL_SIZE)  # a JPEG decodes at 1/2-1/8 scale: ~10x faster
            still = image.convert("RGB")
            still.thumbnail(THUMBNAIL_SIZE)
            out = io.BytesIO()
            still.save(out, format="JPEG", quality=80)
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    finally:
        upload.seek(0)
    return ContentFile(out.getvalue())


def uploads_check(uploads: list[UploadedFile]) -> tuple[list[CheckedUpload], list[str]]:
    """Check every file; return the accepted ones and one sentence per refused one."""
    errors: list[str] = []
    if len(uploads) > MAX_ATTACHMENTS:
        errors.append(f"Attach at most {MAX_ATTACHMENTS} files (you chose {len(uploads)}).")
        return [], errors
    accepted: list[CheckedUpload] = []
    for upload in uploads:
        try:
            accepted.append(upload_check(upload))
        except UploadRejected as exc:
            errors.append(str(exc))
    return accepted, errors


def private_file_response(
    stored: FieldFile, *, content_type: str, inline: bool, filename: str
) -> FileResponse:
    """Serve an uploaded file after the caller checked who is asking: inline (photos) or as a
    download (videos), never sniffed by the browser, sandboxed if opened on its own, cached
    only by that browser. 404 when the file is missing."""
    if not stored:
        raise Http404
    try:
        handle = stored.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=content_type, as_attachment=not inline, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response
