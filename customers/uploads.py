"""Intake attachments: checked by their content (never by name or the browser's claim), stored under
MEDIA_ROOT with random names, and served only through the attachment view."""

import uuid
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

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
    return CheckedUpload(file=upload, content_type=kind.mime, extension=ALLOWED_TYPES[kind.mime])


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
