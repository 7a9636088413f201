"""Signalling: the service (who, when, what is stored and announced) and the thin views
(404 for strangers, 409 on a closed call, 400 on a bad signal, query counts)."""

import json

import pytest
from django.db import connection
from django.urls import reverse

from autodoctor.errors import DomainError
from calls.models import CallSignal, SignalKind
from calls.selectors import signals_after
from calls.services import SIGNAL_TTL, signal_send
from sessions_app.services import session_cancel, session_complete, session_release
from sessions_app.streams import SessionViewer
from tests.calls.browser import live_video_session
from tests.factories import client_for, make_customer, make_mechanic, make_session

pytestmark = pytest.mark.django_db
OFFER = {"type": "offer", "sdp": "v=0\r\n" + "a=x\r\n" * 2000}  # ~10 kB, more than a NOTIFY carries
PEER = "peer-aaaaaaaa"


@pytest.fixture
def call():
    session, customer, mechanic = live_video_session()
    return session, customer.user, mechanic.user


def post_signal(client, session, kind, data=None, peer=PEER):
    form = {"kind": kind, "peer": peer}
    if data is not None:
        form["payload"] = json.dumps(data)
    return client.post(reverse("call_signals", args=[session.pk]), form)


# --- the service ---------------------------------------------------------------------------------


def test_a_signal_goes_to_the_other_participant_only(call):
    session, customer, mechanic = call
    signal = signal_send(session=session, sender=customer, kind=SignalKind.OFFER, peer=PEER, data=OFFER)
    assert (signal.from_user, signal.to_user) == (customer, mechanic)
    assert signal.payload == {"peer": PEER, "data": OFFER}
    assert signals_after(session=session, user=mechanic, after=0) == [signal]
    assert signals_after(session=session, user=customer, after=0) == []
    assert signals_after(session=session, user=mechanic, after=signal.pk) == []


def test_a_stranger_cannot_signal(call):
    session, _, _ = call
    for stranger in (make_customer().user, make_mechanic().user):
        with pytest.raises(DomainError) as refused:
            signal_send(session=session, sender=stranger, kind=SignalKind.HELLO, peer=PEER)
        assert refused.value.code == "not_found"
    assert not CallSignal.objects.exists()


def test_nobody_signals_on_a_completed_session(call):
    session, customer, mechanic = call
    session_complete(session=session, mechanic=mechanic.mechanic, summary="Loose battery terminal.")
    for user in (customer, mechanic):
        with pytest.raises(DomainError) as refused:
            signal_send(session=session, sender=user, kind=SignalKind.HELLO, peer=PEER)
        assert refused.value.code == "invalid_transition"
        assert refused.value.http_status == 409
        assert "completed" in refused.value.detail
    assert not CallSignal.objects.exists()


def test_the_call_is_open_while_waiting_for_a_pre_call_camera_check():
    session, customer, _ = live_video_session(start=False)
    assert session.status == "waiting"
    assert signal_send(session=session, sender=customer.user, kind=SignalKind.HELLO, peer=PEER).pk


def test_before_a_mechanic_accepts_there_is_no_call():
    customer = make_customer(credits=3)
    session = make_session(customer, plan_code="video-30", pay_with="credits")
    with pytest.raises(DomainError) as refused:
        signal_send(session=session, sender=customer.user, kind=SignalKind.HELLO, peer=PEER)
    assert refused.value.http_status == 409
    assert "once a mechanic has accepted" in refused.value.detail


def test_a_released_mechanic_is_out_of_the_call():
    session, customer, mechanic = live_video_session(start=False)
    session_release(session=session, mechanic=mechanic)
    with pytest.raises(DomainError) as refused:
        signal_send(session=session, sender=mechanic.user, kind=SignalKind.HELLO, peer=PEER)
    assert refused.value.code == "not_found"


def test_old_signals_are_dropped_when_a_new_one_is_sent(call, clock):
    session, customer, mechanic = call
    old = signal_send(session=session, sender=customer, kind=SignalKind.HELLO, peer=PEER)
    clock.advance(seconds=SIGNAL_TTL.total_seconds() + 1)
    new = signal_send(session=session, sender=mechanic, kind=SignalKind.HELLO, peer="peer-bbbbbbbb")
    assert list(CallSignal.objects.values_list("pk", flat=True)) == [new.pk]
    assert old.pk < new.pk


