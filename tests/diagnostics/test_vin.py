"""VINs decoded through vininfo: the facts, the hard format rule, the check digit as a warning."""

import pytest

from diagnostics.vin import CHECK_DIGIT_WARNING, vin_decode


def test_a_north_american_vin_is_decoded():
    facts = vin_decode("1m8gdm9axkp042788")
    assert facts.valid and facts.vin == "1M8GDM9AXKP042788"
    assert (facts.manufacturer, facts.country, facts.region) == ("Mercury", "United States", "North America")
    assert facts.model_year == 2019  # K is 1989 or 2019: the newest one not in the future
    assert facts.check_digit_ok and facts.warning == ""


def test_a_european_vin_fails_the_check_digit_as_a_warning_only():
    facts = vin_decode("WVW ZZZ1JZ-XW000001")
    assert facts.valid and facts.vin == "WVWZZZ1JZXW000001"
    assert (facts.manufacturer, facts.country, facts.model_year) == ("Volkswagen", "Germany", 1999)
    assert not facts.check_digit_ok and facts.warning == CHECK_DIGIT_WARNING


def test_an_unknown_manufacturer_is_blank_not_the_librarys_placeholder():
    facts = vin_decode("ZZZZZZZZZZZZZZZZZ")
    assert facts.valid and facts.manufacturer == ""


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("ABC", "exactly 17 characters; this one has 3"),
        ("IOQ45678901234567", "never the letters I, O or Q"),
        ("1M8GDM9AXKP04278!", "never the letters I, O or Q"),
        ("X" * 300, "exactly 17 characters; this one has 300"),
    ],
)
def test_malformed_vins_are_errors(raw, message):
    facts = vin_decode(raw)
    assert not facts.valid and message in facts.error


def test_empty_is_fine():
    facts = vin_decode("  ")
    assert facts.vin == "" and facts.error == "" and not facts.valid
