"""Reads behind the mechanic dashboard, built on sessions_app.selectors.

`MechanicDashboard` is lazy: each panel partial touches only the properties it shows, so a
panel refresh runs only that panel's queries and the full page runs each query once.
"""

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import cached_property
from urllib.parse import urlencode

from django.core import signing
from django.core.cache import cache
from django.core.cache.utils import make_template_fragment_key
from django.core.paginator import Page, Paginator
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince

from mechanics.models import Mechanic
from sessions_app.live import recent_state_version, state_token, state_token_version
from sessions_app.models import Session, SessionAssignment
from sessions_app.selectors import (
    active_sessions_for_mechanic,
    mechanic_active_count,
    queue_for_mechanic,
    session_history,
    state_version,
    state_version_sql,
)
from sessions_app.transitions import WORKING_STATUSES, SessionStatus, actions_from
from sessions_app.wording import lock_message

PAGE_SIZE = 20
TABS: dict[str, str] = {
    "incoming": "Incoming Requests",
    "active": "Active",
    "completed": "Completed",
    "all": "All History",
}
# Tab -> session_history group (the Incoming tab is the queue, not history).
HISTORY_GROUP_OF_TAB = {"active": "active", "completed": "completed", "all": None}
PULSE_TOKEN_MAX_AGE = 15 * 60
# The columns a queue row shows: the select_related joins stay, their width does not.
QUEUE_ROW_FIELDS = (
    "urgent",
    "queued_at",
    "session__type",
    "session__created_at",
    "session__plan__name",
    "session__plan__duration_minutes",
    "session__customer__full_name",
    "session__customer__user__username",
    "session__intake__vehicle_year",
    "session__intake__vehicle_make",
    "session__intake__vehicle_model",
    "session__intake__concern",
)


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
        return bool(self.search.strip() or self.session_type or self.date_from or self.date_to)

    def query_string(self, **overrides: object) -> str:
        """The filters as a URL query (empty values left out), e.g. for pagination links."""
        current = replace(self, **overrides)  # type: ignore[arg-type]
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
    workshop_id: int
    locked_with: int  # sessions held when at capacity (the lock message says how many); 0 = open

    @property
    def blocked(self) -> bool:
        return self.locked_with > 0


