"""The seeded default plans (SPEC §2). Editable in admin afterwards."""

from .models import Plan

DEFAULT_PLANS = [
    {
        "code": "free-chat",
        "capacity_weight": 1,
        "name": "Free Chat",
        "session_type": "chat",
        "duration_minutes": 10,
        "price_cents": 0,
        "credit_cost": 0,
    },
    {
        "code": "quick-chat",
        "capacity_weight": 1,
        "name": "Quick Chat",
        "session_type": "chat",
        "duration_minutes": 15,
        "price_cents": 999,
        "credit_cost": 1,
    },
    {
        "code": "video-30",
        "capacity_weight": 2,
        "name": "Video Call (30 min)",
        "session_type": "video",
        "duration_minutes": 30,
        "price_cents": 2999,
        "credit_cost": 3,
    },
    {
        "code": "diagnostic-45",
        "capacity_weight": 2,
        "name": "Full Diagnostic (45 min)",
        "session_type": "diagnostic",
        "duration_minutes": 45,
        "price_cents": 4999,
        "credit_cost": 5,
    },
]


def ensure_default_plans() -> list[Plan]:
    """Create the default plans that are missing; never overwrite staff edits."""
    plans = []
    for spec in DEFAULT_PLANS:
        plan, _ = Plan.objects.get_or_create(code=spec["code"], defaults={**spec, "currency": "usd"})
        plans.append(plan)
    return plans
