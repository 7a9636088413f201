"""The credit packs on sale by default (issue 13); staff edit them in admin."""

from billing.models import CreditPack

DEFAULT_PACKS = [("5 credits", 5, 4495), ("10 credits", 10, 8490)]


def ensure_default_packs() -> None:
    """Create the default packs that are missing (the migration seeds them; flushed test
    databases call this again)."""
    for name, credits, price_cents in DEFAULT_PACKS:
        CreditPack.objects.get_or_create(credits=credits, defaults={"name": name, "price_cents": price_cents})
