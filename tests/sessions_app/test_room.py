"""Session rooms: who gets in, the right type, what each side sees and may do."""

import pytest

from sessions_app.models import Rating
from sessions_app.services import session_accept, session_complete, session_start
from tests.factories import client_for, make_customer, make_mechanic, make_session, open_assignment

pytestmark = pytest.mark.django_db


@pytest.fixture
def accepted():
    """A video session accepted by mike: (session, customer client, mechanic client, mechanic)."""
    customer = make_customer("alice")
    session = make_session(customer)
    mech = make_mechanic("mike")
    session = session_accept(assignment=open_assignment(session), mechanic=mech)
    return session, client_for(customer.user), client_for(mech.user), mech


def test_wrong_type_url_redirects_to_the_right_room(accepted):
    session, customer_client, _, _ = accepted
    response = customer_client.get(f"/video/{session.pk}/")
    assert response.status_code == 302 and response["Location"] == f"/chat/{session.pk}/"


def test_room_shows_status_other_participant_and_intake(accepted):
    session, customer_client, mechanic_client, _ = accepted
    page = customer_client.get(f"/chat/{session.pk}/").content.decode()
    assert "Your mechanic: <strong>Mike</strong>" in page and "pill-waiting" in page
    assert "Start Session" not in page
    page = mechanic_client.get(f"/chat/{session.pk}/").content.decode()
    assert "Customer: <strong>Alice Driver</strong>" in page
    assert "Start Session" in page and "Cancel / Unlock" in page and ">Complete<" not in page


def test_a_video_room_has_the_call_and_a_chat_room_has_none():
    """Issue 11: the call (templates/calls/_call.html) replaced the placeholder."""
    video = make_session(make_customer("vera", credits=3), plan_code="video-30", pay_with="credits")
    page = client_for(video.customer.user).get(f"/video/{video.pk}/").content.decode()
    assert 'id="call"' in page and f'data-config-url="/calls/{video.pk}/config/"' in page
    assert "not connected in this version" not in page
    chat = make_session(make_customer("carl"))
    assert 'id="call"' not in client_for(chat.customer.user).get(f"/chat/{chat.pk}/").content.decode()


def test_mechanic_starts_and_completes_from_the_room(accepted):
    session, customer_client, mechanic_client, _ = accepted
    response = mechanic_client.post(f"/sessions/{session.pk}/start/", follow=True)
    assert response.redirect_chain[-1][0] == f"/chat/{session.pk}/"
    page = response.content.decode()
    assert "pill-live" in page and ">Complete<" in page and "Start Session" not in page
    response = mechanic_client.post(
        f"/sessions/{session.pk}/complete/", {"summary": "Loose heat shield."}, follow=True
    )
    assert "Loose heat shield." in response.content.decode()
    session.refresh_from_db()
    assert session.status == "completed"
    page = customer_client.get(f"/chat/{session.pk}/").content.decode()
    assert "Loose heat shield." in page and "How did it go?" in page


def test_customer_cannot_use_mechanic_actions(accepted):
    session, customer_client, _, _ = accepted
    assert customer_client.post(f"/sessions/{session.pk}/start/").status_code == 404
    session.refresh_from_db()
    assert session.status == "waiting"


def test_a_wrong_state_action_is_a_message(accepted):
    session, _, mechanic_client, _ = accepted
    response = mechanic_client.post(f"/sessions/{session.pk}/complete/", {"summary": "x"}, follow=True)
    assert "Only a live session can be completed" in response.content.decode()


def test_rating_once_after_completion(accepted):
    session, customer_client, _, mech = accepted
    assert customer_client.post(f"/sessions/{session.pk}/rate/", {"stars": "5"}).status_code == 302
    assert not Rating.objects.exists()  # not completed yet: refused with a message
    session_start(session=session, mechanic=mech)
    session_complete(session=session, mechanic=mech, summary="Done")
    customer_client.post(f"/sessions/{session.pk}/rate/", {"stars": "4", "comment": "Great help"})
    response = customer_client.post(f"/sessions/{session.pk}/rate/", {"stars": "1"}, follow=True)
    assert "already rated" in response.content.decode()
    rating = Rating.objects.get(session=session)
    assert (rating.stars, rating.comment) == (4, "Great help")
    page = customer_client.get(f"/chat/{session.pk}/").content.decode()
    assert 'aria-label="Rated 4 out of 5"' in page and "How did it go?" not in page


@pytest.mark.parametrize("stars", ["0", "6", "x", ""])
def test_invalid_rating_is_refused(accepted, stars):
    session, customer_client, _, mech = accepted
    session_start(session=session, mechanic=mech)
    session_complete(session=session, mechanic=mech, summary="Done")
    response = customer_client.post(f"/sessions/{session.pk}/rate/", {"stars": stars}, follow=True)
    assert response.status_code == 200 and "Choose between 1 and 5 stars" in response.content.decode()
    assert not Rating.objects.exists()


