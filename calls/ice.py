"""ICE servers for a call: the configured STUN/TURN list plus, with TURN_SECRET, time-limited
TURN credentials for one user (coturn's `use-auth-secret` REST scheme)."""

import base64
import hashlib
import hmac
from typing import Any

from django.conf import settings


def turn_credentials(*, secret: str, user_id: int, ttl_seconds: int, now: float) -> tuple[str, str]:
    """coturn's REST credentials: username "<expiry unix time>:<user id>", credential
    base64(HMAC-SHA1(secret, username)). coturn refuses them once the expiry has passed."""
    username = f"{int(now) + ttl_seconds}:{user_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode("ascii")


def ice_servers_for(*, user_id: int, now: float) -> list[dict[str, Any]]:
    """The RTCIceServer list for this user's page: ICE_SERVERS as configured, then our TURN
    server(s) with credentials of their own when TURN_SECRET and TURN_URLS are set."""
    servers = [dict(server) for server in settings.ICE_SERVERS]
    if settings.TURN_SECRET and settings.TURN_URLS:
        username, credential = turn_credentials(
            secret=settings.TURN_SECRET, user_id=user_id, ttl_seconds=settings.TURN_TTL_SECONDS, now=now
        )
        servers.append({"urls": list(settings.TURN_URLS), "username": username, "credential": credential})
    return servers
