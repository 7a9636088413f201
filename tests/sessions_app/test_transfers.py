"""Transfers to a colleague (issue 14): offer, accept, decline, withdraw, lapse, and every refusal."""

import pytest
from django.core import mail
from django.core.management import call_command

from autodoctor.errors import DomainError
from mechanics.models import Workshop
from sessions_app.hints import transfer_hint
from sessions_app.models import SessionAssignment, SessionTransfer
from sessions_app.services import (
    session_accept,
    session_release,
    session_start,
    transfer_accept,
    transfer_decline,
    transfer_offer,
    transfer_withdraw,
    transfers_lapse_due,
)
from sessions_app.streams import WORK, MechanicViewer
from sessions_app.transitions import SessionStatus as S
from tests.factories import make_customer, make_mechanic, make_session, open_assignment

pytestmark = pytest.mark.django_db


def held_by(mechanic, **kwargs):
    session = make_session(**kwargs)
    return session_accept(assignment=open_assignment(session), mechanic=mechanic)


def refused(code: str, call) -> DomainError:
    with pytest.raises(DomainError) as info:
        call()
    assert info.value.code == code, info.value.detail
    assert len(info.value.detail) > 20
    return info.value


def types(session) -> list[str]:
    return list(session.events.order_by("id").values_list("type", flat=True))


@pytest.fixture
def sam():
    return make_mechanic("sam")


@pytest.fixture
def ann():
    return make_mechanic("ann")


def test_offer_records_one_open_offer(ann, sam):
    session = held_by(ann)
    transfer = transfer_offer(session=session, mechanic=ann, to_mechanic_id=sam.pk, note="  Need to leave  ")
    assert (transfer.status, transfer.note, transfer.to_mechanic_id) == ("offered", "Need to leave", sam.pk)
    assert types(session)[-1] == "transfer_offered"
    event = session.events.order_by("-id").first()
    assert event.data == {"transfer_id": transfer.pk, "from_mechanic_id": ann.pk, "to_mechanic_id": sam.pk}
    # One open offer per session.
    refused("transfer_open", lambda: transfer_offer(session=session, mechanic=ann, to_mechanic_id=sam.pk))
    other = make_mechanic()
    refused("transfer_open", lambda: transfer_offer(session=session, mechanic=ann, to_mechanic_id=other.pk))


def test_offer_refusals(ann, sam):
    session = held_by(ann)
    refused("invalid_input", lambda: transfer_offer(session=session, mechanic=ann, to_mechanic_id=ann.pk))
    refused("invalid_input", lambda: transfer_offer(session=session, mechanic=ann, to_mechanic_id=999999))
    sam.user.is_active = False
    sam.user.save()
    refused("invalid_input", lambda: transfer_offer(session=session, mechanic=ann, to_mechanic_id=sam.pk))
    # Not theirs to offer: someone else's, and a pending one.
    other = make_mechanic()
    refused(
        "not_transferable", lambda: transfer_offer(session=session, mechanic=other, to_mechanic_id=ann.pk)
    )
    pending = make_session()
    refused(
        "not_transferable", lambda: transfer_offer(session=pending, mechanic=ann, to_mechanic_id=other.pk)
    )
    assert not SessionTransfer.objects.exists()


def test_workshop_session_only_to_the_same_workshop():
    garage = Workshop.objects.create(name="Downtown Garage")
    ann = make_mechanic(workshop=garage)
    inside = make_mechanic(workshop=garage)
    outside = make_mechanic()
    session = held_by(ann, customer=make_customer(workshop=garage))
    assert session.workshop_id == garage.pk
    error = refused(
        "invalid_input", lambda: transfer_offer(session=session, mechanic=ann, to_mechanic_id=outside.pk)
    )
    assert "workshop" in error.detail
    transfer = transfer_offer(session=session, mechanic=ann, to_mechanic_id=inside.pk)
    session = transfer_accept(transfer=transfer, mechanic=inside)
    assert session.mechanic_id == inside.pk
    # A general session may go to anyone, workshop or not.
    general = held_by(outside)
    transfer_offer(session=general, mechanic=outside, to_mechanic_id=inside.pk)


