import pytest

from autodoctor.errors import DomainError
from sessions_app.services import session_accept, session_complete, session_start
from tests.factories import make_mechanic, make_session, open_assignment

pytestmark = pytest.mark.django_db


def test_happy_path():
    session = make_session()
    mech = make_mechanic()
    session = session_accept(assignment=open_assignment(session), mechanic=mech)
    assert session.status == "waiting"
    session_start(session=session, mechanic=mech)
    session = session_complete(session=session, mechanic=mech, summary="Loose cap")
    assert session.status == "completed"
    # route (issue 14): "opened_to_all": nobody's expertise matched, so it opened to everyone at once
    assert [e.type for e in session.events.order_by("id")] == [
        "created",
        "opened_to_all",
        "accepted",
        "started",
        "completed",
    ]


def test_second_active_session_refused():
    session = make_session()
    with pytest.raises(DomainError) as err:
        make_session(session.customer)
    assert err.value.code == "active_session_exists"
