"""The report as a PDF: the report page's own template rendered by WeasyPrint (with Debian's
Pango), on a print-only base layout. Nothing is fetched over the network: stylesheets come from
the static files, photos from storage, and only the photos this report shows.

WeasyPrint is imported when a PDF is made, not with the URL configuration: it takes seconds to
import and most processes never render one."""

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.template.loader import render_to_string
from django.urls import reverse

from autodoctor.timezones import local_time_of

from .selectors import Report

BASE_URL = "https://report.invalid/"  # never resolved: every URL is answered by report_resource


def report_resource(report: Report, url: str) -> tuple[bytes, str]:
    """The body and content type of one resource the report's HTML names; ValueError for any
    other URL (no network, no other file: no SSRF, no leaks)."""
    parts = urlsplit(url)
    if f"{parts.scheme}://{parts.netloc}/" != BASE_URL:
        raise ValueError(f"the report fetches nothing from outside: {url}")
    path = parts.path
    for attachment in report.photos:
        if path == reverse("attachment_download", args=[attachment.pk]):
            with attachment.file.open("rb") as handle:
                return handle.read(), attachment.content_type
    static_prefix = "/" + settings.STATIC_URL.lstrip("/")
    if path.startswith(static_prefix):
        name = path.removeprefix(static_prefix)
        kind = "text/css" if name.endswith(".css") else "application/octet-stream"
        found = finders.find(name)
        if isinstance(found, str):
            with open(found, "rb") as handle:
                return handle.read(), kind
        if staticfiles_storage.exists(name):  # a hashed name, after collectstatic
            with staticfiles_storage.open(name) as handle:
                return handle.read(), kind
    raise ValueError(f"not a resource of this report: {url}")


def report_html(report: Report) -> str:
    """The PDF's HTML, in the customer's local time (the PDF is the customer's record, whoever
    downloads it)."""
    with local_time_of(report.session.customer.time_zone):
        return render_to_string(
            "mechanics/report.html",
            {"report": report, "pdf": True, "base_template": "diagnostics/pdf_base.html"},
        )


def report_pdf(report: Report) -> bytes:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class ReportFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            body, kind = report_resource(report, url)
            return URLFetcherResponse(url, body, {"Content-Type": kind})

    pdf = HTML(string=report_html(report), base_url=BASE_URL, url_fetcher=ReportFetcher()).write_pdf()
    assert pdf is not None
    return pdf
