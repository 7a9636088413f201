"""Capacity weighted by session type (issue 14).

`Mechanic.max_active_sessions` is a budget; each waiting or live session uses its plan's
`capacity_weight` (chat 1, video 2, diagnostic 2 by default). A session fits when the weights in
hand plus its own stay within the budget, and an empty plate always fits one session: a mechanic
with the default budget of 1 can still take a video call, one at a time, as before weights.
"""

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, Sum

from mechanics.models import Mechanic

from .models import Session
from .routing import type_label

NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}


def fits(*, used: int, weight: int, budget: int) -> bool:
    return used == 0 or used + weight <= budget


def kind_phrase(session_type: str, *, article: bool = True) -> str:
    """ "a video call", "a chat", "a diagnostic" (as the lock message says them)."""
    noun = {"video": "video call"}.get(session_type, type_label(session_type))
    return f"a {noun}" if article else noun


@dataclass(frozen=True)
class CapacityUse:
    """What a mechanic holds against their budget: the weights used and the sessions by type."""

    budget: int
    used: int = 0
    holding: Counter[str] = field(default_factory=Counter)

    @property
    def count(self) -> int:
        return sum(self.holding.values())

    @property
    def remaining(self) -> int:
        return max(0, self.budget - self.used)

    def fits(self, weight: int) -> bool:
        return fits(used=self.used, weight=weight, budget=self.budget)

    @property
    def holding_words(self) -> str:
        """ "one diagnostic", "two chats and one video call"."""
        parts = []
        for session_type, n in sorted(self.holding.items()):
            noun = kind_phrase(session_type, article=False)
            parts.append(f"{NUMBER_WORDS.get(n, str(n))} {noun}{'s' if n != 1 else ''}")
        return " and ".join(parts) if parts else "nothing"


def capacity_use(*, mechanic: Mechanic) -> CapacityUse:
    """One query: the mechanic's waiting and live sessions by type, with their plans' weights."""
    rows = (
        Session.objects.working()
        .for_mechanic(mechanic)
        .order_by()
        .values("type")
        .annotate(n=Count("id"), weight=Sum("plan__capacity_weight"))
    )
    holding: Counter[str] = Counter()
    used = 0
    for row in rows:
        holding[row["type"]] += row["n"]
        used += row["weight"] or 0
    return CapacityUse(budget=mechanic.max_active_sessions, used=used, holding=holding)
