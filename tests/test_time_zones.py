"""Users carry a time zone (issue 14): pages, partials, banners, emails and reports show local
times; scheduling reads the customer's local time (pages and API); the zone is detected at sign-up
and changed on the account page; mechanics see upcoming scheduled requests in their own zone.
(The browser's detection at sign-up is tests/e2e/test_time_zone_signup.py.)"""

import re
from datetime import UTC, datetime

import pytest
from django.core import mail
from django.test import Client

from customers.models import Customer, Intake
from diagnostics.pdf import report_html
from diagnostics.selectors import report_for
from mechanics.models import Mechanic, Workshop
from sessions_app.models import Session
from sessions_app.services import session_accept, session_complete, session_start
from tests.customers.conftest import intake_data
from tests.factories import client_for, make_customer, make_mechanic, make_session, open_assignment, plan

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # a Monday; no DST change near it anywhere used here


@pytest.fixture
def now(clock):
    clock.now = NOW
    return clock


def customer_in(zone: str, username: str = "alice") -> Customer:
    plan()  # the default plans
    customer = make_customer(username)
    Customer.objects.filter(pk=customer.pk).update(time_zone=zone)
    customer.refresh_from_db()
    return customer


def mechanic_in(zone: str, username: str = "mike", **kwargs) -> Mechanic:
    mechanic = make_mechanic(username, **kwargs)
    Mechanic.objects.filter(pk=mechanic.pk).update(time_zone=zone)
    mechanic.refresh_from_db()
    return mechanic


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# --- pages and banners ----------------------------------------------------------------------------


def test_a_new_york_customer_sees_the_banner_and_room_in_eastern_time(now):
    customer = customer_in("America/New_York")
    make_session(customer, scheduled_for=datetime(2026, 11, 25, 15, 30, tzinfo=UTC))
    client = client_for(customer.user)
    banner = text(client.get("/customer/dashboard/").content.decode())
    assert "Scheduled for Wed 25 Nov, 10:30 EST" in banner
    session = Session.objects.get(customer=customer)
    room = text(client.get(session.get_absolute_url()).content.decode())
    assert "Scheduled for Wed 25 Nov, 10:30 EST" in room
    assert "UTC" not in room.replace("UTC by default", "")


def test_a_kolkata_customer_sees_india_time_and_the_same_instant_stays_utc_for_utc_users(now):
    kolkata = customer_in("Asia/Kolkata")
    make_session(kolkata, scheduled_for=datetime(2026, 11, 25, 15, 30, tzinfo=UTC))
    page = text(client_for(kolkata.user).get("/customer/dashboard/").content.decode())
    assert "Scheduled for Wed 25 Nov, 21:00 IST" in page
    utc = customer_in("UTC", "bob")
    make_session(utc, scheduled_for=datetime(2026, 11, 25, 15, 30, tzinfo=UTC))
    assert "Scheduled for Wed 25 Nov, 15:30 UTC" in text(
        client_for(utc.user).get("/customer/dashboard/").content.decode()
    )


def test_the_banner_partial_is_local_too(now):
    customer = customer_in("Asia/Kolkata")
    make_session(customer, scheduled_for=datetime(2026, 11, 25, 15, 30, tzinfo=UTC))
    partial = client_for(customer.user).get("/customer/banner/", headers={"HX-Request": "true"})
    assert "21:00 IST" in partial.content.decode()


def queries_for(client: Client, url: str, **headers) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, headers=headers).status_code in (200, 204, 286)
    return len(captured.captured_queries)


