"""Who hears which hint, and the event streams that carry them (SPEC §7).

Every open page holds one stream; each stream is a subscriber of this process's broker
(autodoctor.push) with a *viewer* that decides, per hint, what that browser may see:

- a mechanic: "work" when a session they hold (or held) changed; "queue" when the queue they
  can see changed (general requests, plus their own workshop's — never another workshop's);
- a customer: "session" when their own session changed; "queue" when the line they are waiting
  in moved (only while their own request is pending);
- a session room: "session" and "message" for that one session (and, for its customer while
  pending, "queue" for the banner's place in line); "signal" (a call signal is waiting, issue 11)
  only for the user it is addressed to.

What reaches a browser names nothing but its own session: another customer's change is at most
"the queue moved". The page then fetches through its usual (authorised) views.

A viewer returns the shared QUEUE / WORK objects where it can: the broker encodes each distinct
object once per batch, however many streams hear it.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from autodoctor.push import CLOSE, Broker, Delivery, Hint, Subscriber, retry_ms

from .selectors import state_version_sql
from .transitions import SessionStatus

BROKER = Broker(version_sql=state_version_sql())


QUEUE: Hint = {"kind": "queue"}
WORK: Hint = {"kind": "work"}


def _in_line(hint: Hint, workshop_id: int | None) -> bool:
    """A queue change that can move a request of `workshop_id` (None: the general queue): the
    general queue, or that workshop's own requests (sessions_app.selectors.queue_position)."""
    return bool(hint.get("queue")) and hint.get("workshop") in (None, workshop_id)


@dataclass
class MechanicViewer:
    mechanic_id: int
    workshop_id: int | None
    sessions: set[int] = field(default_factory=set)  # held now or since the stream opened

    def select(self, hint: Hint) -> Hint | None:
        if hint.get("kind") == "transfer":  # issue 14: an offer to or from this mechanic
            return WORK if self.mechanic_id in hint.get("mechanics", ()) else None
        if hint.get("kind") != "session" or hint.get("shared") is False:
            return None  # the dashboard shows no chat, and no room-only activity
        session_id = hint.get("session")
        if hint.get("mechanic") == self.mechanic_id or session_id in self.sessions:
            if isinstance(session_id, int):
                self.sessions.add(session_id)  # a release clears the mechanic: keep hearing it
            return WORK
        if _in_line(hint, self.workshop_id):
            return QUEUE
        return None


@dataclass
class CustomerViewer:
    customer_id: int
    pending: bool
    workshop_id: int | None

    def select(self, hint: Hint) -> Hint | None:
        if hint.get("customer") == self.customer_id:
            if hint.get("kind") != "session":
                return None  # the banner shows no chat
            self.pending = hint.get("status") == SessionStatus.PENDING
            self.workshop_id = hint.get("workshop")
            return {"kind": "session", "session": hint.get("session")}
        if self.pending and hint.get("kind") == "session" and _in_line(hint, self.workshop_id):
            return QUEUE  # my place in line may have changed
        return None


@dataclass
class SessionViewer:
    session_id: int
    customer: CustomerViewer | None = None  # when the session's own customer is watching
    user_id: int | None = None  # who is watching (call signals are addressed to one user)

    def select(self, hint: Hint) -> Hint | None:
        if hint.get("kind") == "signal":  # issue 11 (calls): a call signal, for its recipient only
            mine = self.user_id is not None and hint.get("to") == self.user_id
            if mine and hint.get("session") == self.session_id:
                return {"kind": "signal", "session": self.session_id}
            return None
        if hint.get("session") == self.session_id:
            if self.customer is not None:
                self.customer.select(hint)  # keeps "pending" current for the place in line
            if hint.get("kind") == "message":
                return {"kind": "message", "session": self.session_id, "message": hint.get("message")}
            return {"kind": "session", "session": self.session_id}
        if self.customer is not None:
            return self.customer.select(hint)
        return None


def parse_version(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


async def event_stream(
    subscriber: Subscriber, *, since: int | None, version: int, broker: Broker = BROKER
) -> AsyncIterator[bytes]:
    """The stream of one tab: `retry:` (with jitter), then a first event with the current
    version: "refetch" when the page was rendered at (or last heard) another version, "hello"
    otherwise (the page checks once: it may have been rendered before a change that came ahead
    of its stream); then the hints and the broker's heartbeats, whatever has queued up sent as
    one write. Ends when the client goes (Django cancels it) or when the broker dropped a slow
    client (it reconnects and catches up)."""
    try:
        moved = since is not None and since != version
        first = Delivery(version, {"kind": "refetch" if moved else "hello"})
        yield f"retry: {retry_ms()}\n".encode() + first.frame
        queue = subscriber.queue
        while True:
            deliveries = [await queue.get()]
            while not queue.empty():
                deliveries.append(queue.get_nowait())
            if any(delivery is CLOSE for delivery in deliveries):
                return
            yield b"".join(delivery.frame for delivery in deliveries)
    finally:
        broker.unsubscribe(subscriber)
