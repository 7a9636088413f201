"""The cheap "anything changed?" answer that every live poll starts with.

A page hands its poller a *state token*: the state version it was rendered at
(selectors.state_version), signed together with the browser's session key and a purpose. A
poll that brings back a valid token for its own session cookie and finds the version unchanged
can answer 204 after at most ONE query (the version, remembered by this process for up to a
second), without loading the session, the user or anything else. All a stolen token could ever
answer is "nothing changed since then". Anything else (no cookie, a forged or stale token, a
changed version) takes the poll's normal, checked path.

Used by the mechanic dashboard's pulse and the customer's active-session banner.
"""

from time import monotonic

from django.conf import settings
from django.core import signing

from .selectors import state_version

# The version as the polls see it, remembered by this process for up to a second. With it the
# database answers at most one version query per process per second, however many pages poll;
# a change is seen at most a second later (the polls run every two). Renders always read the
# exact version (a stale one could cache an old list under a new key).
VERSION_MEMO_SECONDS = 1.0
_version_memo: tuple[float, int] = (float("-inf"), 0)


def recent_state_version() -> int:
    """state_version(), at most VERSION_MEMO_SECONDS old. For the polls' fast path only."""
    global _version_memo
    fetched_at, version = _version_memo
    now = monotonic()
    if now - fetched_at >= VERSION_MEMO_SECONDS:
        version = state_version()
        _version_memo = (now, version)
    return version


def forget_recent_state_version() -> None:
    """Drop the remembered version (tests; nothing else needs it)."""
    global _version_memo
    _version_memo = (float("-inf"), 0)


def session_key_of(cookies: dict[str, str]) -> str | None:
    """The session key as the browser sent it (read without loading the session)."""
    return cookies.get(settings.SESSION_COOKIE_NAME)


def _signer(purpose: str, session_key: str) -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=f"{purpose}:{session_key}")


def state_token(*, purpose: str, session_key: str, version: int) -> str:
    """A token for `version` that only the holder of `session_key` can bring back."""
    return _signer(purpose, session_key).sign(str(version))


def state_token_version(
    *, purpose: str, session_key: str | None, token: str, max_age: int | None = None
) -> int | None:
    """The version a token was issued for, or None when it is missing, forged, for another
    purpose or session, or older than `max_age` seconds."""
    if not session_key or not token:
        return None
    try:
        return int(_signer(purpose, session_key).unsign(token, max_age=max_age))
    except (signing.BadSignature, ValueError):
        return None
