"""The mechanic dashboard as the templates read it: small frozen dataclasses over the selectors.

`MechanicDashboard` is lazy: each panel partial touches only the properties it shows, so a
panel refresh runs only that panel's queries and the full page runs each query once. Which
buttons a card offers, and their labels, come from the transition table.
"""

from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import cached_property
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.cache.utils import make_template_fragment_key
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince

from mechanics.models import Mechanic
from sessions_app.capacity import CapacityUse, fits
from sessions_app.forms import SUMMARY_MAX
from sessions_app.live import panel_token, panel_token_claims, pulse_token, recent_state_version
from sessions_app.mechanic_emails import local_clock
from sessions_app.models import Session, SessionAssignment, SessionTransfer
from sessions_app.presence import Presence, absent_since, presence_of
from sessions_app.routing import RouteRequest, Specialties, match
from sessions_app.selectors import active_sessions_for_mechanic, session_history
from sessions_app.services.reminders import release_due_at
from sessions_app.services.transfers import offer_lapses_at
from sessions_app.transfer_selectors import transfer_colleagues, transfers_for_dashboard
from sessions_app.transitions import (
    TRANSITIONS,
    WORKING_STATUSES,
    AssignmentStatus,
    SessionStatus,
    actions_from,
)
from sessions_app.wording import does_not_fit_message, lock_message

from .selectors import (
    KnownCountPaginator,
    MechanicContext,
    QueueStats,
    filtered_queue,
    history_counts,
    queue_stats,
)

PAGE_SIZE = 20
TABS: dict[str, str] = {
    "incoming": "Incoming Requests",
    "active": "Active",
    "completed": "Completed",
    "all": "All History",
}
# Tab -> session_history group (the Incoming tab is the queue, not history).
HISTORY_GROUP_OF_TAB = {"active": "active", "completed": "completed", "all": None}
# The transitions a mechanic takes from a work card: the view that takes each, the button style,
# and those that need the mechanic's summary of findings.
CARD_ACTION_URLS = {"start": "mechanic_start", "release": "mechanic_release", "complete": "mechanic_complete"}
CARD_ACTION_STYLES = {"start": "btn-success", "complete": "btn-success"}
NEEDS_SUMMARY = frozenset({"complete"})
# How long a work card still says that an offer was declined or not answered (issue 14).
TRANSFER_NOTICE = timedelta(minutes=30)


@dataclass(frozen=True)
class DashboardFilters:
    """What the mechanic asked to see: tab, search, type, date range and page."""

    tab: str = "incoming"
    search: str = ""
    session_type: str = ""
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1

    @property
    def is_filtered(self) -> bool:
        return self.active_count > 0

    @property
    def active_count(self) -> int:
        """How many filters narrow the list (the phone's collapsed "Filter" control says so)."""
        return sum(map(bool, (self.search.strip(), self.session_type, self.date_from, self.date_to)))

    def query_string(self, *, tab: str | None = None, page: int | None = None) -> str:
        """The filters as a URL query (empty values left out), e.g. for tab and page links."""
        current = replace(
            self, tab=self.tab if tab is None else tab, page=self.page if page is None else page
        )
        params = {
            "tab": current.tab,
            "q": current.search.strip(),
            "type": current.session_type,
            "from": current.date_from.isoformat() if current.date_from else "",
            "to": current.date_to.isoformat() if current.date_to else "",
            "page": current.page if current.page > 1 else "",
        }
        return urlencode({k: v for k, v in params.items() if v})


@dataclass(frozen=True)
class QueueScope:
    """Who sees the same queue list: the workshop, and the lock state with its count."""

    workshop_id: int
    locked_with: int  # sessions held when at capacity (the lock message says how many); 0 = open
    # route (issue 14): what else makes this mechanic's list differ from a colleague's: the
    # room left in their budget (which rows fit) and, with expertise, their own first looks and
    # match badges ("" = an empty plate and no expertise: the list everyone shares).
    profile: str = ""

    @property
    def blocked(self) -> bool:
        return self.locked_with > 0


