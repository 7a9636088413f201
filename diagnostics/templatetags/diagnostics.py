"""Template helpers of the diagnosis, for any screen: `{{ intake.vin|vin_facts }}`."""

from django import template

from diagnostics.vin import VinFacts, vin_decode

register = template.Library()


@register.filter
def vin_facts(vin: str | None) -> VinFacts | None:
    """The decoded facts of a well-formed VIN, else None (nothing to show). No query: the
    decoding is a table lookup, cached per VIN."""
    facts = vin_decode(vin or "")
    return facts if facts.valid else None
