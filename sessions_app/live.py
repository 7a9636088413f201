"""The cheap "anything changed?" answer that every live poll starts with.

A page hands its poller a *state token*: the state version it was rendered at
(selectors.state_version), signed together with the browser's session key and a purpose. A
poll that brings back a valid token for its own session cookie and finds the version unchanged
can answer 204 after at most ONE query (the version, remembered by this process for up to a
second), without loading the session, the user or anything else. All a stolen token could ever
answer is "nothing changed since then". Anything else (no cookie, a forged or stale token, a
changed version) takes the poll's normal, checked path.

Used by the mechanic dashboard's pulse and queue panel and the customer's active-session banner.
"""

from dataclasses import dataclass
from time import monotonic
from typing import Any

from django.conf import settings
from django.core import signing

from .selectors import state_version

# The version as the polls see it, remembered by this process for up to a second. With it the
# database answers at most one version query per process per second, however many pages poll;
# a change is seen at most a second later (the polls run every two). Renders always read the
# exact version (a stale one could cache an old list under a new key).
VERSION_MEMO_SECONDS = 1.0
_version_memo: tuple[float, int] = (float("-inf"), 0)


def recent_state_version(*, expect: int | None = None) -> int:
    """state_version(), at most VERSION_MEMO_SECONDS old. For the polls' fast path only.

    `expect`: a version the page has heard of on its live stream (sessions_app.streams). A
    remembered version that differs may be the stale one, so it is read again: a poll that a
    push hint triggered must not be answered "nothing changed" from the memo."""
    global _version_memo
    fetched_at, version = _version_memo
    now = monotonic()
    if now - fetched_at >= VERSION_MEMO_SECONDS or (expect is not None and expect != version):
        version = state_version()
        _version_memo = (now, version)
    return version


def forget_recent_state_version() -> None:
    """Drop the remembered version (tests; nothing else needs it)."""
    global _version_memo
    _version_memo = (float("-inf"), 0)


def live_version_of(query: dict[str, str] | Any) -> int | None:
    """The version a poll says its live stream announced (`lv`), or None."""
    try:
        return int(query.get("lv") or "") if query.get("lv") else None
    except ValueError:
        return None


def session_key_of(cookies: dict[str, str]) -> str | None:
    """The session key as the browser sent it (read without loading the session)."""
    return cookies.get(settings.SESSION_COOKIE_NAME)


# --- state tokens: one signer for every purpose -----------------------------------------------
#
# A token signs a short value (a version, or a version with what it was issued for) together
# with a purpose and the browser's session key, and carries its issue time. Each purpose has
# thin typed helpers: the mechanic's pulse and queue panel, the customer's banner.


def _signer(purpose: str, session_key: str) -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=f"{purpose}:{session_key}")


def signed_token(*, purpose: str, session_key: str, value: str) -> str:
    """A token for `value` that only the holder of `session_key` can bring back."""
    return _signer(purpose, session_key).sign(value)


def signed_token_value(
    *, purpose: str, session_key: str | None, token: str, max_age: int | None = None
) -> str | None:
    """The value a token was issued for, or None when it is missing, forged, for another
    purpose or session, or older than `max_age` seconds."""
    if not session_key or not token:
        return None
    try:
        return _signer(purpose, session_key).unsign(token, max_age=max_age)
    except signing.BadSignature:
        return None


def state_token(*, purpose: str, session_key: str, version: int) -> str:
    """A token for state version `version` (see the module docstring)."""
    return signed_token(purpose=purpose, session_key=session_key, value=str(version))


def state_token_version(
    *, purpose: str, session_key: str | None, token: str, max_age: int | None = None
) -> int | None:
    """The version a state token was issued for, or None (see signed_token_value)."""
    value = signed_token_value(purpose=purpose, session_key=session_key, token=token, max_age=max_age)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


# The mechanic dashboard's pulse: a poll that brings back its token for its own session cookie
# and finds the version unchanged gets a 204 after at most ONE query, without loading the
# session, the user or the mechanic. Anything else takes the checked path and gets a new token.
PULSE_PURPOSE = "mechanics.pulse"
PULSE_TOKEN_MAX_AGE = 15 * 60  # seconds; an older token takes the checked path once


def pulse_token(*, session_key: str, version: int) -> str:
    return state_token(purpose=PULSE_PURPOSE, session_key=session_key, version=version)


def pulse_token_version(*, session_key: str | None, token: str, max_age: int | None = None) -> int | None:
    return state_token_version(purpose=PULSE_PURPOSE, session_key=session_key, token=token, max_age=max_age)


# The mechanic dashboard's queue panel token: the queue scope (workshop, and the number of
# sessions held when at capacity, 0 when open) and the exact version it was issued at. What a
# stolen cookie and token could read, for at most PANEL_TOKEN_MAX_AGE seconds after a logout, is
# the queue list this mechanic was shown anyway (mechanics.dashboard.shared_queue_panel).
PANEL_PURPOSE = "mechanics.queue-panel"
PANEL_TOKEN_MAX_AGE = 30


@dataclass(frozen=True)
class PanelClaims:
    workshop_id: int
    locked_with: int
    version: int
    profile: str = ""  # route: mechanics.dashboard.QueueScope.profile


def panel_token(
    *, session_key: str, workshop_id: int, locked_with: int, version: int, profile: str = ""
) -> str:
    return signed_token(
        purpose=PANEL_PURPOSE,
        session_key=session_key,
        value=f"{workshop_id}:{locked_with}:{version}:{profile}",
    )


def panel_token_claims(*, session_key: str | None, token: str) -> PanelClaims | None:
    """What a panel token was issued for, or None when it is missing, forged, for another
    session or older than PANEL_TOKEN_MAX_AGE."""
    value = signed_token_value(
        purpose=PANEL_PURPOSE, session_key=session_key, token=token, max_age=PANEL_TOKEN_MAX_AGE
    )
    if value is None:
        return None
    try:
        workshop, locked, ver, profile = value.split(":", 3)
        workshop_id, locked_with, version = int(workshop), int(locked), int(ver)
    except ValueError:
        return None
    return PanelClaims(workshop_id=workshop_id, locked_with=locked_with, version=version, profile=profile)


# --- "nothing changed": one check for every token-polled view ---------------------------------


@dataclass(frozen=True)
class UnchangedPoll:
    """A poll's cheap answer: its state token (query parameter `param`, issued for `purpose` and
    this browser's session cookie, at most `max_age` seconds old) names the current state version,
    so nothing it shows can have changed. At most one query (the remembered version), no session,
    user or profile load. `lv`: the version the page heard on its live stream, which forces a
    fresh read (see recent_state_version)."""

    purpose: str
    param: str
    max_age: int

    def __call__(self, request: Any) -> bool:
        known = state_token_version(
            purpose=self.purpose,
            session_key=session_key_of(request.COOKIES),
            token=request.GET.get(self.param, ""),
            max_age=self.max_age,
        )
        return known is not None and known == recent_state_version(expect=live_version_of(request.GET))


PULSE_UNCHANGED = UnchangedPoll(PULSE_PURPOSE, "v", PULSE_TOKEN_MAX_AGE)