def test_local_times_cost_no_query(now, settings):
    """The same pages with and without the time zone middleware run the same queries: the zone
    comes from the profile row the page loads anyway (or the session), never a query of its own."""
    customer = customer_in("America/New_York")
    make_session(customer, scheduled_for=datetime(2026, 11, 25, 15, 30, tzinfo=UTC))
    mike = mechanic_in("Asia/Kolkata")
    pages = [
        (client_for(customer.user), "/customer/dashboard/", {}),
        (client_for(customer.user), "/customer/banner/", {"HX-Request": "true"}),
        (client_for(mike.user), "/mechanic/dashboard/", {}),
        (client_for(mike.user), "/mechanic/upcoming/", {"HX-Request": "true"}),
    ]
    with_zone = []
    for client, url, headers in pages:
        queries_for(client, url, **headers)  # first visit: the zone is remembered in the session
        with_zone.append(queries_for(client, url, **headers))
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != "autodoctor.middleware.TimeZoneMiddleware"]
    without_zone = [queries_for(client, url, **headers) for client, url, headers in pages]
    assert with_zone == without_zone


def test_a_customer_zone_change_shows_on_the_next_page(now):
    customer = customer_in("America/New_York")
    make_session(customer, scheduled_for=datetime(2026, 11, 25, 15, 30, tzinfo=UTC))
    client = client_for(customer.user)
    assert "10:30 EST" in client.get("/customer/dashboard/").content.decode()
    response = client.post("/customer/account/", {"time_zone": "Asia/Kolkata"})
    assert response.status_code == 302
    assert "21:00 IST" in client.get("/customer/dashboard/").content.decode()


def test_a_mechanic_zone_change_made_elsewhere_reaches_their_pages(now):
    """The zone is remembered in the session; a profile row loaded by the page is newer and wins
    (how the mechanic settings page's change shows everywhere)."""
    mike = mechanic_in("Asia/Kolkata")
    customer = customer_in("UTC")
    make_session(customer, scheduled_for=datetime(2026, 11, 25, 15, 30, tzinfo=UTC))
    client = client_for(mike.user)
    assert "21:00 IST" in client.get("/mechanic/upcoming/").content.decode()
    Mechanic.objects.filter(pk=mike.pk).update(time_zone="America/New_York")
    assert "10:30 EST" in client.get("/mechanic/upcoming/").content.decode()


# --- scheduling -----------------------------------------------------------------------------------


def test_a_tokyo_customer_schedules_09_00_local_stored_as_00_00_utc_and_shown_back_in_jst(now):
    customer = customer_in("Asia/Tokyo")
    client = client_for(customer.user)
    form = client.get("/customer/request/new/").content.decode()
    assert "your time: Asia/Tokyo · JST" in form
    response = client.post("/customer/request/new/", intake_data(scheduled_for="2026-11-25T09:00"))
    assert response.status_code == 302, response.content.decode()[:2000]
    intake = Intake.objects.get(customer=customer)
    assert intake.scheduled_for == datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
    waiver = text(client.get(response["Location"]).content.decode())
    assert "Wed 25 Nov 2026, 09:00 JST" in waiver
    client.post(response["Location"], {"full_name": "Alice Driver", "agreed": "on"})
    session = Session.objects.get(customer=customer)
    assert session.status == "scheduled" and session.scheduled_for == datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
    assert "Scheduled for Wed 25 Nov, 09:00 JST" in text(client.get("/customer/dashboard/").content.decode())


def test_scheduling_errors_speak_local_time(now):
    customer = customer_in("Asia/Tokyo")
    client = client_for(customer.user)
    past = client.post("/customer/request/new/", intake_data(scheduled_for="2026-11-23T20:00"))  # 11:00 UTC
    assert past.status_code == 400
    assert "it is now Mon 23 Nov, 21:00 JST" in past.content.decode()
    far = client.post("/customer/request/new/", intake_data(scheduled_for="2027-01-10T09:00"))
    assert "until Wed 23 Dec, 21:00 JST" in far.content.decode()


