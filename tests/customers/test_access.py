"""Who may see what: for every customer-facing object URL and API endpoint, the owner gets it;
another customer, an unrelated mechanic and an anonymous visitor do not. The assigned mechanic
and staff see the session-side objects."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from autodoctor.uploads import upload_check
from customers.models import IntakeAttachment
from customers.services import IntakeDetails, intake_create
from sessions_app.services import message_send, session_accept
from tests.customers.uploadfiles import png
from tests.factories import PASSWORD, make_customer, make_mechanic, open_assignment, plan

pytestmark = pytest.mark.django_db

# (name, method, url template, status the owner gets)
OBJECT_URLS = [
    ("room", "get", "/chat/{session}/", 200),
    ("room status poll", "get", "/sessions/{session}/status/", 200),
    ("room chat poll", "get", "/sessions/{session}/messages/?after=0", 200),
    ("end confirmation", "get", "/customer/sessions/{session}/end/", 200),
    ("waiver page", "get", "/customer/request/{intake}/waiver/", 200),
    ("attachment", "get", "/attachments/{attachment}/", 200),
    ("api session", "get", "/api/sessions/{session}", 200),
    ("api intake", "get", "/api/sessions/{session}/intake", 200),
    ("api events", "get", "/api/sessions/{session}/events", 200),
    ("api cancel", "post", "/api/sessions/{session}/cancel", 200),
    ("api end", "post", "/api/sessions/{session}/end", 200),
    ("chat send", "post", "/sessions/{session}/messages/", 302),
    ("end session", "post", "/customer/sessions/{session}/end/", 302),
]
SESSION_SIDE = {
    "room",
    "room status poll",
    "room chat poll",
    "attachment",
    "api session",
    "api intake",
    "api events",
}


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    owner = make_customer("alice")
    details = IntakeDetails(
        plan=plan("free-chat"), pay_with="free", concern="Rattle at idle speed", uploads=[upload_check(png())]
    )
    intake = intake_create(customer=owner, details=details)
    from sessions_app.services import session_create

    session = session_create(customer=owner, plan=intake.plan, intake=intake, actor=owner.user)
    assigned = make_mechanic("mike")
    session_accept(assignment=open_assignment(session), mechanic=assigned)
    message_send(session=session, sender=owner.user, body="Hello")
    staff = get_user_model().objects.create_user("sam", password=PASSWORD, is_staff=True)
    ids = {"session": session.pk, "intake": intake.pk, "attachment": IntakeAttachment.objects.get().pk}
    users = {
        "owner": owner.user,
        "other customer": make_customer("bob").user,
        "unrelated mechanic": make_mechanic("max").user,
        "assigned mechanic": assigned.user,
        "staff": staff,
    }
    return ids, users


def request_as(world, who: str, method: str, template: str):
    ids, users = world
    client = Client()
    if who != "anonymous":
        client.force_login(users[who])
    url = template.format(**ids)
    data = {"body": "hi"} if "messages" in url and method == "post" else {}
    if method == "post" and url.startswith("/api/"):
        return client.post(url, content_type="application/json")
    return getattr(client, method)(url, data) if data else getattr(client, method)(url)


@pytest.mark.parametrize(
    ("name", "method", "template", "owner_status"), OBJECT_URLS, ids=[u[0] for u in OBJECT_URLS]
)
def test_owner_gets_it(world, name, method, template, owner_status):
    response = request_as(world, "owner", method, template)
    assert response.status_code == owner_status


@pytest.mark.parametrize("who", ["other customer", "unrelated mechanic", "anonymous"])
@pytest.mark.parametrize(
    ("name", "method", "template", "owner_status"), OBJECT_URLS, ids=[u[0] for u in OBJECT_URLS]
)
def test_others_do_not(world, who, name, method, template, owner_status):
    response = request_as(world, who, method, template)
    if who == "anonymous" and response.status_code == 302:
        assert response["Location"].startswith("/accounts/login/")
    else:
        assert response.status_code in (401, 403, 404), response.status_code
    from sessions_app.models import Session, SessionMessage

    assert Session.objects.get(pk=world[0]["session"]).status == "waiting"  # nothing changed
    assert SessionMessage.objects.count() == 1


@pytest.mark.parametrize("who", ["assigned mechanic", "staff"])
@pytest.mark.parametrize("name", sorted(SESSION_SIDE))
def test_assigned_mechanic_and_staff_see_the_session_side(world, who, name):
    _, method, template, status = next(u for u in OBJECT_URLS if u[0] == name)
    assert request_as(world, who, method, template).status_code == status
