"""The Settings page's notification settings (issue 14): email on/off, quiet hours (local time,
may wrap midnight, both empty = none) and the time zone they are read in."""

import json
from datetime import time

import pytest

pytestmark = pytest.mark.django_db

SETTINGS = "/mechanic/settings/"
# session, user, mechanic (the role), then the banner's state version and its sessions: the
# same as every mechanic page with the banner (tests/mechanics/test_finished_side.py).
SETTINGS_PAGE_QUERIES = 5


def post(client, **fields):
    data = {"email_notifications": "on", "time_zone": "UTC", "quiet_hours_start": "", "quiet_hours_end": ""}
    data.update(fields)
    return client.post(SETTINGS, {k: v for k, v in data.items() if v is not None})


def test_quiet_hours_and_time_zone_are_saved_and_shown_again(mechanic, mech_client):
    response = post(
        mech_client, quiet_hours_start="22:00", quiet_hours_end="07:00", time_zone="Europe/Berlin"
    )
    assert response.status_code == 302 and response["Location"] == SETTINGS
    mechanic.refresh_from_db()
    assert (mechanic.quiet_hours_start, mechanic.quiet_hours_end) == (time(22), time(7))
    assert mechanic.time_zone == "Europe/Berlin" and mechanic.email_notifications is True

    html = mech_client.get(SETTINGS).content.decode()
    assert "Your settings are saved." in html
    assert 'name="quiet_hours_start" value="22:00"' in html
    assert 'name="quiet_hours_end" value="07:00"' in html
    assert '<option value="Europe/Berlin" selected>Europe/Berlin</option>' in html


def test_both_empty_means_no_quiet_hours_and_email_can_be_turned_off(mechanic, mech_client):
    post(mech_client, quiet_hours_start="22:00", quiet_hours_end="07:00")
    post(mech_client, email_notifications=None)
    mechanic.refresh_from_db()
    assert mechanic.quiet_hours_start is None and mechanic.quiet_hours_end is None
    assert mechanic.email_notifications is False


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"quiet_hours_start": "22:00"}, "Give both a start and an end for quiet hours"),
        ({"quiet_hours_end": "07:00"}, "Give both a start and an end for quiet hours"),
        (
            {"quiet_hours_start": "08:00", "quiet_hours_end": "08:00"},
            "need an end different from their start",
        ),
        ({"quiet_hours_start": "25:00", "quiet_hours_end": "07:00"}, "Enter a time like 22:00."),
        ({"time_zone": "Mars/Olympus_Mons"}, "Mars/Olympus_Mons is not a time zone we know."),
    ],
)
def test_invalid_settings_are_shown_on_the_page_and_nothing_is_saved(mechanic, mech_client, fields, message):
    response = post(mech_client, email_notifications=None, **fields)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html and 'class="field-error"' in html
    mechanic.refresh_from_db()
    assert mechanic.email_notifications is True and mechanic.quiet_hours_start is None
    assert mechanic.time_zone == "UTC"


def test_a_post_without_a_time_zone_keeps_it(mechanic, mech_client):
    post(mech_client, time_zone="Asia/Tokyo")
    post(mech_client, time_zone=None)
    mechanic.refresh_from_db()
    assert mechanic.time_zone == "Asia/Tokyo"


def test_the_settings_page_query_count_is_pinned(mechanic, mech_client, django_assert_num_queries):
    post(mech_client, quiet_hours_start="22:00", quiet_hours_end="07:00", time_zone="Europe/Berlin")
    with django_assert_num_queries(SETTINGS_PAGE_QUERIES):
        assert mech_client.get(SETTINGS).status_code == 200


# --- the same settings in the JSON API ---------------------------------------------------------

API = "/api/mechanic/settings"


def patch(client, body: dict):
    return client.patch(API, json.dumps(body), content_type="application/json")


def test_the_api_reads_and_patches_only_what_is_given(mechanic, mech_client):
    assert mech_client.get(API).json() == {
        "email_notifications": True,
        "show_dashboard_tip": True,
        "quiet_hours": None,
        "time_zone": "UTC",
    }
    response = patch(
        mech_client, {"quiet_hours": {"start": "22:00", "end": "07:00"}, "time_zone": "Asia/Tokyo"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["quiet_hours"] == {"start": "22:00", "end": "07:00"}
    response = patch(mech_client, {"email_notifications": False})
    assert response.json() == {
        "email_notifications": False,
        "show_dashboard_tip": True,
        "quiet_hours": {"start": "22:00", "end": "07:00"},
        "time_zone": "Asia/Tokyo",
    }
    assert patch(mech_client, {"quiet_hours": None}).json()["quiet_hours"] is None
    mechanic.refresh_from_db()
    assert mechanic.quiet_hours_start is None and mechanic.email_notifications is False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"quiet_hours": {"start": "08:00", "end": "08:00"}}, "quiet_hours.end"),
        ({"quiet_hours": {"start": "nine", "end": "07:00"}}, "quiet_hours.start"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
    ],
)
def test_the_api_refuses_what_the_page_refuses(mechanic, mech_client, body, field):
    response = patch(mech_client, body)
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "invalid_input" and response.json()["field"] == field
    mechanic.refresh_from_db()
    assert mechanic.time_zone == "UTC" and mechanic.quiet_hours_start is None


def test_the_settings_api_is_for_mechanics(client):
    from tests.factories import make_customer

    assert client.get(API).status_code == 401
    client.force_login(make_customer("carol").user)
    assert client.get(API).status_code == 403
    assert patch(client, {"email_notifications": False}).status_code == 403