def queue_fragment_key(scope: QueueScope, version: int, *, page: int, now: datetime) -> str:
    """The cache key of a rendered queue list: per scope, version, page and minute (for
    "waiting N minutes")."""
    lock = f"locked{scope.locked_with}" if scope.blocked else "open"
    minute = int(now.timestamp() // 60)
    return f"{scope.workshop_id}:{lock}:{version}:{page}:{minute}"


def dashboard_mechanic(*, user) -> Mechanic | None:
    """The user's Mechanic profile with what every dashboard request needs, in ONE query:
    `dashboard_working_count` (sessions counting against capacity) and `dashboard_state_version`
    (the exact state version, as sessions_app.selectors.state_version() reads it).

    Raw SQL on purpose: it runs on every dashboard request, and compiling the equivalent ORM
    query (two correlated subqueries) cost more than running it."""
    mechanic_table = Mechanic._meta.db_table
    session_table = Session._meta.db_table
    working = ", ".join(["%s"] * len(WORKING_STATUSES))
    sql = (
        f"SELECT m.*, "  # noqa: S608 - table names come from the models, values are parameters
        f"(SELECT COUNT(*) FROM {session_table} s WHERE s.mechanic_id = m.id AND s.status IN ({working}))"
        f" AS dashboard_working_count, "
        f"({state_version_sql()}) AS dashboard_state_version "
        f"FROM {mechanic_table} m WHERE m.user_id = %s"
    )
    found = list(Mechanic.objects.raw(sql, [*WORKING_STATUSES, user.pk]))
    return found[0] if found else None


def filtered_queue(*, mechanic: Mechanic, filters: DashboardFilters) -> QuerySet[SessionAssignment]:
    """The queue this mechanic sees (urgent first, then oldest), narrowed by the tab filters."""
    qs = queue_for_mechanic(mechanic=mechanic)
    if filters.search.strip():
        qs = qs.filter(session__customer__full_name__icontains=filters.search.strip())
    if filters.session_type:
        qs = qs.filter(session__type=filters.session_type)
    if filters.date_from:
        qs = qs.filter(session__created_at__date__gte=filters.date_from)
    if filters.date_to:
        qs = qs.filter(session__created_at__date__lte=filters.date_to)
    return qs


def own_sessions(*, mechanic: Mechanic) -> QuerySet[Session]:
    """Sessions this mechanic holds or held, with what the intake and report pages show."""
    return Session.objects.filter(mechanic=mechanic).select_related(
        "plan", "customer__user", "mechanic__user", "intake", "rating"
    )


class MechanicDashboard:
    """Everything the dashboard shows for one mechanic and one set of filters, loaded on demand."""

    def __init__(
        self, *, mechanic: Mechanic, filters: DashboardFilters, session_key: str | None = None
    ) -> None:
        self.mechanic = mechanic
        self.filters = filters
        self.session_key = session_key

    @cached_property
    def now(self) -> datetime:
        return timezone.now()

    # --- My Active Work (one query) ---------------------------------------------------------
    @cached_property
    def active_sessions(self) -> list[Session]:
        """Live sessions first (they need attention now), then waiting ones, oldest first."""
        sessions = list(active_sessions_for_mechanic(mechanic=self.mechanic))
        for session in sessions:
            # The transition table decides which buttons each card offers.
            session.allowed_actions = set(actions_from(session.status))  # type: ignore[attr-defined]
        return sorted(sessions, key=lambda s: (s.status != SessionStatus.LIVE, s.created_at))

    @property
    def live_count(self) -> int:
        return sum(1 for s in self.active_sessions if s.status == SessionStatus.LIVE)

    @property
    def waiting_count(self) -> int:
        return sum(1 for s in self.active_sessions if s.status == SessionStatus.WAITING)

    @property
    def active_count(self) -> int:
        return len(self.active_sessions)

    @cached_property
    def working_count(self) -> int:
        """How many sessions count against capacity: from the list when it is loaded anyway,
        else a plain count (the queue panel needs no more)."""
        if "active_sessions" in self.__dict__:
            return len(self.active_sessions)
        loaded = getattr(self.mechanic, "dashboard_working_count", None)
        return loaded if loaded is not None else mechanic_active_count(mechanic=self.mechanic)

    @property
    def capacity(self) -> int:
        return self.mechanic.max_active_sessions

    @property
    def blocked(self) -> bool:
        return self.working_count >= self.capacity

    @property
    def lock_message(self) -> str:
        return lock_message(self.working_count)

    # --- counts (one query each) ------------------------------------------------------------
    @cached_property
    def queue_stats(self) -> dict[str, int]:
        """How many requests wait in this mechanic's queue, and the newest one's id."""
        row = (
            queue_for_mechanic(mechanic=self.mechanic)
            .order_by()
            .aggregate(count=Count("id"), newest=Max("id"))
        )
        return {"count": row["count"], "newest": row["newest"] or 0}

    @cached_property
    def history_counts(self) -> dict[str, int]:
        row = Session.objects.filter(mechanic=self.mechanic).aggregate(
            active=Count("id", filter=Q(status__in=WORKING_STATUSES)),
            completed=Count("id", filter=Q(status=SessionStatus.COMPLETED)),
            all=Count("id"),
        )
        return {key: row[key] or 0 for key in ("active", "completed", "all")}

    @property
    def tab_counts(self) -> dict[str, int]:
        return {"incoming": self.queue_stats["count"], **self.history_counts}

    @property
    def tabs(self) -> list[dict[str, object]]:
        counts = self.tab_counts
        return [
            {
                "key": key,
                "label": label,
                "count": counts[key],
                "current": key == self.filters.tab,
                "query": self.filters.query_string(tab=key, page=1),
            }
            for key, label in TABS.items()
        ]

    # --- the current tab's list (one query, plus a count when filtered) ---------------------
    @cached_property
    def page(self) -> Page:
        tab = self.filters.tab
        if tab == "incoming":
            rows: QuerySet = filtered_queue(mechanic=self.mechanic, filters=self.filters).only(
                *QUEUE_ROW_FIELDS
            )
            known = self.queue_stats["count"]
        else:
            rows = session_history(
                mechanic=self.mechanic,
                group=HISTORY_GROUP_OF_TAB[tab],
                search=self.filters.search,
                session_type=self.filters.session_type,
                date_from=self.filters.date_from,
                date_to=self.filters.date_to,
            )
            known = self.history_counts[tab]
        paginator = Paginator(rows, PAGE_SIZE)
        if not self.filters.is_filtered:
            # The tab count already holds the total: spare the paginator its COUNT query.
            paginator.count = known  # type: ignore[misc]
        return paginator.get_page(self.filters.page)

    @cached_property
    def queue_rows(self) -> list[SessionAssignment]:
        """The queue page's rows, each with `waited`: how long it has been in the queue."""
        rows = list(self.page)
        for row in rows:
            fresh = self.now - row.queued_at < timedelta(minutes=1)
            row.waited = "under a minute" if fresh else timesince(row.queued_at, self.now)  # type: ignore[attr-defined]
        return rows

    @property
    def query_string(self) -> str:
        return self.filters.query_string()

    @property
    def previous_page_query(self) -> str:
        return (
            self.filters.query_string(page=self.page.previous_page_number())
            if self.page.has_previous()
            else ""
        )

    @property
    def next_page_query(self) -> str:
        return self.filters.query_string(page=self.page.next_page_number()) if self.page.has_next() else ""

    # --- the live-update stamp --------------------------------------------------------------
    @cached_property
    def version(self) -> int:
        loaded = getattr(self.mechanic, "dashboard_state_version", None)
        return loaded if loaded is not None else current_state_version()

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
        """Who sees the same queue list: the workshop, and the lock state with its count."""
        return QueueScope(
            workshop_id=self.mechanic.workshop_id or 0, locked_with=self.working_count if self.blocked else 0
        )

    @property
    def pulse_token(self) -> str:
        return pulse_token(session_key=self.session_key or "", version=self.version)

    @property
    def panel_token(self) -> str:
        return panel_token(session_key=self.session_key or "", scope=self.queue_scope, version=self.version)


# --- the cheap "anything changed?" poll ---------------------------------------------------------
#
# The dashboard hands its pulse a state token (sessions_app.live): a poll that brings it back
# for its own session cookie and finds the version unchanged gets a 204 after at most ONE query,
# without loading the session, the user or the mechanic. Anything else takes the normal path:
# session, user, mechanic check, then a fresh token.
PULSE_PURPOSE = "mechanics.pulse"


def current_state_version() -> int:
    """The exact state version (sessions_app.selectors.state_version)."""
    return state_version()


def pulse_token(*, session_key: str, version: int) -> str:
    return state_token(purpose=PULSE_PURPOSE, session_key=session_key, version=version)


def pulse_token_version(*, session_key: str | None, token: str, max_age: int | None = None) -> int | None:
    return state_token_version(purpose=PULSE_PURPOSE, session_key=session_key, token=token, max_age=max_age)


# --- the shared queue panel, served without loading session or user ----------------------------
#
# After a change, every open dashboard fetches the queue panel; the list in it is the same for
# every mechanic with the same scope (workshop, lock state) and is already rendered once per
# version (queue_fragment_key). A mechanic's checked pulse hands the page a *panel token*: that
# scope and the exact version, signed together with the browser's session key. A panel request
# that brings a token for its own session cookie, at most PANEL_TOKEN_MAX_AGE seconds old, for
# the version this process currently knows, and whose list is in the cache, is answered from
# the cache: no session, user or mechanic query (the version memo at most one per second).
# Anything else takes the checked path. What a stolen cookie and token could read, for at most
# PANEL_TOKEN_MAX_AGE seconds after a logout, is the queue list this mechanic was shown anyway.
PANEL_TOKEN_MAX_AGE = 30


def _panel_signer(session_key: str) -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=f"mechanics.queue-panel:{session_key}")


