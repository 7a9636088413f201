"""VIN checks: the format is a hard rule, the North-American check digit only a warning (plenty of
grey-import and pre-1981 vehicles carry VINs that fail it)."""

import re
from dataclasses import dataclass

VIN_FORMAT = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


@dataclass(frozen=True)
class VinCheck:
    vin: str
    error: str = ""
    warning: str = ""


def vin_normalise(raw: str) -> str:
    return re.sub(r"[\s-]", "", raw or "").upper()


def vin_check_digit(vin: str) -> str:
    """The expected 9th character of a well-formed 17-character VIN."""
    total = sum(_VALUES[c] * w for c, w in zip(vin, _WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def vin_check(raw: str) -> VinCheck:
    """Normalise and check a VIN. Empty is fine (the VIN is optional)."""
    vin = vin_normalise(raw)
    if not vin:
        return VinCheck(vin="")
    if len(vin) != 17:
        return VinCheck(vin=vin, error=f"A VIN has exactly 17 characters; this one has {len(vin)}.")
    if not VIN_FORMAT.match(vin):
        return VinCheck(
            vin=vin,
            error="A VIN uses only letters and digits, never the letters I, O or Q (they look like 1 and 0).",
        )
    expected = vin_check_digit(vin)
    if vin[8] != expected:
        return VinCheck(
            vin=vin,
            warning=(
                "This VIN's check digit does not match (common on non-North-American vehicles). "
                "We saved it as typed: please double-check it."
            ),
        )
    return VinCheck(vin=vin)