def test_a_flood_of_signals_is_refused(call, monkeypatch):
    session, customer, _ = call
    monkeypatch.setattr("calls.services.SIGNALS_PER_MINUTE", 3)
    for _ in range(3):
        signal_send(session=session, sender=customer, kind=SignalKind.CANDIDATE, peer=PEER, data=None)
    with pytest.raises(DomainError) as refused:
        signal_send(session=session, sender=customer, kind=SignalKind.CANDIDATE, peer=PEER, data=None)
    assert refused.value.code == "rate_limited"


def test_the_hint_reaches_the_recipients_room_stream_only():
    """The hint (no SDP in it) is heard by the recipient's room stream, not by the sender's, not by
    another session's room, and never by the dashboards."""
    hint = {"kind": "signal", "session": 5, "to": 20, "signal": 99}
    assert SessionViewer(session_id=5, user_id=20).select(hint) == {"kind": "signal", "session": 5}
    assert SessionViewer(session_id=5, user_id=21).select(hint) is None  # the sender (or staff)
    assert SessionViewer(session_id=6, user_id=20).select(hint) is None
    assert SessionViewer(session_id=5).select(hint) is None


def test_the_hint_is_published_with_ids_only(call, on_postgres):
    session, customer, mechanic = call
    published: list[str] = []

    def spy(execute, sql, params, many, context):
        if "pg_notify" in sql:
            published.append(params[1])
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        signal = signal_send(session=session, sender=customer, kind=SignalKind.OFFER, peer=PEER, data=OFFER)
    hint = json.loads(published[-1])
    assert hint == {"kind": "signal", "session": session.pk, "to": mechanic.pk, "signal": signal.pk}


# --- the views -----------------------------------------------------------------------------------


def test_post_then_fetch_over_http(call, django_assert_num_queries):
    session, customer, mechanic = call
    response = post_signal(client_for(customer), session, "offer", OFFER)
    assert response.status_code == 201
    signal_id = response.json()["id"]
    reader = client_for(mechanic)
    url = reverse("call_signals", args=[session.pk])
    reader.get(url)  # warm the session and user caches of the client
    # session + user, the room's session (with its people), the signals
    with django_assert_num_queries(4):
        response = reader.get(url, {"after": 0})
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert response.json() == {
        "signals": [{"id": signal_id, "kind": "offer", "peer": PEER, "payload": OFFER}]
    }
    with django_assert_num_queries(4):
        assert reader.get(url, {"after": signal_id}).json() == {"signals": []}
    assert client_for(customer).get(url).json() == {"signals": []}  # not addressed to the sender


def test_the_config_says_who_is_polite_and_where_a_fresh_page_starts(
    call, settings, django_assert_num_queries
):
    session, customer, mechanic = call
    settings.ICE_SERVERS, settings.TURN_SECRET, settings.TURN_URLS = [], "s", ["turn:127.0.0.1:3478"]
    settings.ICE_TRANSPORT_POLICY = "relay"
    signal = signal_send(session=session, sender=customer, kind=SignalKind.HELLO, peer=PEER)
    url = reverse("call_config", args=[session.pk])
    mechanic_client = client_for(mechanic)
    with django_assert_num_queries(4):  # session + user, the room's session, the newest signal id
        mine = mechanic_client.get(url).json()
    theirs = client_for(customer).get(url).json()
    assert (mine["polite"], theirs["polite"]) == (False, True)
    # NOTIFY announces signals on PostgreSQL; on SQLite the page polls for them itself.
    assert mine["signal_push"] is (connection.vendor == "postgresql")
    assert (mine["role"], theirs["role"]) == ("mechanic", "customer")
    assert (mine["after"], theirs["after"]) == (signal.pk, 0)
    assert mine["ice_transport_policy"] == "relay"
    assert mine["ice_servers"][0]["username"].endswith(f":{mechanic.pk}")
    assert theirs["ice_servers"][0]["username"].endswith(f":{customer.pk}")


@pytest.mark.parametrize("who", ["customer", "mechanic", "staff"])
def test_third_users_get_404_on_signals_and_config(call, who):
    from django.contrib.auth.models import User

    session, _, _ = call
    if who == "customer":
        stranger = make_customer().user
    elif who == "mechanic":
        stranger = make_mechanic().user
    else:
        stranger = User.objects.create_user("staffer", password="x", is_staff=True)
    client = client_for(stranger)
    assert client.get(reverse("call_config", args=[session.pk])).status_code == 404
    assert client.get(reverse("call_signals", args=[session.pk])).status_code == 404
    assert post_signal(client, session, "hello").status_code == 404
    assert not CallSignal.objects.exists()