def panel_token(*, session_key: str, scope: QueueScope, version: int) -> str:
    return _panel_signer(session_key).sign(f"{scope.workshop_id}:{scope.locked_with}:{version}")


def panel_token_claims(*, session_key: str | None, token: str) -> tuple[QueueScope, int] | None:
    """The scope and version a panel token was issued for, or None when it is missing, forged,
    for another session or older than PANEL_TOKEN_MAX_AGE."""
    if not session_key or not token:
        return None
    try:
        workshop_id, locked_with, version = (
            _panel_signer(session_key).unsign(token, max_age=PANEL_TOKEN_MAX_AGE).split(":")
        )
        return QueueScope(workshop_id=int(workshop_id), locked_with=int(locked_with)), int(version)
    except (signing.BadSignature, ValueError):
        return None


@dataclass(frozen=True)
class SharedQueuePanel:
    """What the queue panel template reads from MechanicDashboard, for the cached path: the
    unfiltered Pending Requests tab, page 1, with the list already rendered."""

    scope: QueueScope
    queue_html: str
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
    if claims is None:
        return None
    scope, version = claims
    if version != recent_state_version():
        return None
    key = make_template_fragment_key(
        "mechanic-queue", [queue_fragment_key(scope, version, page=1, now=timezone.now())]
    )
    html = cache.get(key)
    if html is None:
        return None
    return SharedQueuePanel(scope=scope, queue_html=mark_safe(html))  # noqa: S308 - our own rendering
