"""Reads behind the mechanic dashboard, built on sessions_app.selectors.

`MechanicDashboard` is lazy: each panel partial touches only the properties it shows, so a
panel refresh runs only that panel's queries and the full page runs each query once.
"""

from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import cached_property
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.paginator import Page, Paginator
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from mechanics.models import Mechanic
from sessions_app.models import Session, SessionAssignment
from sessions_app.selectors import (
    active_sessions_for_mechanic,
    queue_for_mechanic,
    session_history,
    state_version,
)
from sessions_app.transitions import WORKING_STATUSES, SessionStatus, actions_from

PAGE_SIZE = 20
TABS: dict[str, str] = {
    "incoming": "Incoming Requests",
    "active": "Active",
    "completed": "Completed",
    "all": "All History",
}
# Tab -> session_history group (the Incoming tab is the queue, not history).
HISTORY_GROUP_OF_TAB = {"active": "active", "completed": "completed", "all": None}
PULSE_TOKEN_MAX_AGE = 15 * 60  # seconds; after that the poll re-checks who is asking once


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


def lock_message(active_count: int) -> str:
    """What a mechanic at capacity reads instead of Accept buttons (SPEC §4)."""
    plural = "s" if active_count != 1 else ""
    return (
        f"You have {active_count} active session{plural} assigned to you. Complete or cancel your "
        "current work before accepting new requests. Your active sessions persist even if you log out."
    )


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

    @property
    def capacity(self) -> int:
        return self.mechanic.max_active_sessions

    @property
    def blocked(self) -> bool:
        return self.active_count >= self.capacity

    @property
    def lock_message(self) -> str:
        return lock_message(self.active_count)

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
            rows: QuerySet = filtered_queue(mechanic=self.mechanic, filters=self.filters)
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
        return state_version()

    @property
    def pulse_token(self) -> str:
        return pulse_token(session_key=self.session_key or "", version=self.version)


# --- the cheap "anything changed?" poll ---------------------------------------------------------
#
# The dashboard hands the page a token: the state version it rendered, signed together with
# the browser's session key. A poll that brings back a valid token for its own session cookie
# and finds the version unchanged gets a 204 after ONE query (the version), without loading
# the session, the user or the mechanic. Anything else (no cookie, a forged or stale token, a
# changed version) takes the normal path: session, user, mechanic check, then a fresh token.
# All a stolen token could ever answer is "nothing changed since then".


def _pulse_signer(session_key: str) -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=f"mechanics.pulse:{session_key}")


def pulse_token(*, session_key: str, version: int) -> str:
    """A token for `version` that only the holder of `session_key` can bring back."""
    return _pulse_signer(session_key).sign(str(version))


def pulse_token_version(*, session_key: str | None, token: str, max_age: int | None = None) -> int | None:
    """The version a token was issued for, or None when it is missing, forged or older than
    `max_age` seconds."""
    if not session_key or not token:
        return None
    try:
        return int(_pulse_signer(session_key).unsign(token, max_age=max_age))
    except (signing.BadSignature, ValueError):
        return None


def session_key_of(cookies: dict[str, str]) -> str | None:
    """The session key as the browser sent it (read without loading the session)."""
    return cookies.get(settings.SESSION_COOKIE_NAME)
