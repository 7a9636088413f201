"""Staff pages under the enforced policy, in Chromium: the csp_violations fixture (conftest) fails
the test on any violation."""

from django.contrib.auth.models import User
from playwright.sync_api import expect

from tests.factories import make_session


def test_admin_and_analytics_work_under_the_policy(transactional_db, new_page, live_server, login):
    User.objects.create_superuser("boss", "boss@example.com", "pw-boss-123456")
    session = make_session()
    page = login(new_page(), "boss", "pw-boss-123456")
    page.goto(f"{live_server.url}/admin/sessions_app/session/")
    page.get_by_role("link", name=str(session.pk), exact=True).click()
    expect(page.get_by_role("heading", name="Session events")).to_be_visible()
    page.goto(f"{live_server.url}/staff/analytics/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
