"""The session lifecycle as data (SPEC §3).

One table says which status may follow which. The services guard with it, the admin
offers its actions from it and the templates show buttons from it.
"""

from dataclasses import dataclass

from django.db import models


class SessionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SCHEDULED = "scheduled", "Scheduled"
    WAITING = "waiting", "Waiting"
    LIVE = "live", "Live"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"


class AssignmentStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    ACCEPTED = "accepted", "Accepted"
    RELEASED = "released", "Released"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"
    # Handed to a colleague (sessions_app.services.transfers): the colleague's acceptance is a new
    # accepted assignment of the same session.
    TRANSFERRED = "transferred", "Transferred"


class SessionType(models.TextChoices):
    CHAT = "chat", "Chat"
    VIDEO = "video", "Video"
    DIAGNOSTIC = "diagnostic", "Diagnostic"


class SessionEventType(models.TextChoices):
    """Every kind of SessionEvent row. Only sessions_app.events.event_record writes them."""

    CREATED = "created", "Created"
    PROMOTED = "promoted", "Promoted to the queue"
    ACCEPTED = "accepted", "Accepted"
    STARTED = "started", "Started"
    RELEASED = "released", "Released to the queue"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"
    FORCE_ENDED = "force_ended", "Force-ended"
    REFUNDED = "refunded", "Refunded"
    # The room (presence, shared photos and clips)
    JOINED = "joined", "Joined the room"
    LEFT = "left", "Left the room"
    ATTACHMENT_ADDED = "attachment_added", "Shared a photo or clip"
    ABSENCE_FLAGGED = "absence_flagged", "Nobody in the room for 10 minutes"
    # The diagnosis and the repair quote
    DIAGNOSIS_EDITED = "diagnosis_edited", "Diagnosis edited"
    QUOTE_SENT = "quote_sent", "Repair quote sent"
    QUOTE_APPROVED = "quote_approved", "Repair quote approved"
    QUOTE_DECLINED = "quote_declined", "Repair quote declined"
    REPORT_SENT = "report_sent", "Report emailed"
    # Reach and routing
    REMINDED = "reminded", "Reminded to start"
    WAIT_ASKED = "wait_asked", "Asked to keep waiting"
    WAIT_EXTENDED = "wait_extended", "Chose to keep waiting"
    OPENED_TO_ALL = "opened_to_all", "Opened to every mechanic"
    TRANSFER_OFFERED = "transfer_offered", "Transfer offered"
    TRANSFER_ACCEPTED = "transfer_accepted", "Transfer accepted"
    TRANSFER_DECLINED = "transfer_declined", "Transfer declined"
    TRANSFER_LAPSED = "transfer_lapsed", "Transfer not answered"
    REQUEST_VIEWED = "request_viewed", "Request details viewed"


S = SessionStatus
E = SessionEventType
# The events that change a session's status (or create it): what "the latest event" means on a
# banner or a repeat check. The rest (presence, the diagnosis, quotes, transfers…) are activity.
STATUS_EVENTS: tuple[str, ...] = (
    E.CREATED,
    E.PROMOTED,
    E.ACCEPTED,
    E.STARTED,
    E.RELEASED,
    E.COMPLETED,
    E.CANCELLED,
    E.EXPIRED,
    E.FORCE_ENDED,
)
# Activity that only the session's own room and report show: no dashboard, queue row or banner
# reads it. These events are frequent (every look at a request's details, every diagnosis edit),
# so they move neither the shared state version (sessions_app.selectors.state_version) nor
# anybody's dashboard; the room still hears them through its own session version. New event
# types are shared unless added here: a missed refresh is a bug, an extra one only a cost.
SESSION_ONLY_EVENTS: tuple[str, ...] = (
    E.REQUEST_VIEWED,
    E.ATTACHMENT_ADDED,
    E.DIAGNOSIS_EDITED,
    E.QUOTE_SENT,
    E.QUOTE_APPROVED,
    E.QUOTE_DECLINED,
    E.REPORT_SENT,
)
# The events that can change the queue of waiting requests while the session is in it: its status
# (entering or leaving the queue) and the end of a first-look window (it opens to everyone).
QUEUE_EVENTS: tuple[str, ...] = (*STATUS_EVENTS, E.OPENED_TO_ALL)
ACTIVE_STATUSES: tuple[str, ...] = (S.PENDING, S.SCHEDULED, S.WAITING, S.LIVE)
WORKING_STATUSES: tuple[str, ...] = (S.WAITING, S.LIVE)  # count against mechanic capacity
UNASSIGNED_STATUSES: tuple[str, ...] = (S.PENDING, S.SCHEDULED)
FINAL_STATUSES: tuple[str, ...] = (S.COMPLETED, S.CANCELLED, S.EXPIRED)
OPEN_ASSIGNMENT_STATUSES: tuple[str, ...] = (AssignmentStatus.QUEUED, AssignmentStatus.ACCEPTED)


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[str]
    target: str
    event: SessionEventType
    label: str


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition("promote", frozenset({S.SCHEDULED}), S.PENDING, E.PROMOTED, "Promote to queue"),
        Transition("accept", frozenset({S.PENDING}), S.WAITING, E.ACCEPTED, "Accept"),
        Transition("start", frozenset({S.WAITING}), S.LIVE, E.STARTED, "Start Session"),
        Transition("release", frozenset({S.WAITING}), S.PENDING, E.RELEASED, "Cancel / Unlock"),
        Transition("complete", frozenset({S.LIVE}), S.COMPLETED, E.COMPLETED, "Complete"),
        Transition(
            "cancel", frozenset({S.PENDING, S.SCHEDULED, S.WAITING}), S.CANCELLED, E.CANCELLED, "Cancel"
        ),
        Transition("expire", frozenset({S.PENDING, S.WAITING}), S.EXPIRED, E.EXPIRED, "Expire"),
    )
}


def can(action: str, status: str) -> bool:
    """True when `action` is allowed from `status`."""
    return status in TRANSITIONS[action].sources


def actions_from(status: str) -> list[str]:
    """The transitions allowed from `status`, in table order."""
    return [name for name, t in TRANSITIONS.items() if status in t.sources]


# --- the words people read, where SPEC §4 says it differently from the labels above ----------

# The customer's one "End Session" (session_end_by_customer) completes a live session and cancels
# one that has not started, so both transitions read the same to them.
CUSTOMER_LABELS: dict[str, str] = {"complete": "End Session", "cancel": "End Session"}
# How a status reads on a pill, where its own label says less: waiting means a mechanic has it.
STATUS_LABELS: dict[str, str] = {S.WAITING: "Mechanic assigned"}


def action_label(action: str, *, customer: bool = False) -> str:
    """The button text for `action`: the customer's words where they have their own, else the table's."""
    if customer and action in CUSTOMER_LABELS:
        return CUSTOMER_LABELS[action]
    return TRANSITIONS[action].label


def status_label(status: str) -> str:
    """How `status` reads on a status pill."""
    return STATUS_LABELS.get(status) or SessionStatus(status).label
