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


@pytest.mark.django_db
def test_the_intake_form_takes_make_and_year_from_the_vin_when_left_empty():
    from customers.forms import IntakeForm
    from tests.factories import plan

    plan()  # the default plans exist
    base = {"plan": "free-chat", "concern": "Rough idle since last week."}
    filled = IntakeForm(data={**base, "vin": "1M8GDM9AXKP042788"})
    assert filled.is_valid(), filled.errors
    assert (filled.cleaned_data["vehicle_make"], filled.cleaned_data["vehicle_year"]) == ("Mercury", 2019)

    typed = IntakeForm(
        data={**base, "vin": "1M8GDM9AXKP042788", "vehicle_make": "Ford", "vehicle_year": "2018"}
    )
    assert typed.is_valid(), typed.errors
    assert (typed.cleaned_data["vehicle_make"], typed.cleaned_data["vehicle_year"]) == ("Ford", 2018)

    warned = IntakeForm(data={**base, "vin": "WVWZZZ1JZXW000001"})
    assert warned.is_valid() and "check digit does not match" in warned.warnings["vin"]
    refused = IntakeForm(data={**base, "vin": "IOQ45678901234567"})
    assert not refused.is_valid() and "never the letters I, O or Q" in refused.errors["vin"][0]


@pytest.mark.django_db
def test_the_queue_row_and_the_intake_view_show_the_vin_facts():
    from customers.models import Intake
    from sessions_app.services import session_accept
    from tests.factories import client_for, make_customer, make_mechanic, make_session, open_assignment, plan

    customer = make_customer()
    intake = Intake.objects.create(
        customer=customer, vin="JHMCM56557C404453", concern="Brakes squeal.", plan=plan("free-chat")
    )
    session = make_session(customer, intake=intake)
    mechanic = make_mechanic()
    client = client_for(mechanic.user)
    dashboard = client.get("/mechanic/dashboard/").content.decode()
    assert "VIN: Honda, Japan, 2007 · check digit OK" in dashboard
    session_accept(assignment=open_assignment(session), mechanic=mechanic)
    page = client.get(f"/mechanic/sessions/{session.pk}/intake/").content.decode()
    assert "Honda" in page and "Japan" in page and "Model year (VIN)" in page
