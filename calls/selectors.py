"""Reads for the call: a page's pending signals and its configuration."""

import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.db.models import Max

from sessions_app.models import Session

from .ice import ice_servers_for
from .models import CallSignal

SIGNALS_PER_READ = 200


@dataclass(frozen=True)
class CallConfig:
    ice_servers: list[dict[str, Any]]
    ice_transport_policy: str  # "all", or "relay" to force TURN (tests, strict networks)
    polite: bool  # perfect negotiation: the polite peer gives way when both offer at once
    after: int  # the newest signal already addressed to this user: a fresh page starts after it
    role: str
    # Whether the room's live stream announces new signals (PostgreSQL's NOTIFY). Without it
    # (SQLite) the stream only re-fetches on a state change, so the page polls for signals itself.
    signal_push: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "ice_servers": self.ice_servers,
            "ice_transport_policy": self.ice_transport_policy,
            "polite": self.polite,
            "after": self.after,
            "role": self.role,
            "signal_push": self.signal_push,
        }


def call_config(*, session: Session, user: User, role: str) -> CallConfig:
    """The customer is the polite peer, the mechanic the impolite one (any fixed rule works)."""
    newest = CallSignal.objects.filter(session=session, to_user=user).aggregate(newest=Max("id"))["newest"]
    return CallConfig(
        ice_servers=ice_servers_for(user_id=user.pk, now=time.time()),
        ice_transport_policy=settings.ICE_TRANSPORT_POLICY,
        polite=role == "customer",
        after=newest or 0,
        role=role,
        signal_push=connection.vendor == "postgresql",
    )


def signals_after(*, session: Session, user: User, after: int) -> list[CallSignal]:
    """The signals for `user` in `session` newer than id `after`, oldest first."""
    return list(
        CallSignal.objects.filter(session=session, to_user=user, id__gt=after)
        .only("id", "kind", "payload")
        .order_by("id")[:SIGNALS_PER_READ]
    )