def test_mechanic_cannot_rate(accepted):
    session, _, mechanic_client, mech = accepted
    session_start(session=session, mechanic=mech)
    session_complete(session=session, mechanic=mech, summary="Done")
    assert mechanic_client.post(f"/sessions/{session.pk}/rate/", {"stars": "5"}).status_code == 404


def test_status_poll(accepted, django_assert_num_queries):
    session, customer_client, mechanic_client, mech = accepted
    from sessions_app.selectors import session_version

    version = session_version(session_id=session.pk)
    url = f"/sessions/{session.pk}/status/"
    customer_client.get(url, {"v": version})
    # session row + user + the session (joined) + its version
    with django_assert_num_queries(4):
        assert customer_client.get(url, {"v": version}).status_code == 204
    session_start(session=session, mechanic=mech)
    response = customer_client.get(url, {"v": version})
    assert response.status_code == 200 and b"pill-live" in response.content
    assert b'id="chat-composer" hx-swap-oob="true"' in response.content
    session_complete(session=session, mechanic=mech, summary="Done")
    response = customer_client.get(url, {"v": version})
    assert response.status_code == 286 and b"The chat is closed" in response.content


# --- the transition table drives the room ----------------------------------------------------


def test_the_rooms_buttons_come_from_the_transition_table(accepted, monkeypatch):
    """A new transition, or new words for one, reach the room without a template edit."""
    from dataclasses import replace

    from sessions_app import room_selectors
    from sessions_app.transitions import TRANSITIONS, SessionEventType, SessionStatus, Transition

    session, _, mechanic_client, _ = accepted
    monkeypatch.setitem(TRANSITIONS, "start", replace(TRANSITIONS["start"], label="Go live now"))
    pause = Transition(
        "pause",
        frozenset({SessionStatus.WAITING}),
        SessionStatus.PENDING,
        SessionEventType.RELEASED,
        "Hand back",
    )
    monkeypatch.setitem(TRANSITIONS, "pause", pause)
    monkeypatch.setitem(
        room_selectors.MECHANIC_ROUTES, "pause", room_selectors.RoomRoute("room_release", "btn")
    )
    page = mechanic_client.get(f"/chat/{session.pk}/").content.decode()
    assert ">Go live now</button>" in page and "Start Session" not in page
    assert ">Hand back</button>" in page and ">Cancel / Unlock</button>" in page


def test_the_customer_reads_their_own_words_for_ending(accepted, monkeypatch):
    from sessions_app.transitions import CUSTOMER_LABELS

    session, customer_client, _, _ = accepted
    page = customer_client.get(f"/chat/{session.pk}/").content.decode()
    assert '<summary class="btn btn-danger">End Session</summary>' in page
    assert "Mike will not start it" in page  # what ending means, as the banner and the end page say
    monkeypatch.setitem(CUSTOMER_LABELS, "cancel", "Stop my request")
    page = customer_client.get(f"/chat/{session.pk}/").content.decode()
    assert '<summary class="btn btn-danger">Stop my request</summary>' in page
    confirm = customer_client.get(f"/customer/sessions/{session.pk}/end/").content.decode()
    assert ">Stop my request</button>" in confirm


def test_room_forms_carry_the_limits_of_the_action_forms(accepted):
    from sessions_app.forms import COMMENT_MAX, MESSAGE_MAX, SUMMARY_MAX

    session, customer_client, mechanic_client, mech = accepted
    session_start(session=session, mechanic=mech)
    page = mechanic_client.get(f"/chat/{session.pk}/").content.decode()
    assert f'name="summary" cols="40" rows="4" maxlength="{SUMMARY_MAX}" required' in page
    assert f'maxlength="{MESSAGE_MAX}"' in page
    session_complete(session=session, mechanic=mech, summary="Done")
    page = customer_client.get(f"/chat/{session.pk}/").content.decode()
    assert f'name="comment" cols="40" rows="3" maxlength="{COMMENT_MAX}"' in page
    assert 'id="star-1" name="stars" value="1" required' in page


def test_room_and_customer_templates_spell_no_status_and_no_limit():
    """Templates branch on the view-models' flags and read limits from the forms."""
    import re
    from pathlib import Path

    from django.conf import settings

    root = Path(settings.BASE_DIR) / "templates"
    for template in [*root.glob("sessions_app/*.html"), *root.glob("customers/*.html")]:
        text = template.read_text()
        assert not re.search(r"(status|type|payment_method) *[!=]= *[\"']", text), template.name
        assert "maxlength=" not in text, template.name
