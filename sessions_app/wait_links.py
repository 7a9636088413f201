"""The signed link in the "keep waiting or cancel?" email (ask before expiry). It names the session
and its customer; whoever holds it may answer for that customer, like the quote email's link
(quotes/links.py). The link only opens a confirmation page; the answer is a POST carrying it.
It is good for WAIT_LINK_MAX_AGE_HOURS, longer than any request can wait, so the page can say
"it already expired" or "a mechanic took it" in the session's own words."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import Session

SALT = "sessions.wait-link.v1"


class LinkExpired(Exception):
    pass


class LinkInvalid(Exception):
    pass


@dataclass(frozen=True)
class WaitLinkTarget:
    session_id: int
    customer_user_id: int


def wait_link_token(session: Session) -> str:
    """Needs the session's customer loaded (or its customer_id's user id via select_related)."""
    return signing.dumps({"s": session.pk, "u": session.customer.user_id}, salt=SALT, compress=False)


def wait_link_url(session: Session) -> str:
    """The absolute link for the email (SITE_URL: a scheduled job has no request to ask)."""
    return settings.SITE_URL + reverse("customer_wait_link", args=[wait_link_token(session)])


def wait_link_target(token: str) -> WaitLinkTarget:
    """The session and customer the token was signed for; LinkExpired or LinkInvalid otherwise."""
    try:
        data = signing.loads(token, salt=SALT, max_age=timedelta(hours=settings.WAIT_LINK_MAX_AGE_HOURS))
    except signing.SignatureExpired:
        raise LinkExpired from None
    except signing.BadSignature:
        raise LinkInvalid from None
    try:
        return WaitLinkTarget(session_id=int(data["s"]), customer_user_id=int(data["u"]))
    except (KeyError, TypeError, ValueError):
        raise LinkInvalid from None