def test_a_completed_or_cancelled_session_answers_409_with_the_reason(call):
    session, customer, mechanic = call
    session_complete(session=session, mechanic=mechanic.mechanic, summary="Done.")
    for client in (client_for(customer), client_for(mechanic)):
        for response in (
            post_signal(client, session, "hello"),
            client.get(reverse("call_signals", args=[session.pk])),
            client.get(reverse("call_config", args=[session.pk])),
        ):
            assert response.status_code == 409
            assert response.json() == {
                "error": "invalid_transition",
                "detail": "This session is completed, so its call is over.",
            }
    waiting, other_customer, _ = live_video_session(start=False)
    session_cancel(session=waiting, user=other_customer.user)
    response = post_signal(client_for(other_customer.user), waiting, "hello")
    assert response.status_code == 409


def test_signing_out_sends_to_the_login_page(call, client):
    session, _, _ = call
    response = client.get(reverse("call_config", args=[session.pk]))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"kind": "shout", "peer": PEER}, "kind"),
        ({"kind": "hello", "peer": "short"}, "peer"),
        ({"kind": "hello", "peer": "bad peer id!"}, "peer"),
        ({"kind": "offer", "peer": PEER, "payload": "{not json"}, "payload"),
        ({"kind": "offer", "peer": PEER, "payload": json.dumps({"type": "answer", "sdp": "v=0"})}, "payload"),
        ({"kind": "offer", "peer": PEER}, "payload"),
        ({"kind": "candidate", "peer": PEER, "payload": json.dumps({"candidate": 5})}, "payload"),
        (
            {"kind": "offer", "peer": PEER, "payload": json.dumps({"type": "offer", "sdp": "x" * 40_000})},
            "payload",
        ),
    ],
)
def test_a_bad_signal_is_refused_field_by_field_and_nothing_is_stored(call, form, field):
    session, customer, _ = call
    response = client_for(customer).post(reverse("call_signals", args=[session.pk]), form)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_input"
    assert body["field"] == field
    assert body["detail"]
    assert not CallSignal.objects.exists()


def test_a_candidate_keeps_only_the_fields_of_an_ice_candidate(call):
    session, customer, mechanic = call
    candidate = {"candidate": "candidate:1 1 udp 1 127.0.0.1 5000 typ relay", "sdpMid": "0", "sdpMLineIndex": 0,
                 "usernameFragment": "abcd", "extra": "dropped"}  # fmt: skip
    assert post_signal(client_for(customer), session, "candidate", candidate).status_code == 201
    stored = CallSignal.objects.get().payload["data"]
    assert stored == {k: v for k, v in candidate.items() if k != "extra"}


def test_signals_need_the_csrf_token(call):
    from django.test import Client

    session, customer, _ = call
    client = Client(enforce_csrf_checks=True)
    client.force_login(customer)
    assert post_signal(client, session, "hello").status_code == 403
    assert not CallSignal.objects.exists()


# --- the room's call section -------------------------------------------------------------------


def test_the_room_renders_the_call_for_its_participants_only(call):
    from django.contrib.auth.models import User

    session, customer, mechanic = call
    url = session.get_absolute_url()
    mine = client_for(mechanic).get(url).content.decode()
    assert f'data-signals-url="/calls/{session.pk}/signals/"' in mine
    assert 'data-role="mechanic"' in mine and f'data-other="{customer.customer.full_name}"' in mine
    assert 'id="call-snapshot"' in mine  # the mechanic's tool: posts to the room's attachments
    assert f'data-attachment-url="/sessions/{session.pk}/attachments/"' in mine
    theirs = client_for(customer).get(url).content.decode()
    assert 'data-role="customer"' in theirs
    assert 'id="call-snapshot"' not in theirs  # the mechanic's tool only
    staff = User.objects.create_user("staffer", password="x", is_staff=True)
    page = client_for(staff).get(url).content.decode()
    assert 'id="call"' in page and "data-config-url" not in page
    assert "Only the customer and the mechanic take part in the video call." in page


def test_a_completed_session_shows_the_call_is_over(call):
    session, customer, mechanic = call
    session_complete(session=session, mechanic=mechanic.mechanic, summary="Done.")
    page = client_for(customer).get(session.get_absolute_url()).content.decode()
    assert "data-config-url" not in page
    assert "its video call is over" in page