def test_accept_hands_the_session_over(ann, sam, django_capture_on_commit_callbacks):
    session = held_by(ann, plan_code="free-chat")
    old = open_assignment(session)
    transfer = transfer_offer(
        session=session, mechanic=ann, to_mechanic_id=sam.pk, note="Brakes, you know them"
    )
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        result = transfer_accept(transfer=transfer, mechanic=sam)

    session.refresh_from_db()
    assert result.mechanic_id == sam.pk == session.mechanic_id and session.status == S.WAITING
    old.refresh_from_db()
    assert (old.status, old.mechanic_id, old.closed_at is not None) == ("transferred", ann.pk, True)
    new = open_assignment(session)
    assert (new.status, new.mechanic_id, new.queued_at) == ("accepted", sam.pk, old.queued_at)
    transfer.refresh_from_db()
    assert transfer.status == "accepted" and transfer.answered_at is not None
    participants = {p.user_id: p.left_at for p in session.participants.filter(role="mechanic")}
    assert participants[sam.user_id] is None and participants[ann.user_id] is not None
    assert types(session)[-2:] == ["transfer_offered", "transfer_accepted"]
    # The customer is told who has it now; the offering mechanic that it went.
    recipients = {m.to[0]: m for m in mail.outbox}
    customer_mail = recipients[session.customer.user.email]
    assert "Sam" in customer_mail.subject or sam.display_name in customer_mail.body
    assert sam.display_name in customer_mail.body
    assert ann.user.email in recipients
    # A second click is a no-op; the offering mechanic can no longer act on it.
    assert transfer_accept(transfer=transfer, mechanic=sam).mechanic_id == sam.pk
    assert types(session).count("transfer_accepted") == 1
    refused("transfer_closed", lambda: transfer_decline(transfer=transfer, mechanic=sam))


def test_live_session_can_be_transferred(ann, sam):
    session = session_start(session=held_by(ann), mechanic=ann)
    transfer = transfer_offer(session=session, mechanic=ann, to_mechanic_id=sam.pk)
    session = transfer_accept(transfer=transfer, mechanic=sam)
    assert (session.status, session.mechanic_id) == (S.LIVE, sam.pk)


def test_accept_at_capacity_changes_nothing(ann, sam):
    session = held_by(ann)
    held_by(sam)  # sam's only place is taken
    transfer = transfer_offer(session=session, mechanic=ann, to_mechanic_id=sam.pk)
    refused("at_capacity", lambda: transfer_accept(transfer=transfer, mechanic=sam))
    session.refresh_from_db()
    transfer.refresh_from_db()
    assert session.mechanic_id == ann.pk and transfer.status == "offered"
    assert open_assignment(session).mechanic_id == ann.pk
    assert types(session)[-1] == "transfer_offered"


def test_outsiders_get_not_found(ann, sam):
    transfer = transfer_offer(session=held_by(ann), mechanic=ann, to_mechanic_id=sam.pk)
    stranger = make_mechanic()
    refused("not_found", lambda: transfer_accept(transfer=transfer, mechanic=stranger))
    refused("not_found", lambda: transfer_decline(transfer=transfer, mechanic=stranger))
    refused("not_found", lambda: transfer_withdraw(transfer=transfer, mechanic=stranger))
    # The offering mechanic cannot accept their own offer, nor the colleague withdraw it.
    refused("not_found", lambda: transfer_accept(transfer=transfer, mechanic=ann))
    refused("not_found", lambda: transfer_withdraw(transfer=transfer, mechanic=sam))


def test_decline_keeps_the_session_and_tells_the_offering_mechanic(
    ann, sam, django_capture_on_commit_callbacks
):
    session = held_by(ann)
    transfer = transfer_offer(session=session, mechanic=ann, to_mechanic_id=sam.pk)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        transfer_decline(transfer=transfer, mechanic=sam, reason="Off in ten minutes")
    transfer.refresh_from_db()
    session.refresh_from_db()
    assert (transfer.status, transfer.reason) == ("declined", "Off in ten minutes")
    assert session.mechanic_id == ann.pk
    event = session.events.order_by("-id").first()
    assert event.type == "transfer_declined" and event.data["by"] == "colleague"
    assert "Off in ten minutes" not in str(event.data)  # the customer can read the events
    assert [m.to for m in mail.outbox] == [[ann.user.email]]
    assert "Off in ten minutes" in mail.outbox[0].body
    # Repeat: no-op; accept after decline: closed; a new offer may now be made.
    transfer_decline(transfer=transfer, mechanic=sam)
    assert types(session).count("transfer_declined") == 1
    refused("transfer_closed", lambda: transfer_accept(transfer=transfer, mechanic=sam))
    transfer_offer(session=session, mechanic=ann, to_mechanic_id=sam.pk)


def test_withdraw(ann, sam):
    session = held_by(ann)
    transfer = transfer_offer(session=session, mechanic=ann, to_mechanic_id=sam.pk)
    transfer_withdraw(transfer=transfer, mechanic=ann)
    transfer.refresh_from_db()
    assert transfer.status == "withdrawn"
    assert session.events.order_by("-id").first().data["by"] == "offerer"
    error = refused("transfer_closed", lambda: transfer_accept(transfer=transfer, mechanic=sam))
    assert "withdrew" in error.detail