def queue_fragment_key(scope: QueueScope, version: int, *, page: int, now: datetime) -> str:
    """The cache key of a rendered queue list: per scope, version, page and minute (for
    "waiting N minutes")."""
    lock = f"locked{scope.locked_with}" if scope.blocked else "open"
    minute = int(now.timestamp() // 60)
    return f"{scope.workshop_id}:{lock}:{scope.profile}:{version}:{page}:{minute}"


def queue_profile(mechanic: Mechanic, *, used: int) -> str:
    """QueueScope.profile for `mechanic` holding `used` of their budget."""
    room = f"r{max(0, mechanic.max_active_sessions - used)}" if used else ""
    specialties = Specialties.of(mechanic)
    expertise = f"m{mechanic.pk}.{specialties.fingerprint}" if specialties.any else ""
    return ".".join(part for part in (room, expertise) if part)


@dataclass(frozen=True)
class CardAction:
    """A transition the mechanic may take from a work card, as the transition table names it."""

    name: str
    label: str
    url: str
    style: str

    @property
    def needs_summary(self) -> bool:
        return self.name in NEEDS_SUMMARY


@dataclass(frozen=True)
class WorkCard:
    """One of the mechanic's waiting or live sessions, with the transitions it allows."""

    session: Session
    actions: tuple[CardAction, ...]

    @property
    def is_live(self) -> bool:
        return self.session.status == SessionStatus.LIVE

    @property
    def customer_presence(self) -> Presence:
        """Whether the customer is in the room (annotated by active_sessions_for_mechanic)."""
        return presence_of(
            getattr(self.session, "customer_seen_at", None), getattr(self.session, "customer_left_at", None)
        )

    @property
    def absent_since(self) -> datetime | None:
        """A live session nobody has been in for 10 minutes: when the room was last occupied."""
        if not self.is_live:
            return None
        seen = [
            getattr(self.session, "customer_seen_at", None),
            getattr(self.session, "mechanic_seen_at", None),
        ]
        return absent_since(started_at=self.session.started_at, seen=seen)

    @property
    def reminder_release_at(self) -> str:
        """Issue 14: a waiting session reminded since its current accept (the REMINDED event):
        when the idle sweep puts it back in the queue, on the mechanic's wall clock ("14:32");
        "" when there is no reminder to show."""
        accepted_at = getattr(self.session, "accepted_at", None)
        reminded_at = getattr(self.session, "reminded_at", None)
        if self.is_live or accepted_at is None or reminded_at is None or reminded_at < accepted_at:
            return ""
        zone = self.session.mechanic.time_zone if self.session.mechanic else ""
        return local_clock(release_due_at(accepted_at), zone)


def work_card(session: Session) -> WorkCard:
    return WorkCard(
        session=session,
        actions=tuple(
            CardAction(
                name=name,
                label=TRANSITIONS[name].label,
                url=reverse(CARD_ACTION_URLS[name], args=[session.pk]),
                style=CARD_ACTION_STYLES.get(name, ""),
            )
            for name in actions_from(session.status)
            if name in CARD_ACTION_URLS
        ),
    )


@dataclass(frozen=True)
class WorkItem:
    """A work card with what its transfer controls need (issue 14): this mechanic's latest offer
    of the session (open, or declined / lapsed / withdrawn a moment ago) and who may be named."""

    card: WorkCard
    offer: SessionTransfer | None
    offer_lapses_at: datetime | None
    colleagues: tuple[Mechanic, ...]

    @property
    def offer_open(self) -> bool:
        return self.offer is not None and self.offer.is_open


@dataclass(frozen=True)
class QueueRow:
    """A queued request and how long it has waited ("under a minute", "6 minutes"); what it
    matches of the mechanic's expertise, and whether it fits their capacity budget (or why not)."""

    assignment: SessionAssignment
    waited: str
    matches: tuple[str, ...] = ()
    fits: bool = True
    why_not: str = ""


# --- issue 14: what happened to each session of All History, for this mechanic ------------------


def history_outcome(session: Session, *, mechanic_id: int) -> str:
    """One line on what became of `session` for the mechanic ("You released it — idle for 30 min",
    "Transferred to Sam"), from sessions_app.selectors.mechanic_touches' annotations."""
    mine = session.mechanic_id == mechanic_id
    status = getattr(session, "my_assignment", None)
    came = getattr(session, "transferred_from", None)
    parts = [f"Transferred to you by {came}"] if came and mine else []
    if status == AssignmentStatus.TRANSFERRED and not mine:
        went = getattr(session, "transferred_to", None)
        parts.append(f"Transferred to {went}" if went else "Transferred to a colleague")
    elif status == AssignmentStatus.RELEASED and not mine:
        parts.append(
            RELEASE_WORDS.get(getattr(session, "my_release_reason", None) or "", "Released to the queue")
        )
    elif status == AssignmentStatus.COMPLETED:
        parts.append("You completed it")
    elif status == AssignmentStatus.EXPIRED:
        parts.append("Expired while it was yours")
    elif status == AssignmentStatus.CANCELLED:
        parts.append("Cancelled while it was yours")
    elif mine and session.status in WORKING_STATUSES:
        parts.append("Yours · live" if session.status == SessionStatus.LIVE else "Yours · waiting to start")
    return " · ".join(parts)


RELEASE_WORDS = {
    "mechanic": "You released it",
    "idle": f"Released for you — idle for {settings.IDLE_WAITING_MINUTES} min",
    "force_end": "You released it — force end",
    "staff": "Released by staff",
}


@dataclass(frozen=True)
class HistoryRow:
    """A history table row: the session, what happened to it for this mechanic, and whether it is
    theirs (its report, intake and room open only to its current mechanic)."""

    session: Session
    outcome: str
    mine: bool


@dataclass(frozen=True)
class TabLink:
    key: str
    label: str
    count: int
    current: bool
    query: str


@dataclass(frozen=True)
class MechanicDashboard:
    """Everything the dashboard shows for one mechanic and one set of filters, loaded on demand
    (cached_property writes to the instance dict, which a frozen dataclass allows)."""

    context: MechanicContext
    filters: DashboardFilters
    session_key: str = ""

    @property
    def joinable_statuses(self) -> tuple[str, ...]:
        """Sessions in these statuses can be joined from the history tables."""
        return WORKING_STATUSES

    @property
    def mechanic(self) -> Mechanic:
        return self.context.mechanic

    @property
    def available(self) -> bool:
        return self.mechanic.availability == Mechanic.Availability.AVAILABLE

    @cached_property
    def now(self) -> datetime:
        return timezone.now()

    # --- My Active Work (one query) ---------------------------------------------------------
    @cached_property
    def work_cards(self) -> list[WorkCard]:
        """Live sessions first (they need attention now), then waiting ones, oldest first."""
        sessions = sorted(
            active_sessions_for_mechanic(mechanic=self.mechanic),
            key=lambda s: (s.status != SessionStatus.LIVE, s.created_at),
        )
        return [work_card(session) for session in sessions]

    @property
    def summary_max(self) -> int:
        return SUMMARY_MAX

    @property
    def live_count(self) -> int:
        return sum(1 for card in self.work_cards if card.is_live)

    @property
    def waiting_count(self) -> int:
        return self.active_count - self.live_count

    @property
    def active_count(self) -> int:
        return len(self.work_cards)

    @property
    def working_count(self) -> int:
        """How many sessions count against capacity: from the list when it is loaded anyway,
        else the count read with the mechanic (the queue panel needs no more)."""
        if "work_cards" in self.__dict__:
            return len(self.work_cards)
        return self.context.working_count

    @property
    def capacity(self) -> int:
        return self.mechanic.max_active_sessions

    @property
    def used(self) -> int:
        """The capacity weights in hand (sessions_app.capacity): from the list when it is loaded
        anyway, else the sum read with the mechanic."""
        if "work_cards" in self.__dict__:
            return sum(card.session.plan.capacity_weight for card in self.work_cards)
        return self.context.working_weight

    @property
    def blocked(self) -> bool:
        """No waiting request fits the budget: full, or the lightest one waiting is too heavy.
        An empty plate always fits; only a part-used budget needs the queue's lightest weight."""
        used = self.used
        if used == 0:
            return False
        if used >= self.capacity:
            return True
        lightest = self.queue_stats.min_weight
        return lightest is not None and not fits(used=used, weight=lightest, budget=self.capacity)

    @property
    def capacity_use(self) -> CapacityUse:
        holding = Counter(card.session.type for card in self.work_cards)
        return CapacityUse(budget=self.capacity, used=self.used, holding=holding)

    @property
    def lock_message(self) -> str:
        return lock_message(self.working_count, use=self.capacity_use)

    # --- counts (one query each) ------------------------------------------------------------
    @cached_property
    def queue_stats(self) -> QueueStats:
        return queue_stats(mechanic=self.mechanic)

    @cached_property
    def history_counts(self) -> dict[str, int]:
        return history_counts(mechanic=self.mechanic)

    @property
    def tabs(self) -> list[TabLink]:
        counts = {"incoming": self.queue_stats.count, **self.history_counts}
        return [
            TabLink(
                key=key,
                label=label,
                count=counts[key],
                current=key == self.filters.tab,
                query=self.filters.query_string(tab=key, page=1),
            )
            for key, label in TABS.items()
        ]

    # --- the current tab's list (one query, plus a count when filtered) ---------------------
    @cached_property
    def page(self) -> Page:
        filters = self.filters
        rows: QuerySet
        if filters.tab == "incoming":
            rows = filtered_queue(
                mechanic=self.mechanic,
                search=filters.search,
                session_type=filters.session_type,
                date_from=filters.date_from,
                date_to=filters.date_to,
            )
        else:
            rows = session_history(
                mechanic=self.mechanic,
                group=HISTORY_GROUP_OF_TAB[filters.tab],
                search=filters.search,
                session_type=filters.session_type,
                date_from=filters.date_from,
                date_to=filters.date_to,
            )
        if filters.is_filtered:
            return Paginator(rows, PAGE_SIZE).get_page(filters.page)
        # The tab count already holds the total: spare the paginator its COUNT query.
        known = self.queue_stats.count if filters.tab == "incoming" else self.history_counts[filters.tab]
        return KnownCountPaginator(rows, PAGE_SIZE, count=known).get_page(filters.page)

    @cached_property
    def history_rows(self) -> list[HistoryRow]:
        me = self.mechanic.pk
        return [
            HistoryRow(session=s, outcome=history_outcome(s, mechanic_id=me), mine=s.mechanic_id == me)
            for s in self.page
        ]

    # --- issue 14: transfer offers to this mechanic, and their own open ones --------------------
    @cached_property
    def transfers(self) -> list[SessionTransfer]:
        """Open offers to this mechanic and their own recent offers: one query for both panels."""
        return transfers_for_dashboard(mechanic=self.mechanic, since=self.now - TRANSFER_NOTICE)

    @property
    def transfer_offers(self) -> list[SessionTransfer]:
        """Open offers to this mechanic (the panel above My Active Work)."""
        return [t for t in self.transfers if t.to_mechanic_id == self.mechanic.pk]

    @cached_property
    def work_items(self) -> list[WorkItem]:
        """My Active Work's cards with their transfer state: two more queries (the offers, shared
        with the offers panel, and the colleagues), and none when there is no card."""
        if not self.work_cards:
            return []
        me = self.mechanic.pk
        offers = {t.session_id: t for t in self.transfers if t.from_mechanic_id == me}
        everyone = list(transfer_colleagues(mechanic=self.mechanic))
        items = []
        for card in self.work_cards:
            workshop_id = card.session.workshop_id
            offer = offers.get(card.session.pk)
            items.append(
                WorkItem(
                    card=card,
                    offer=offer,
                    offer_lapses_at=offer_lapses_at(offer) if offer is not None else None,
                    colleagues=tuple(
                        m for m in everyone if workshop_id is None or m.workshop_id == workshop_id
                    ),
                )
            )
        return items

    @property
    def accept_label(self) -> str:
        return TRANSITIONS["accept"].label

    @cached_property
    def queue_rows(self) -> list[QueueRow]:
        """The queue page's rows with how long each has been in the queue, what each matches of
        this mechanic's expertise and whether it fits their budget."""
        specialties = Specialties.of(self.mechanic)
        used, budget = self.used, self.capacity
        rows = []
        for row in self.page:
            session = row.session
            weight = session.plan.capacity_weight
            fit = fits(used=used, weight=weight, budget=budget)
            rows.append(
                QueueRow(
                    assignment=row,
                    waited=self._waited(row.queued_at),
                    matches=tuple(match(specialties, RouteRequest.of(session))) if specialties.any else (),
                    fits=fit,
                    why_not=""
                    if fit
                    else does_not_fit_message(
                        session_type=session.type, weight=weight, used=used, budget=budget
                    ),
                )
            )
        return rows

    def _waited(self, queued_at: datetime) -> str:
        fresh = self.now - queued_at < timedelta(minutes=1)
        return "under a minute" if fresh else timesince(queued_at, self.now)

    @property
    def query_string(self) -> str:
        return self.filters.query_string()

    @property
    def previous_page_query(self) -> str:
        page = self.page
        return self.filters.query_string(page=page.previous_page_number()) if page.has_previous() else ""

    @property
    def next_page_query(self) -> str:
        page = self.page
        return self.filters.query_string(page=page.next_page_number()) if page.has_next() else ""

    # --- the live-update stamp and the tokens -------------------------------------------------
    @property
    def version(self) -> int:
        return self.context.state_version

    @property
    def queue_fragment_key(self) -> str:
        """The cache key of the rendered queue list, or "" when it is not worth sharing.

        Every mechanic who sees the same queue (same workshop, same lock state) at the same
        state version gets the same HTML, so it is rendered once per version (and minute, for
        "waiting N minutes") and shared. Filtered views are ad hoc: rendered every time."""
        if self.filters.tab != "incoming" or self.filters.is_filtered:
            return ""
        return queue_fragment_key(self.queue_scope, self.version, page=self.filters.page, now=self.now)

    @property
    def queue_scope(self) -> QueueScope:
        return QueueScope(
            workshop_id=self.mechanic.workshop_id or 0,
            locked_with=self.working_count if self.blocked else 0,
            profile=queue_profile(self.mechanic, used=self.used),
        )

    @property
    def pulse_token(self) -> str:
        return pulse_token(session_key=self.session_key, version=self.version)

    @property
    def panel_token(self) -> str:
        scope = self.queue_scope
        return panel_token(
            session_key=self.session_key,
            workshop_id=scope.workshop_id,
            locked_with=scope.locked_with,
            version=self.version,
            profile=scope.profile,
        )


# --- the shared queue panel, served without loading session or user ----------------------------
#
# After a change, every open dashboard fetches the queue panel, whose list is the same for every
# mechanic with the same scope and already rendered once per version (queue_fragment_key). A
# panel request that brings a fresh panel token (sessions_app.live) for its own session cookie,
# for the version this process currently knows, and whose list is in the cache, is answered
# from the cache: no session, user or mechanic query. Anything else takes the checked path.


@dataclass(frozen=True)
class SharedQueuePanel:
    """What the queue panel template reads from MechanicDashboard, for the cached path: the
    unfiltered Pending Requests tab, page 1, with the list already rendered."""

    scope: QueueScope
    queue_html: SafeString
    filters: DashboardFilters = DashboardFilters()

    @property
    def blocked(self) -> bool:
        return self.scope.blocked

    @property
    def lock_message(self) -> str:
        return lock_message(self.scope.locked_with)

    @property
    def query_string(self) -> str:
        return self.filters.query_string()


def shared_queue_panel(
    *, session_key: str | None, token: str, filters: DashboardFilters
) -> SharedQueuePanel | None:
    """The queue panel from the cache, if the token allows it and the list is there (see above)."""
    if filters != DashboardFilters():  # unfiltered Pending Requests, page 1
        return None
    claims = panel_token_claims(session_key=session_key, token=token)
    if claims is None or claims.version != recent_state_version():
        return None
    if claims.locked_with:
        return None  # the lock message links to this mechanic's own sessions: the checked path
    scope = QueueScope(workshop_id=claims.workshop_id, locked_with=claims.locked_with, profile=claims.profile)
    key = make_template_fragment_key(
        "mechanic-queue", [queue_fragment_key(scope, claims.version, page=1, now=timezone.now())]
    )
    html = cache.get(key)
    if html is None:
        return None
    return SharedQueuePanel(scope=scope, queue_html=mark_safe(html))  # noqa: S308 - our own rendering
