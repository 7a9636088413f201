"""Expertise routing (issue 14): match(), the queue's order, the first-look window and capacity
weighted by plan. Races on PostgreSQL are at the end (skipped on SQLite)."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django_q.models import Schedule

from autodoctor.errors import DomainError
from customers.models import Intake
from mechanics.models import Mechanic
from mechanics.services import mechanic_set_availability, mechanic_update_expertise, workshop_get_or_create
from sessions_app.capacity import capacity_use
from sessions_app.models import SessionAssignment, SessionEvent
from sessions_app.routing import RouteRequest, Specialties, match, match_q
from sessions_app.selectors import queue_for_mechanic
from sessions_app.services import (
    first_look_open,
    first_looks_open_due,
    session_accept,
    session_release,
    session_start,
)
from sessions_app.tasks import open_due_first_looks, open_first_look
from sessions_app.transitions import SessionEventType
from tests.factories import make_customer, make_mechanic, make_session, open_assignment, plan

from .test_races import run_at_once, tally

OPENED = SessionEventType.OPENED_TO_ALL

pytestmark = pytest.mark.django_db


def expert(*, makes=(), systems=(), session_types=(), languages=(), capacity=1, **kwargs) -> Mechanic:
    mechanic = make_mechanic(capacity=capacity, **kwargs)
    return mechanic_update_expertise(
        mechanic=mechanic,
        makes=list(makes),
        systems=list(systems),
        session_types=list(session_types),
        languages=list(languages),
    )


def request_for(*, make="", system="", language="", plan_code="free-chat", customer=None, **kwargs):
    """A request through the real factory, with an intake saying make, system and language."""
    customer = customer or make_customer(credits=10)
    intake = Intake.objects.create(
        customer=customer,
        vehicle_make=make,
        concern="A grinding noise when braking hard.",
        plan=plan(plan_code),
        system=system,
        language=language,
    )
    pay_with = "free" if plan_code == "free-chat" else "credits"
    return make_session(customer, plan_code=plan_code, pay_with=pay_with, intake=intake, **kwargs)


# --- match() ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("specialties", "request_", "labels"),
    [
        (
            Specialties(makes=("Toyota",), systems=("brakes",)),
            RouteRequest("chat", "toyota", "brakes"),
            ["Toyota", "brakes"],
        ),
        (Specialties(makes=("Toyota",)), RouteRequest("video", "Honda", "brakes"), []),
        (Specialties(systems=("hvac",)), RouteRequest("chat", "", "hvac"), ["HVAC"]),
        (Specialties(languages=("es",)), RouteRequest("chat", language="es"), ["Spanish"]),
        # a specialty in some session types counts; listing all three is no specialty
        (Specialties(session_types=("diagnostic",)), RouteRequest("diagnostic"), ["diagnostic"]),
        (Specialties(session_types=("chat", "video", "diagnostic")), RouteRequest("video"), []),
        # a mechanic who lists types does not match another type, whatever else agrees
        (Specialties(makes=("Toyota",), session_types=("chat",)), RouteRequest("video", "Toyota"), []),
        (
            Specialties(makes=("Toyota",), session_types=("chat",)),
            RouteRequest("chat", "Toyota"),
            ["Toyota", "chat"],
        ),
        (Specialties(), RouteRequest("chat", "Toyota", "brakes", "en"), []),
        (Specialties(makes=("Ford",)), RouteRequest("chat", ""), []),
    ],
)
def test_match_labels(specialties, request_, labels):
    assert match(specialties, request_) == labels


def test_match_q_agrees_with_match(db):
    """The queryset's notion of a match (ordering) is match()'s, request by request."""
    requests = [
        request_for(make="Toyota", system="brakes"),
        request_for(make="honda", system="engine", language="es"),
        request_for(make="Ford", plan_code="video-30"),
        request_for(system="hvac", plan_code="diagnostic-45"),
        request_for(),
    ]
    profiles = [
        Specialties(makes=("TOYOTA",)),
        Specialties(systems=("engine", "hvac")),
        Specialties(languages=("es",), session_types=("chat",)),
        Specialties(session_types=("video", "diagnostic")),
        Specialties(makes=("Ford",), session_types=("chat",)),
    ]
    assignments = SessionAssignment.objects.filter(session__in=requests).select_related("session__intake")
    for specialties in profiles:
        q = match_q(specialties)
        matched_in_sql = set(assignments.filter(q).values_list("pk", flat=True))
        matched_in_python = {a.pk for a in assignments if match(specialties, RouteRequest.of(a.session))}
        assert matched_in_sql == matched_in_python, specialties


# --- the queue's order ------------------------------------------------------------------------


def test_matches_come_first_within_the_same_urgency(settings, clock):
    settings.FIRST_LOOK_SECONDS = 0  # ordering only
    mechanic = expert(makes=["Toyota"], systems=["brakes"])
    old_other = request_for(make="Ford")
    clock.advance(minutes=1)
    matching = request_for(make="Toyota")
    clock.advance(minutes=1)
    urgent_other = request_for(make="Ford", urgent=True)
    clock.advance(minutes=1)
    urgent_match = request_for(system="brakes", urgent=True)
    clock.advance(minutes=1)
    newer_other = request_for(make="Kia")

    order = [a.session_id for a in queue_for_mechanic(mechanic=mechanic)]

    assert order == [urgent_match.pk, urgent_other.pk, matching.pk, old_other.pk, newer_other.pk]
    # a mechanic without expertise keeps the plain order: urgent first, then oldest first
    plain = [a.session_id for a in queue_for_mechanic(mechanic=make_mechanic())]
    assert plain == [urgent_other.pk, urgent_match.pk, old_other.pk, matching.pk, newer_other.pk]


# --- the first-look window --------------------------------------------------------------------


def test_first_look_offers_a_new_request_to_matching_available_mechanics_only(
    settings, clock, django_capture_on_commit_callbacks
):
    settings.FIRST_LOOK_SECONDS = 60
    toyota = expert(makes=["Toyota"], systems=["brakes"])
    away = expert(makes=["Toyota"])
    mechanic_set_availability(mechanic=away, available=False)
    other = make_mechanic()

    with django_capture_on_commit_callbacks(execute=True):
        session = request_for(make="Toyota", system="brakes")
    assignment = open_assignment(session)

    assert assignment.first_look_until == clock.now + timedelta(seconds=60)
    assert assignment.opened_at is None
    assert list(assignment.offered_to.all()) == [toyota]
    assert not session.events.filter(type=OPENED).exists()
    assert Schedule.objects.filter(
        func="sessions_app.tasks.open_first_look", next_run=assignment.first_look_until
    ).exists()
    # visible to the one it is offered to, not to the others (the away expert included)
    assert [a.pk for a in queue_for_mechanic(mechanic=toyota)] == [assignment.pk]
    assert list(queue_for_mechanic(mechanic=other)) == []
    assert list(queue_for_mechanic(mechanic=away)) == []


def test_a_non_matching_mechanic_is_refused_during_the_window_and_may_accept_after(settings, clock):
    settings.FIRST_LOOK_SECONDS = 60
    expert(makes=["Toyota"], systems=["brakes"])
    other = make_mechanic()
    other.time_zone = "America/New_York"
    other.save(update_fields=["time_zone"])
    session = request_for(make="Toyota", system="brakes")
    assignment = open_assignment(session)
    clock.advance(seconds=20)

    with pytest.raises(DomainError) as refused:
        session_accept(assignment=assignment, mechanic=other)

    assert refused.value.code == "first_look" and refused.value.http_status == 409
    local_end = assignment.first_look_until.astimezone(ZoneInfo("America/New_York"))
    assert refused.value.detail == (
        "This request is offered first to mechanics who know Toyota brakes until "
        f"{local_end:%H:%M:%S}; it opens to everyone in 40 s."
    )
    assignment.refresh_from_db()
    assert assignment.status == "queued"  # nothing written

    clock.advance(seconds=40)  # the window has ended, even before any task ran
    assert [a.pk for a in queue_for_mechanic(mechanic=other)] == [assignment.pk]
    accepted = session_accept(assignment=assignment, mechanic=other)
    assert accepted.mechanic_id == other.pk


def test_the_offered_mechanic_accepts_during_the_window(settings, clock):
    settings.FIRST_LOOK_SECONDS = 60
    toyota = expert(makes=["Toyota"])
    session = request_for(make="Toyota")
    accepted = session_accept(assignment=open_assignment(session), mechanic=toyota)
    assert accepted.mechanic_id == toyota.pk
    # accepted in the window: it never opens to everyone
    clock.advance(seconds=61)
    assert first_looks_open_due() == 0
    assert not session.events.filter(type=OPENED).exists()


def test_nobody_matching_at_creation_opens_the_request_at_once(settings, clock):
    settings.FIRST_LOOK_SECONDS = 60
    expert(makes=["Ford"])
    busy = expert(makes=["Toyota"])  # matches, but has no room
    session_accept(assignment=open_assignment(make_session()), mechanic=busy)
    expert(makes=["Toyota"], workshop=workshop_get_or_create(name="Other"))  # not Garage's
    garage = workshop_get_or_create(name="Garage")
    customer = make_customer(workshop=garage)  # only Garage's mechanics may take it

    session = request_for(make="Toyota", customer=customer)
    assignment = open_assignment(session)

    assert assignment.first_look_until is None and assignment.opened_at == clock.now
    event = session.events.get(type=OPENED)
    assert event.data == {"assignment_id": assignment.pk, "reason": "no_available_match", "offered_to": []}
    assert event.actor_id is None
    assert not Schedule.objects.filter(func="sessions_app.tasks.open_first_look").exists()


def test_window_off_records_nothing(settings):
    settings.FIRST_LOOK_SECONDS = 0
    expert(makes=["Toyota"])
    session = request_for(make="Toyota")
    assignment = open_assignment(session)
    assert (assignment.first_look_until, assignment.opened_at) == (None, None)
    assert not session.events.filter(type=OPENED).exists()


def test_window_end_opens_once_and_the_task_and_sweep_agree(settings, clock):
    settings.FIRST_LOOK_SECONDS = 60
    toyota = expert(makes=["Toyota"])
    session = request_for(make="Toyota")
    assignment = open_assignment(session)

    assert open_first_look(assignment.pk) is False  # too early: a no-op
    assert open_due_first_looks() == 0
    clock.advance(seconds=60)
    assert open_first_look(assignment.pk) is True  # the task scheduled for the end
    assert open_due_first_looks() == 0  # the sweep finds nothing more
    assert first_look_open(assignment_id=assignment.pk) is False

    event = session.events.get(type=OPENED)
    assert event.data == {"assignment_id": assignment.pk, "reason": "window_ended", "offered_to": [toyota.pk]}
    assignment.refresh_from_db()
    assert assignment.opened_at == clock.now


def test_window_end_publishes_a_queue_hint(settings, clock, monkeypatch):
    settings.FIRST_LOOK_SECONDS = 60
    expert(makes=["Toyota"])
    session = request_for(make="Toyota")
    published = []
    monkeypatch.setattr("sessions_app.events.hint_publish", published.append)
    clock.advance(seconds=61)
    assert first_looks_open_due() == 1
    assert [(h["kind"], h["session"], h["queue"]) for h in published] == [("session", session.pk, True)]


def test_a_released_request_gets_no_second_window(settings, clock):
    settings.FIRST_LOOK_SECONDS = 60
    toyota = expert(makes=["Toyota"])
    other = make_mechanic()
    session = request_for(make="Toyota")
    session_accept(assignment=open_assignment(session), mechanic=toyota)
    session_release(session=session, mechanic=toyota)
    requeued = open_assignment(session)
    assert (requeued.first_look_until, requeued.opened_at) == (None, None)
    assert [a.pk for a in queue_for_mechanic(mechanic=other)] == [requeued.pk]


def test_details_page_and_api_hide_a_request_during_its_first_look(settings, clock):
    from tests.factories import client_for

    settings.FIRST_LOOK_SECONDS = 60
    expert(makes=["Toyota"])
    other = make_mechanic()
    assignment = open_assignment(request_for(make="Toyota"))
    client = client_for(other.user)
    assert client.get(f"/mechanic/requests/{assignment.pk}/").status_code == 404
    assert client.get("/api/mechanic/queue").json()["assignments"] == []
    response = client.post(f"/api/mechanic/assignments/{assignment.pk}/accept")
    assert response.status_code == 409 and response.json()["error"] == "first_look"
    assert "opens to everyone in 60 s" in response.json()["detail"]
    clock.advance(seconds=60)
    assert client.post(f"/api/mechanic/assignments/{assignment.pk}/accept").status_code == 200


# --- capacity weighted by plan ----------------------------------------------------------------


def test_plan_weights_by_type(db):
    assert [
        plan(code).capacity_weight for code in ("free-chat", "quick-chat", "video-30", "diagnostic-45")
    ] == [
        1,
        1,
        2,
        2,
    ]


def test_budget_3_video_and_chat_fit(settings):
    settings.FIRST_LOOK_SECONDS = 0
    mechanic = make_mechanic(capacity=3)
    session_accept(assignment=open_assignment(request_for(plan_code="video-30")), mechanic=mechanic)
    session_accept(assignment=open_assignment(request_for()), mechanic=mechanic)
    use = capacity_use(mechanic=mechanic)
    assert (use.used, use.count, use.remaining) == (3, 2, 0)


def test_budget_3_two_video_calls_are_refused_with_the_arithmetic(settings):
    settings.FIRST_LOOK_SECONDS = 0
    mechanic = make_mechanic(capacity=3)
    session_accept(assignment=open_assignment(request_for(plan_code="diagnostic-45")), mechanic=mechanic)
    second = open_assignment(request_for(plan_code="video-30"))
    with pytest.raises(DomainError) as refused:
        session_accept(assignment=second, mechanic=mechanic)
    assert refused.value.code == "at_capacity"
    assert refused.value.detail.startswith(
        "A video call takes 2 of your 3; you are using 2 (one diagnostic)."
    )
    assert refused.value.context == {"active": 1, "capacity": 3, "used": 2, "weight": 2}


def test_an_empty_plate_takes_any_session_even_over_budget(settings):
    """Budget 1 (the default) still takes a video call, one session at a time, as before."""
    settings.FIRST_LOOK_SECONDS = 0
    mechanic = make_mechanic(capacity=1)
    session = session_accept(assignment=open_assignment(request_for(plan_code="video-30")), mechanic=mechanic)
    session_start(session=session, mechanic=mechanic)
    with pytest.raises(DomainError) as refused:
        session_accept(assignment=open_assignment(request_for()), mechanic=mechanic)
    assert refused.value.code == "at_capacity"
    assert refused.value.detail.startswith("You have 1 active session assigned to you.")


# --- races (PostgreSQL, real threads) ---------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_racing_open_a_window_once(on_postgres, settings, clock):
    settings.FIRST_LOOK_SECONDS = 60
    expert(makes=["Toyota"])
    session = request_for(make="Toyota")
    assignment = open_assignment(session)
    clock.advance(seconds=61)

    outcomes = run_at_once(
        "two sweeps and the task open one window",
        [first_looks_open_due, first_looks_open_due, lambda: first_look_open(assignment_id=assignment.pk)],
    )

    assert sum(int(value) for kind, value in outcomes if kind == "ok") == 1
    assert SessionEvent.objects.filter(session=session, type=OPENED).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_accepts_that_fit_alone_but_not_together_one_wins(on_postgres, settings):
    settings.FIRST_LOOK_SECONDS = 0
    mechanic = make_mechanic(capacity=3)
    session_accept(assignment=open_assignment(request_for()), mechanic=mechanic)  # chat: 1 of 3
    videos = [open_assignment(request_for(plan_code="video-30")) for _ in range(2)]

    outcomes = run_at_once(
        "one mechanic accepts two video calls with room for one",
        [lambda a=a: session_accept(assignment=a, mechanic=mechanic) for a in videos],
    )

    assert tally(outcomes) == {"ok": 1, "at_capacity": 1}
    assert capacity_use(mechanic=mechanic).used == 3
    assert connection.vendor == "postgresql"