def test_unanswered_offer_lapses_after_five_minutes(ann, sam, clock, django_capture_on_commit_callbacks):
    session = held_by(ann)
    transfer = transfer_offer(session=session, mechanic=ann, to_mechanic_id=sam.pk)
    clock.advance(minutes=4, seconds=59)
    assert transfers_lapse_due() == 0
    clock.advance(seconds=1)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert transfers_lapse_due() == 1
    assert transfers_lapse_due() == 0  # once
    transfer.refresh_from_db()
    session.refresh_from_db()
    assert transfer.status == "lapsed" and session.mechanic_id == ann.pk
    assert types(session)[-1] == "transfer_lapsed"
    assert [m.to for m in mail.outbox] == [[ann.user.email]]
    error = refused("transfer_closed", lambda: transfer_accept(transfer=transfer, mechanic=sam))
    assert "5 minutes" in error.detail
    refused("transfer_closed", lambda: transfer_decline(transfer=transfer, mechanic=sam))


def test_accept_after_the_time_before_the_sweep_lapses_it(ann, sam, clock):
    session = held_by(ann)
    transfer = transfer_offer(session=session, mechanic=ann, to_mechanic_id=sam.pk)
    clock.advance(minutes=5)
    refused("transfer_closed", lambda: transfer_accept(transfer=transfer, mechanic=sam))
    transfer.refresh_from_db()
    session.refresh_from_db()
    assert transfer.status == "lapsed" and session.mechanic_id == ann.pk  # recorded, not rolled back
    assert types(session).count("transfer_lapsed") == 1


def test_offer_on_a_session_that_moved_on_is_closed(ann, sam):
    session = held_by(ann)
    transfer = transfer_offer(session=session, mechanic=ann, to_mechanic_id=sam.pk)
    session_release(session=session, mechanic=ann)
    error = refused("transfer_closed", lambda: transfer_accept(transfer=transfer, mechanic=sam))
    assert "no longer" in error.detail
    session.refresh_from_db()
    assert session.status == S.PENDING and session.mechanic_id is None
    transfer.refresh_from_db()
    assert transfer.status == "lapsed"


def test_sweep_lapses_stale_offers_at_once(ann, sam, django_capture_on_commit_callbacks):
    session = held_by(ann)
    transfer = transfer_offer(session=session, mechanic=ann, to_mechanic_id=sam.pk)
    session_release(session=session, mechanic=ann)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert transfers_lapse_due() == 1
    transfer.refresh_from_db()
    assert transfer.status == "lapsed"
    assert mail.outbox == []  # nothing to keep: the session is no longer theirs


def test_a_leftover_open_offer_does_not_block_the_next_holder(ann, sam):
    session = held_by(ann)
    first = transfer_offer(session=session, mechanic=ann, to_mechanic_id=sam.pk)
    session_release(session=session, mechanic=ann)
    other = make_mechanic()
    session = session_accept(assignment=open_assignment(session), mechanic=other)
    second = transfer_offer(session=session, mechanic=other, to_mechanic_id=sam.pk)
    first.refresh_from_db()
    assert first.status == "lapsed" and second.status == "offered"


def test_command_runs_the_sweep(ann, sam, clock, capsys):
    transfer_offer(session=held_by(ann), mechanic=ann, to_mechanic_id=sam.pk)
    clock.advance(minutes=6)
    call_command("lapse_transfer_offers")
    assert "lapsed 1 transfer offer(s)" in capsys.readouterr().out


def test_the_colleague_hears_the_offer_on_their_stream(ann, sam):
    transfer = transfer_offer(session=held_by(ann), mechanic=ann, to_mechanic_id=sam.pk)
    hint = transfer_hint(from_mechanic_id=transfer.from_mechanic_id, to_mechanic_id=transfer.to_mechanic_id)
    assert MechanicViewer(mechanic_id=sam.pk, workshop_id=None).select(hint) is WORK
    assert MechanicViewer(mechanic_id=ann.pk, workshop_id=None).select(hint) is WORK
    assert MechanicViewer(mechanic_id=ann.pk + sam.pk, workshop_id=None).select(hint) is None


def test_assignments_keep_one_open(ann, sam):
    session = held_by(ann)
    transfer_accept(
        transfer=transfer_offer(session=session, mechanic=ann, to_mechanic_id=sam.pk), mechanic=sam
    )
    third = make_mechanic()
    session = transfer_accept(
        transfer=transfer_offer(session=session, mechanic=sam, to_mechanic_id=third.pk), mechanic=third
    )
    rows = list(
        SessionAssignment.objects.filter(session=session).order_by("id").values_list("status", "mechanic_id")
    )
    assert rows == [("transferred", ann.pk), ("transferred", sam.pk), ("accepted", third.pk)]


def test_admin_lists_transfers_read_only(ann, sam, client):
    from django.contrib.auth.models import User

    transfer = transfer_offer(session=held_by(ann), mechanic=ann, to_mechanic_id=sam.pk)
    staff = User.objects.create_user("boss", password="x", is_staff=True, is_superuser=True)
    client.force_login(staff)
    page = client.get("/admin/sessions_app/sessiontransfer/")
    assert page.status_code == 200
    assert f"/admin/sessions_app/sessiontransfer/{transfer.pk}/change/" in page.content.decode()
    assert client.get("/admin/sessions_app/sessiontransfer/add/").status_code == 403
