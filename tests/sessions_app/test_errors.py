"""The domain error: a machine code, a human sentence, the HTTP status and the JSON body."""

import pytest

from autodoctor.errors import HTTP_STATUS, DomainError
from sessions_app.transitions import TRANSITIONS, SessionStatus
from sessions_app.wording import invalid_transition

from .lifecycle_states import assert_human_sentence


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("already_taken", 409),
        ("at_capacity", 409),
        ("active_session_exists", 409),
        ("invalid_transition", 409),
        ("insufficient_credits", 402),
        ("not_found", 404),
        ("forbidden", 403),
        ("invalid_input", 400),
        ("intake_already_submitted", 409),
        ("already_rated", 409),
        ("something_new", 400),
    ],
)
def test_http_status_per_code(code, status):
    assert DomainError(code, "A sentence for people.").http_status == status


def test_every_known_code_has_a_status():
    # Refusals are 4xx; only "the payment provider is unreachable" is the server side's 503.
    assert all(400 <= status < 500 for code, status in HTTP_STATUS.items() if code != "payment_unavailable")
    assert HTTP_STATUS["payment_unavailable"] == 503


def test_json_body_carries_the_session_url_only_when_there_is_one():
    plain = DomainError("at_capacity", "You are busy.", active=1)
    assert plain.as_dict() == {"error": "at_capacity", "detail": "You are busy."}
    linked = DomainError("active_session_exists", "Go back.", session_url="/chat/7/")
    assert linked.as_dict() == {
        "error": "active_session_exists",
        "detail": "Go back.",
        "session_url": "/chat/7/",
    }
    assert str(linked) == "Go back." and linked.context == {"session_url": "/chat/7/"}


@pytest.mark.parametrize("action", list(TRANSITIONS))
@pytest.mark.parametrize("status", list(SessionStatus.values))
def test_every_refusal_of_the_table_is_a_human_sentence(action, status):
    error = invalid_transition(action, status)
    assert error.code == "invalid_transition" and error.http_status == 409
    assert_human_sentence(error.detail)
    assert error.detail.endswith(f"(The session is {status}.)")
    assert "That change is not allowed now." not in error.detail  # each action has its own sentence
