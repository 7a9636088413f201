"""The signed link in the quote email: it names the quote and its customer, and is good for
longer than any quote is valid (max_age ≥ valid_until), so the page can still say "expired"
in the quote's own words; after that the link itself has expired.

The link only ever opens a confirmation page; the approve/decline is a POST carrying it."""

from dataclasses import dataclass
from datetime import timedelta

from django.core import signing

from .models import RepairQuote
from .rules import MAX_VALID_DAYS

SALT = "quotes.email-link.v1"
MAX_AGE = timedelta(days=MAX_VALID_DAYS + 1)


class LinkExpired(Exception):
    pass


class LinkInvalid(Exception):
    pass


@dataclass(frozen=True)
class LinkTarget:
    quote_id: int
    customer_user_id: int


def quote_link_token(quote: RepairQuote, *, customer_user_id: int) -> str:
    return signing.dumps({"q": quote.pk, "u": customer_user_id}, salt=SALT, compress=False)


def quote_link_target(token: str) -> LinkTarget:
    """The quote and customer the token was signed for; LinkExpired or LinkInvalid otherwise."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.SignatureExpired:
        raise LinkExpired from None
    except signing.BadSignature:
        raise LinkInvalid from None
    try:
        return LinkTarget(quote_id=int(data["q"]), customer_user_id=int(data["u"]))
    except (KeyError, TypeError, ValueError):
        raise LinkInvalid from None
