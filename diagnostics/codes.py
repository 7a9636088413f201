"""OBD-II trouble codes (DTCs) by their structure (SAE J2012): a letter for the area, then four
characters. The first digit says who defined it (the standard, or the manufacturer); for
powertrain codes the second says which subsystem. A code our table does not describe is still a
valid code, kept with its structural meaning."""

import re
from dataclasses import dataclass

from .dtc_table import DTC_DESCRIPTIONS

DTC_FORMAT = re.compile(r"^[PBCU][0-3][0-9A-F]{3}$")

AREAS = {"P": "Powertrain", "B": "Body", "C": "Chassis", "U": "Network"}
POWERTRAIN_SUBSYSTEMS = {
    "0": "fuel and air metering, auxiliary emission controls",
    "1": "fuel and air metering",
    "2": "fuel and air metering (injector circuit)",
    "3": "ignition system or misfire",
    "4": "auxiliary emission controls",
    "5": "vehicle speed, idle control and auxiliary inputs",
    "6": "computer and output circuits",
    "7": "transmission",
    "8": "transmission",
    "9": "transmission",
    "A": "hybrid propulsion",
    "B": "hybrid propulsion",
    "C": "hybrid propulsion",
}


@dataclass(frozen=True)
class TroubleCode:
    code: str
    area: str
    generic: bool  # defined by the standard (same meaning on every car), else the manufacturer's
    subsystem: str
    description: str  # from the table, or "" when the table does not know this code

    @property
    def definer(self) -> str:
        return "generic (SAE)" if self.generic else "manufacturer-specific"

    @property
    def meaning(self) -> str:
        """The table's description, or what the structure alone says."""
        if self.description:
            return self.description
        where = f", {self.subsystem}" if self.subsystem else ""
        return f"{self.area} code, {self.definer}{where}"


def code_normalise(raw: str) -> str:
    return re.sub(r"[\s-]", "", raw or "").upper()


def code_error(code: str) -> str:
    """Why `code` (normalised) is not a trouble code, or "" when it is one."""
    if not code:
        return "Enter a trouble code, e.g. P0301."
    if code[0] not in AREAS:
        return "A trouble code starts with P, B, C or U (e.g. P0301)."
    if len(code) != 5:
        return f"A trouble code is a letter and four characters (e.g. P0301); this one has {len(code) - 1}."
    if code[1] not in "0123":
        return "The second character of a trouble code is 0, 1, 2 or 3."
    if not DTC_FORMAT.match(code):
        return "The last three characters of a trouble code are digits or the letters A to F."
    return ""


def _is_generic(code: str) -> bool:
    letter, first, second = code[0], code[1], code[2]
    if letter == "P":
        # P0 and P2 are the standard's; P1 the manufacturer's; P3: P30-P33 manufacturer, P34-P39 standard.
        return first in "02" or (first == "3" and second in "456789")
    return first in "03"  # B/C/U: 0 standard, 1 and 2 manufacturer, 3 reserved by the standard


def code_lookup(raw: str) -> TroubleCode:
    """The structure and description of a valid code (check code_error first: ValueError if not)."""
    code = code_normalise(raw)
    if code_error(code):
        raise ValueError(f"not a trouble code: {raw!r}")
    subsystem = POWERTRAIN_SUBSYSTEMS.get(code[2], "") if code[0] == "P" else ""
    generic = _is_generic(code)
    return TroubleCode(
        code=code,
        area=AREAS[code[0]],
        generic=generic,
        subsystem=subsystem,
        description=DTC_DESCRIPTIONS.get(code, "") if generic else "",
    )
