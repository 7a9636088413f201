"""The mechanic's active-session banner (on every mechanic page but the dashboard, whose My
Active Work shows the same): one row per waiting or live session, the same pills and words as
the customer's banner, Return to Session, and the transitions the table allows from a work card.

Its poll (mechanics.views.banner) works like the customer's: a state token signed with the
browser's session key lets an unchanged poll answer 204 before session, user or profile load;
otherwise the banner's own stamp (the sessions, their statuses and newest events) decides.
"""

from dataclasses import dataclass

from mechanics.models import Mechanic
from sessions_app.forms import SUMMARY_MAX
from sessions_app.live import UnchangedPoll, state_token
from sessions_app.models import Session
from sessions_app.status_view import StatusFlags

from .dashboard import WorkCard, work_card
from .selectors import banner_sessions

BANNER_PURPOSE = "mechanics.banner"
BANNER_TOKEN_MAX_AGE = 15 * 60  # seconds; an older token just takes the checked path once
BANNER_UNCHANGED = UnchangedPoll(BANNER_PURPOSE, "t", BANNER_TOKEN_MAX_AGE)  # the poll's 204 check
NO_SESSIONS = "none"


@dataclass(frozen=True)
class BannerRow(StatusFlags):
    """One active session: its pill, and the buttons a work card offers (from TRANSITIONS)."""

    card: WorkCard
    here: bool  # the page is this session's own room (it has the actions: show the status only)

    @property
    def session(self) -> Session:
        return self.card.session

    @property
    def status(self) -> str:
        return self.card.session.status


@dataclass(frozen=True)
class MechanicBanner:
    rows: tuple[BannerRow, ...]
    token: str = ""

    @property
    def version(self) -> str:
        """Changes whenever a row would: which sessions, their statuses, their newest events."""
        if not self.rows:
            return NO_SESSIONS
        return "_".join(f"{r.session.pk}.{r.status}.{getattr(r.session, 'version', 0)}" for r in self.rows)

    @property
    def summary_max(self) -> int:
        return SUMMARY_MAX


def banner_token(*, session_key: str | None, state: int) -> str:
    """The banner's state token for global state version `state`, read before the content."""
    return state_token(purpose=BANNER_PURPOSE, session_key=session_key, version=state) if session_key else ""


def mechanic_banner(*, mechanic: Mechanic, here: str, session_key: str | None, state: int) -> MechanicBanner:
    """The banner for `mechanic` on the page at path `here`; `state` is the global state version
    read before this (the token is never newer than the content). One query."""
    rows = tuple(
        BannerRow(card=work_card(session), here=session.get_absolute_url() == here)
        for session in banner_sessions(mechanic=mechanic)
    )
    return MechanicBanner(rows=rows, token=banner_token(session_key=session_key, state=state))