def test_the_api_reads_a_naive_time_in_the_customer_zone_and_an_offset_as_given(now):
    customer = customer_in("Asia/Tokyo")
    client = client_for(customer.user)
    body = {
        "plan": "free-chat",
        "concern": "Grinding noise when braking hard.",
        "scheduled_for": "2026-11-25T09:00",
    }
    response = client.post("/api/intake/start", body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert Intake.objects.get(pk=response.json()["intake_id"]).scheduled_for == datetime(
        2026, 11, 25, 0, 0, tzinfo=UTC
    )
    body["scheduled_for"] = "2026-11-25T09:00:00-05:00"
    response = client.post("/api/intake/start", body, content_type="application/json")
    assert Intake.objects.get(pk=response.json()["intake_id"]).scheduled_for == datetime(
        2026, 11, 25, 14, 0, tzinfo=UTC
    )
    schema = Client().get("/api/openapi.json").json()
    assert "customer's own time zone" in str(schema)


# --- sign-up and the account page ---------------------------------------------------------------


SIGNUP = {
    "full_name": "Kenji Sato",
    "username": "kenji",
    "email": "kenji@example.com",
    "password1": "a-long-enough-pass-42",
    "password2": "a-long-enough-pass-42",
}


def test_sign_up_keeps_the_zone_the_browser_sent(db):
    page = Client().get("/accounts/signup/").content.decode()
    assert 'name="time_zone"' in page and "data-detect-time-zone" in page and "js/time-zone.js" in page
    assert Client().post("/accounts/signup/", {**SIGNUP, "time_zone": "Asia/Tokyo"}).status_code == 302
    assert Customer.objects.get(user__username="kenji").time_zone == "Asia/Tokyo"


@pytest.mark.parametrize("sent", ["", "Mars/Olympus_Mons", "<script>"])
def test_sign_up_falls_back_to_utc_silently(db, sent):
    assert Client().post("/accounts/signup/", {**SIGNUP, "time_zone": sent}).status_code == 302
    assert Customer.objects.get(user__username="kenji").time_zone == "UTC"


def test_the_account_page_changes_the_zone_and_refuses_an_unknown_one(now, django_assert_num_queries):
    customer = customer_in("UTC")
    client = client_for(customer.user)
    client.get("/customer/account/")
    # session, user, customer; the layout's role check (mechanic) and banner (2): no query for the
    # zone (the customer row is loaded anyway)
    with django_assert_num_queries(6):
        page = client.get("/customer/account/").content.decode()
    assert '<option value="Asia/Tokyo">Asia/Tokyo</option>' in page
    assert '<option value="UTC" selected>UTC</option>' in page
    assert 'href="/customer/account/" aria-current="page"' in page
    bad = client.post("/customer/account/", {"time_zone": "Mars/Olympus_Mons"})
    assert bad.status_code == 400 and "not a time zone we know" in bad.content.decode()
    response = client.post("/customer/account/", {"time_zone": "America/New_York"}, follow=True)
    assert "Times are now shown in America/New_York" in response.content.decode()
    # {% now %} reads the real clock, so only the zone's abbreviation is certain here
    assert re.search(r"Your local time now: \w{3} \d+ \w{3}, \d\d:\d\d EST", text(response.content.decode()))
    customer.refresh_from_db()
    assert customer.time_zone == "America/New_York"


def test_the_account_page_is_for_customers(now):
    assert client_for(make_mechanic("mike").user).get("/customer/account/").status_code == 403
    assert Client().get("/customer/account/").status_code == 302


# --- emails and reports ---------------------------------------------------------------------------


def completed_session(customer: Customer, mechanic: Mechanic, clock) -> Session:
    session = make_session(customer)
    session_accept(assignment=open_assignment(session), mechanic=mechanic)
    session_start(session=session, mechanic=mechanic)
    clock.advance(minutes=10)
    session_complete(session=session, mechanic=mechanic, summary="Worn pads, replace soon.")
    session.refresh_from_db()
    return session


def test_emails_render_in_the_recipient_zone(now, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    customer = customer_in("Asia/Kolkata")
    with django_capture_on_commit_callbacks(execute=True):
        completed_session(customer, mechanic_in("America/New_York"), now)  # ends 12:10 UTC
    bodies = [m.body for m in mail.outbox if m.to == [customer.user.email]]
    assert any("(ended Mon 23 Nov, 17:40 IST)" in body for body in bodies), bodies


def test_the_report_is_in_the_viewer_zone_and_the_pdf_in_the_customer_zone(now):
    customer = customer_in("America/New_York")
    mechanic = mechanic_in("Asia/Kolkata")
    session = completed_session(customer, mechanic, now)  # started 12:00 UTC, ended 12:10
    url = f"/sessions/{session.pk}/report/"
    as_customer = text(client_for(customer.user).get(url).content.decode())
    assert "Nov 23, 2026 07:00 EST" in as_customer and "times in America/New_York" in as_customer
    as_mechanic = text(client_for(mechanic.user).get(url).content.decode())
    assert "Nov 23, 2026 17:30 IST" in as_mechanic and "times in Asia/Kolkata" in as_mechanic
    pdf = text(report_html(report_for(session=session, user=mechanic.user)))
    assert "Nov 23, 2026 07:10 EST" in pdf and "times in America/New_York" in pdf


# --- mechanics: upcoming scheduled requests -------------------------------------------------------


def test_upcoming_lists_scheduled_requests_the_mechanic_may_see_in_their_zone(now, django_assert_num_queries):
    garage, other = Workshop.objects.create(name="Downtown Garage"), Workshop.objects.create(name="Elsewhere")
    maria = mechanic_in("Asia/Kolkata", "maria", workshop=garage)
    make_session(customer_in("UTC", "ann"), scheduled_for=datetime(2026, 11, 25, 15, 30, tzinfo=UTC))
    make_session(customer_in("UTC", "bob"), scheduled_for=datetime(2026, 11, 24, 3, 0, tzinfo=UTC))
    own = make_customer("cat", workshop=garage)
    make_session(own, scheduled_for=datetime(2026, 11, 26, 8, 0, tzinfo=UTC))
    make_session(make_customer("dan", workshop=other), scheduled_for=datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    make_session(customer_in("UTC", "eve"))  # pending: in the queue, not upcoming
    client = client_for(maria.user)
    client.get("/mechanic/upcoming/")
    # session, user, mechanic (role check), the scheduled sessions (one query, however many),
    # the layout's mechanic banner (state version, sessions)
    with django_assert_num_queries(6):
        page = client.get("/mechanic/upcoming/").content.decode()
    dues = [text(d) for d in re.findall(r'data-testid="upcoming-due">(.*?)</span>', page)]
    assert dues == ["Due Tue 24 Nov, 08:30 IST", "Due Wed 25 Nov, 21:00 IST", "Due Thu 26 Nov, 13:30 IST"]
    assert "joins the queue at 08:15 IST" in page
    assert "Dan" not in page and "Eve" not in page  # another workshop's; already in the queue
    assert "Accept" not in page and "Read-only until it joins the queue" in page
    panel = client.get("/mechanic/upcoming/", headers={"HX-Request": "true"}).content.decode()
    assert panel.lstrip().startswith('<section id="upcoming"') and "<html" not in panel
    dashboard = client.get("/mechanic/dashboard/").content.decode()
    assert 'hx-get="/mechanic/upcoming/"' in dashboard


def test_upcoming_is_for_mechanics(now):
    assert client_for(customer_in("UTC").user).get("/mechanic/upcoming/").status_code == 403


def test_a_datetime_in_the_lazy_zone_pickles_as_a_plain_zone():
    import pickle
    from zoneinfo import ZoneInfo

    from django.test import RequestFactory

    from autodoctor.middleware import UserTimeZone

    request = RequestFactory().get("/")
    zone = UserTimeZone(request)
    zone._zone = ZoneInfo("Asia/Tokyo")
    value = datetime(2026, 11, 25, 9, 0, tzinfo=zone)
    restored = pickle.loads(pickle.dumps(value))
    assert restored.tzinfo == ZoneInfo("Asia/Tokyo") and restored == datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
