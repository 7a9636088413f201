"""Trouble codes by their structure, and their descriptions from our table."""

import pytest

from diagnostics.codes import code_error, code_lookup, code_normalise
from diagnostics.dtc_table import DTC_DESCRIPTIONS
from diagnostics.forms import CodeForm


@pytest.mark.parametrize(
    ("raw", "area", "generic", "subsystem"),
    [
        ("P0301", "Powertrain", True, "ignition system or misfire"),
        ("p0171", "Powertrain", True, "fuel and air metering"),
        ("P1456", "Powertrain", False, "auxiliary emission controls"),
        ("P2096", "Powertrain", True, "fuel and air metering, auxiliary emission controls"),
        ("P0201", "Powertrain", True, "fuel and air metering (injector circuit)"),
        ("P3000", "Powertrain", False, "fuel and air metering, auxiliary emission controls"),
        ("P3400", "Powertrain", True, "auxiliary emission controls"),
        ("P0A80", "Powertrain", True, "hybrid propulsion"),
        ("P0700", "Powertrain", True, "transmission"),
        ("B1318", "Body", False, ""),
        ("C0035", "Chassis", True, ""),
        ("U0100", "Network", True, ""),
        ("U2100", "Network", False, ""),
    ],
)
def test_structure(raw, area, generic, subsystem):
    code = code_lookup(raw)
    assert (code.area, code.generic, code.subsystem) == (area, generic, subsystem)
    assert code.code == code_normalise(raw) == raw.upper()


def test_known_generic_codes_are_described_from_the_table():
    assert code_lookup("P0301").meaning == "Cylinder 1 misfire detected"
    assert code_lookup("P0420").meaning == "Catalyst system efficiency below threshold (bank 1)"
    assert code_lookup("P0141").meaning == "O2 sensor heater circuit malfunction (bank 1, sensor 2)"
    assert code_lookup("U0100").meaning == "Lost communication with ECM/PCM A"


def test_unknown_but_valid_codes_keep_their_structural_meaning():
    assert code_lookup("P0399").description == ""
    assert code_lookup("P0399").meaning == "Powertrain code, generic (SAE), ignition system or misfire"
    # A manufacturer's code is never described from the generic table, even when the digits match one.
    assert (
        code_lookup("P1301").meaning == "Powertrain code, manufacturer-specific, ignition system or misfire"
    )
    assert code_lookup("B1318").meaning == "Body code, manufacturer-specific"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "Enter a trouble code"),
        ("X0301", "starts with P, B, C or U"),
        ("P030", "letter and four characters"),
        ("P03011", "letter and four characters"),
        ("P4301", "second character"),
        ("P03G1", "digits or the letters A to F"),
    ],
)
def test_malformed_codes_are_refused_with_the_reason(raw, message):
    assert message in code_error(code_normalise(raw))
    with pytest.raises(ValueError):
        code_lookup(raw)
    form = CodeForm(data={"code": raw, "status": "active"})
    assert not form.is_valid() and "code" in form.errors


def test_every_table_entry_is_a_valid_generic_code():
    assert len(DTC_DESCRIPTIONS) > 150
    for code, description in DTC_DESCRIPTIONS.items():
        assert code_error(code) == "", code
        assert code_lookup(code).generic, code
        assert description and len(description) <= 200, code


def test_the_form_normalises_spaces_and_case():
    form = CodeForm(data={"code": " p 0301 ", "status": "pending", "notes": ""})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["code"] == "P0301"
