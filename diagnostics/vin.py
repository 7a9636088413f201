"""VINs, decoded by the maintained `vininfo` library (manufacturer, country, model year, check
digit). The format is a hard rule; a wrong check digit only a warning (plenty of grey-import and
pre-1981 vehicles, and most European ones, carry VINs that fail the North-American check).

A low module with no model of its own: the intake form (customers), the mechanics' templates and
the report all decode through here."""

import re
from dataclasses import dataclass
from functools import lru_cache

from django.utils import timezone
from vininfo import Vin
from vininfo.exceptions import ValidationError as VinFormatError

VIN_LENGTH = 17
CHECK_DIGIT_WARNING = (
    "This VIN's check digit does not match (common on non-North-American vehicles). "
    "We saved it as typed: please double-check it."
)
UNKNOWN = "UnsupportedBrand"  # what vininfo answers for a manufacturer code it does not know


@dataclass(frozen=True)
class VinFacts:
    """What a well-formed VIN tells, or `error` for one that is not a VIN at all."""

    vin: str
    error: str = ""
    manufacturer: str = ""
    country: str = ""
    region: str = ""
    model_year: int | None = None
    check_digit_ok: bool = False

    @property
    def valid(self) -> bool:
        return bool(self.vin) and not self.error

    @property
    def warning(self) -> str:
        return CHECK_DIGIT_WARNING if self.valid and not self.check_digit_ok else ""


def vin_normalise(raw: str) -> str:
    return re.sub(r"[\s-]", "", raw or "").upper()


def _model_year(candidates: list[int]) -> int | None:
    """The 10th character repeats every 30 years: the newest year not in the future."""
    latest = timezone.now().year + 1
    fitting = [year for year in candidates if year <= latest]
    return max(fitting) if fitting else None


@lru_cache(maxsize=4096)
def _decoded(vin: str) -> VinFacts:
    try:
        decoded = Vin(vin)
    except VinFormatError:
        if len(vin) != VIN_LENGTH:
            return VinFacts(vin=vin, error=f"A VIN has exactly 17 characters; this one has {len(vin)}.")
        return VinFacts(
            vin=vin,
            error="A VIN uses only letters and digits, never the letters I, O or Q (they look like 1 and 0).",
        )
    manufacturer = decoded.manufacturer
    return VinFacts(
        vin=vin,
        manufacturer="" if manufacturer == UNKNOWN else str(manufacturer or ""),
        country=str(decoded.country or ""),
        region=str(decoded.region or ""),
        model_year=_model_year(list(decoded.years or [])),
        check_digit_ok=bool(decoded.verify_checksum()),
    )


def vin_decode(raw: str) -> VinFacts:
    """Normalise and decode a VIN. Empty is fine (the VIN is optional): no facts, no error."""
    vin = vin_normalise(raw)
    if not vin:
        return VinFacts(vin="")
    if len(vin) > 40:  # never cache whatever an attacker pastes
        return VinFacts(vin=vin[:40], error=f"A VIN has exactly 17 characters; this one has {len(vin)}.")
    return _decoded(vin)
